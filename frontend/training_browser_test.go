package frontend_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fairhands/marketplace/training"
)

// TestBrowserTrainingTasks: on a 360 px phone a coordinator creates a track from the training
// page, invites a maker and enrols her in it from her page, and records a due follow-up of a
// maker who finished three months ago; each page fits the phone with 48 px targets.
func TestBrowserTrainingTasks(t *testing.T) {
	s := startSite(t)
	prog := s.program("Kolkata Beads", "Kolkata")
	coord := s.coordinator(prog.ID, "rina@browser.test")
	tara := s.maker(prog.ID, coord, "tara", "Tara")
	ctx := context.Background()
	old, err := s.a.Training.CreateTrack(ctx, coord, prog.ID, training.TrackInput{Name: "Bead stringing",
		Milestones: []training.MilestoneInput{{Title: "Stringing"}}})
	if err != nil {
		t.Fatal(err)
	}
	done := time.Now().UTC().AddDate(0, -3, 0)
	enr, err := s.a.Training.Enroll(ctx, coord, old.ID, training.EnrollInput{MakerID: tara.MakerID, EnrolledOn: done.AddDate(0, -2, 0).Format("2006-01-02")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.Training.SignOff(ctx, coord, enr.ID, old.Milestones[0].ID, training.SignOffInput{CompletedOn: done.Format("2006-01-02")}, nil); err != nil {
		t.Fatal(err)
	}

	phone := phone360(t)
	login(t, phone, s.base, "rina@browser.test")
	trainingURL := s.base + "/coordinator/programs/" + prog.ID + "/training"
	run(t, phone, "training page", chromedp.Navigate(trainingURL), chromedp.WaitVisible(`#followups`, chromedp.ByQuery))
	wantText(t, phone, `a[href="#followups"] .n`, "1")
	fitsPhone(t, phone, "training page")
	shot(t, phone, "training-1-page")

	run(t, phone, "new track",
		chromedp.Click(`main a[href$="/tracks/new"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-name`, "Kantha embroidery", chromedp.ByQuery),
		chromedp.SendKeys(`#title-0`, "Running stitch", chromedp.ByQuery),
		chromedp.SendKeys(`#hours-0`, "lots", chromedp.ByQuery),
		chromedp.SendKeys(`#title-1`, "Kantha motif", chromedp.ByQuery),
		chromedp.Click(`input[name="evidence_1"]`, chromedp.ByQuery),
	)
	fitsPhone(t, phone, "track form")
	shot(t, phone, "training-2-track-form")
	run(t, phone, "bad hours", chromedp.Click(`form[action$="/tracks"] button[type=submit]`, chromedp.ByQuery), chromedp.WaitVisible(`#e-hours-0`, chromedp.ByQuery))
	wantText(t, phone, `#e-hours-0`, "Write the hours as a number")
	shot(t, phone, "training-3-track-form-error")
	run(t, phone, "save track",
		setValue(`#hours-0`, "6"),
		chromedp.Click(`form[action$="/tracks"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
	)
	wantText(t, phone, `.flash`, "The track is saved.")
	wantText(t, phone, `main`, "Kantha embroidery")
	var track training.TrackView
	ts, err := s.a.Training.Tracks(ctx, coord, prog.ID)
	for _, x := range ts {
		if x.Name == "Kantha embroidery" {
			track = x
		}
	}
	if err != nil || len(track.Milestones) != 2 || track.Milestones[0].Hours != 6 || !track.Milestones[1].RequiresEvidence {
		t.Fatalf("the new track %+v, %v", track, err)
	}

	run(t, phone, "invite a maker",
		chromedp.Navigate(s.base+"/coordinator/programs/"+prog.ID+"/makers/new"),
		chromedp.WaitVisible(`#f-displayName`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-displayName`, "Rupa", chromedp.ByQuery),
		chromedp.SendKeys(`#f-legalName`, "Rupa Legal", chromedp.ByQuery),
		chromedp.Click(`form[action$="/makers"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`main a.btn[href^="/coordinator/makers/"]`, chromedp.ByQuery),
		chromedp.Click(`main a.btn[href^="/coordinator/makers/"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`main a[href$="/enrol"]`, chromedp.ByQuery),
	)
	wantText(t, phone, `main`, "No training yet.")
	shot(t, phone, "training-4-invited-maker")
	run(t, phone, "enrol form", chromedp.Click(`main a[href$="/enrol"]`, chromedp.ByQuery), chromedp.WaitVisible(`input[name="track"][value="`+track.ID+`"]`, chromedp.ByQuery))
	fitsPhone(t, phone, "enrol form")
	shot(t, phone, "training-5-enrol-form")
	run(t, phone, "enrol",
		chromedp.Click(`input[name="track"][value="`+track.ID+`"]`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/enrol"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
	)
	wantText(t, phone, `.flash`, "Enrolled.")
	wantText(t, phone, `main`, "0 of 2 steps done")
	fitsPhone(t, phone, "maker enrolled")
	shot(t, phone, "training-6-enrolled")

	key := enr.ID + "-3"
	run(t, phone, "follow-up form",
		chromedp.Navigate(trainingURL+"#followups"),
		chromedp.WaitVisible(`#fu-`+key+` summary`, chromedp.ByQuery),
		chromedp.Click(`#fu-`+key+` summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#st-`+key, chromedp.ByQuery),
		setValue(`#st-`+key, "self_employed"),
		chromedp.SendKeys(`#in-`+key, "6500", chromedp.ByQuery),
		setValue(`#ve-`+key, "verified_visit"),
		chromedp.SendKeys(`#no-`+key, "Sells at the Saturday market", chromedp.ByQuery),
	)
	fitsPhone(t, phone, "follow-up form")
	shot(t, phone, "training-7-follow-up-form")
	run(t, phone, "record follow-up",
		chromedp.Click(`#fu-`+key+` button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
	)
	wantText(t, phone, `.flash`, "The follow-up is saved.")
	wantText(t, phone, `a[href="#followups"] .n`, "0")
	wantText(t, phone, `main`, "No follow-ups are due now.")
	shot(t, phone, "training-8-follow-up-saved")
	os, err := s.a.Training.Outcomes(ctx, coord, tara.MakerID)
	if err != nil || len(os) != 1 || os[0].Status != "self_employed" || os[0].MonthlyIncome == nil || *os[0].MonthlyIncome != 650000 || os[0].Verification != "verified_visit" {
		t.Fatalf("recorded outcomes %+v, %v", os, err)
	}
	// The same page in Hindi and Bengali.
	run(t, phone, "hindi", chromedp.Navigate(trainingURL+"?lang=hi"), chromedp.WaitVisible(`html[lang="hi"]`, chromedp.ByQuery))
	wantText(t, phone, `main`, "कोर्स बदलें")
	fitsPhone(t, phone, "training page in Hindi")
	shot(t, phone, "training-9-hindi")
	run(t, phone, "bengali", chromedp.Navigate(s.base+"/coordinator/tracks/"+track.ID+"?lang=bn"), chromedp.WaitVisible(`html[lang="bn"]`, chromedp.ByQuery))
	wantText(t, phone, `h1`, "কোর্স বদলান")
	fitsPhone(t, phone, "track form in Bengali")
	shot(t, phone, "training-10-track-bengali")
}
