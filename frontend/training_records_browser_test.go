package frontend_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fairhands/marketplace/training"
)

// TestBrowserMakerCertificate: on a 360 px phone a maker who finished a track finds its
// certificate on her home, chooses the name printed on it, and opens the certificate; each page
// fits the phone with 48 px targets, in English and in Bengali.
func TestBrowserMakerCertificate(t *testing.T) {
	s := startSite(t)
	prog := s.program("Kolkata Beads", "Kolkata")
	coord := s.coordinator(prog.ID, "rina@browser.test")
	tara := s.maker(prog.ID, coord, "tara", "Tara")
	ctx := context.Background()
	track, err := s.a.Training.CreateTrack(ctx, coord, prog.ID, training.TrackInput{Name: "Kantha embroidery",
		Milestones: []training.MilestoneInput{{Title: "Running stitch"}}})
	if err != nil {
		t.Fatal(err)
	}
	enr, err := s.a.Training.Enroll(ctx, coord, track.ID, training.EnrollInput{MakerID: tara.MakerID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.Training.SignOff(ctx, coord, enr.ID, track.Milestones[0].ID, training.SignOffInput{}, nil); err != nil {
		t.Fatal(err)
	}

	phone := phone360(t)
	login(t, phone, s.base, "tara")
	cert := `#cert-` + enr.ID
	run(t, phone, "maker home", chromedp.Navigate(s.base+"/maker#training"), chromedp.WaitVisible(cert, chromedp.ByQuery))
	wantText(t, phone, cert, "Certificate ready.")
	fitsPhone(t, phone, "maker home with a certificate")
	shot(t, phone, "cert-1-home")

	run(t, phone, "open the name form",
		chromedp.Click(cert+` summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#cn-`+enr.ID, chromedp.ByQuery),
		chromedp.Click(cert+` input[name="choice"][value="chosen"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#cn-`+enr.ID, "Tara Devi", chromedp.ByQuery),
	)
	fitsPhone(t, phone, "name form")
	shot(t, phone, "cert-2-name-form")
	run(t, phone, "save the name",
		chromedp.Click(cert+` form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
	)
	wantText(t, phone, `.flash`, "The name is saved.")
	wantText(t, phone, cert, "Name on it: Tara Devi")
	shot(t, phone, "cert-3-name-saved")

	run(t, phone, "certificate page",
		chromedp.Click(cert+` a.btn`, chromedp.ByQuery),
		chromedp.WaitVisible(`#cert-name`, chromedp.ByQuery),
	)
	wantText(t, phone, `#cert-name`, "Tara Devi")
	wantText(t, phone, `main`, "Kantha embroidery")
	fitsPhone(t, phone, "certificate page")
	shot(t, phone, "cert-4-page")

	run(t, phone, "bengali", chromedp.Navigate(s.base+"/maker/training/"+enr.ID+"/certificate?lang=bn"), chromedp.WaitVisible(`html[lang="bn"]`, chromedp.ByQuery))
	wantText(t, phone, `h1`, "সার্টিফিকেট")
	fitsPhone(t, phone, "certificate page in Bengali")
	shot(t, phone, "cert-5-bengali")
	run(t, phone, "bengali home", chromedp.Navigate(s.base+"/maker?lang=bn#training"), chromedp.WaitVisible(cert, chromedp.ByQuery))
	wantText(t, phone, cert, "সার্টিফিকেট তৈরি।")
	fitsPhone(t, phone, "maker home in Bengali")
	shot(t, phone, "cert-6-home-bengali")
}
