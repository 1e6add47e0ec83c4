package frontend_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/training"
)

// withEXIF puts an EXIF block with a GPS position marker into a JPEG, as a phone camera does.
func withEXIF(t *testing.T, jpg []byte) []byte {
	t.Helper()
	payload := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00"), []byte("GPSLatitude 22.5726N 88.3639E")...)
	n := len(payload) + 2
	seg := append([]byte{0xff, 0xe1, byte(n >> 8), byte(n)}, payload...)
	out := append(append([]byte{}, jpg[:2]...), seg...)
	out = append(out, jpg[2:]...)
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("the photo with EXIF does not decode: %v", err)
	}
	return out
}

// trainingSetup makes a program with a coordinator (signed in), a maker and a track of two
// steps, the first needing a photo, and enrols the maker.
type trainingSetup struct {
	e                 *apptest.Env
	pid, coordID, tok string
	coord             *web
	maker             string
	track             training.TrackView
	enr               training.Enrollment
}

func newTrainingSetup(t *testing.T) trainingSetup {
	t.Helper()
	e := apptest.New(t)
	pid, coordID, tok, w := coordWeb(t, e, "Kolkata Beads")
	ctx := context.Background()
	track, err := e.App.Training.CreateTrack(ctx, e.Actor(coordID), pid, training.TrackInput{Name: "Kantha embroidery",
		Milestones: []training.MilestoneInput{{Title: "Running stitch", RequiresEvidence: true}, {Title: "Kantha motif"}}})
	if err != nil {
		t.Fatal(err)
	}
	maker, _ := e.Maker(pid, tok)
	enr, err := e.App.Training.Enroll(ctx, e.Actor(coordID), track.ID, training.EnrollInput{MakerID: maker})
	if err != nil {
		t.Fatal(err)
	}
	return trainingSetup{e: e, pid: pid, coordID: coordID, tok: tok, coord: w, maker: maker, track: track, enr: enr}
}

// outsiders are another program's coordinator and another maker, signed in.
func (s trainingSetup) outsiders(t *testing.T) (otherCoord, otherMaker *web) {
	t.Helper()
	prog := s.e.Program("Mumbai Tailoring")
	oc, _ := s.e.Coordinator(prog)
	om, _ := s.e.Maker(s.pid, s.tok)
	return signIn(t, s.e, oc), signIn(t, s.e, om)
}

func (s trainingSetup) progress(t *testing.T) training.EnrollmentProgress {
	t.Helper()
	ps, err := s.e.App.Training.MakerProgress(context.Background(), s.e.Actor(s.coordID), s.maker)
	if err != nil || len(ps) != 1 {
		t.Fatalf("progress %+v, %v", ps, err)
	}
	return ps[0]
}

// TestSignOffEvidence: a step that needs a photo says so; signing it off without one is refused
// with the reason next to the photo field (in the coordinator's language), the form open; with a
// JPEG it is signed off, its evidence is recorded and the stored photo has no EXIF left.
// Another program's coordinator and a maker get 404.
func TestSignOffEvidence(t *testing.T) {
	s := newTrainingSetup(t)
	ms := s.track.Milestones[0].ID
	page := "/coordinator/makers/" + s.maker
	must(t, s.coord.get(page), http.StatusOK, "photo needed", "A photo of the work, never of a face.",
		"This step cannot be signed off without it.", `id="ev-`+ms+`" type="file" name="photo"`)

	fields := map[string]string{"enrollment": s.enr.ID, "milestone": ms}
	p := s.coord.postMultipart(page+"/milestones", fields, nil)
	must(t, p, http.StatusUnprocessableEntity, `<details class="confirm" open>`)
	if got := fieldError(t, p, "e-ev-"+ms); got != "This step needs a photo of the work. Choose one, then sign off." {
		t.Fatalf("no photo says %q", got)
	}
	p = s.coord.postMultipart(page+"/milestones?lang=bn", fields, nil)
	if got := fieldError(t, p, "e-ev-"+ms); !strings.Contains(got, "কাজের ছবি দরকার") {
		t.Fatalf("no photo in Bengali says %q", got)
	}
	p = s.coord.postMultipart(page+"/milestones?lang=en", fields, []byte("not a photo"))
	must(t, p, http.StatusBadRequest)
	if got := fieldError(t, p, "e-ev-"+ms); got != "This kind of photo cannot be used. Please use JPEG, PNG or WebP." {
		t.Fatalf("a file that is no photo says %q", got)
	}
	if s.progress(t).Progress.Completed != 0 {
		t.Fatal("signed off without a photo")
	}

	otherCoord, otherMaker := s.outsiders(t)
	photo := withEXIF(t, testJPEG(t, 800, 600))
	must(t, otherCoord.postMultipart(page+"/milestones", fields, photo), http.StatusNotFound)
	must(t, otherMaker.postMultipart(page+"/milestones", fields, photo), http.StatusNotFound)
	// This maker's page cannot sign off another maker's enrolment.
	rupa, _ := s.e.Maker(s.pid, s.tok)
	must(t, s.coord.postMultipart("/coordinator/makers/"+rupa+"/milestones", fields, photo), http.StatusNotFound)
	if s.progress(t).Progress.Completed != 0 {
		t.Fatal("an outsider signed off")
	}

	p = s.coord.postMultipart(page+"/milestones", fields, photo)
	must(t, p, http.StatusOK, "Milestone signed off.", "1 of 2 steps done")
	got := s.progress(t).Milestones[0]
	if !got.Done || got.EvidenceID == "" || got.EvidenceURL != training.EvidencePath+got.EvidenceID {
		t.Fatalf("the signed-off step %+v", got)
	}
	if !strings.Contains(p.Body, `href="`+got.EvidenceURL+`"`) {
		t.Fatal("the page does not link the photo of the work")
	}
	rc, _, err := s.e.App.Training.EvidencePhoto(context.Background(), s.e.Actor(s.coordID), got.EvidenceID, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(rc)
	_ = rc.Close()
	if _, err := jpeg.Decode(bytes.NewReader(stored)); err != nil {
		t.Fatalf("stored evidence is not a JPEG: %v", err)
	}
	if bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, []byte("GPSLatitude")) {
		t.Fatal("the stored evidence photo kept its EXIF")
	}
	// The second step needs no photo.
	p = s.coord.postMultipart(page+"/milestones", map[string]string{"enrollment": s.enr.ID, "milestone": s.track.Milestones[1].ID}, nil)
	must(t, p, http.StatusOK, "Milestone signed off.", "Certificate ready.")
}

// TestWithdrawEnrolment: the training section offers to stop an active enrolment behind a
// confirmation; a reason is needed (said next to it); after the form the enrolment shows as
// stopped with its steps kept, and offers no sign-off. Outsiders get 404.
func TestWithdrawEnrolment(t *testing.T) {
	s := newTrainingSetup(t)
	page := "/coordinator/makers/" + s.maker
	action := page + "/enrollments/" + s.enr.ID + "/withdraw"
	must(t, s.coord.get(page), http.StatusOK, `<details class="confirm"><summary class="btn bad">Stop this training`, `action="`+action+`"`)

	p := s.coord.post(action+"?lang=hi", url.Values{"reason": {"  "}})
	must(t, p, http.StatusBadRequest, `<details class="confirm" open><summary class="btn bad">`)
	if got := fieldError(t, p, "e-wr-"+s.enr.ID); got != "यह भरना ज़रूरी है।" {
		t.Fatalf("no reason says %q", got)
	}
	otherCoord, otherMaker := s.outsiders(t)
	must(t, otherCoord.post(action, url.Values{"reason": {"Moved away"}}), http.StatusNotFound)
	must(t, otherMaker.post(action, url.Values{"reason": {"Moved away"}}), http.StatusNotFound)
	rupa, _ := s.e.Maker(s.pid, s.tok)
	must(t, s.coord.post("/coordinator/makers/"+rupa+"/enrollments/"+s.enr.ID+"/withdraw", url.Values{"reason": {"Moved away"}}), http.StatusNotFound)
	if s.progress(t).Status != training.StatusActive {
		t.Fatal("an outsider withdrew the enrolment")
	}

	p = s.coord.post(action+"?lang=en", url.Values{"reason": {"Moved to her sister's village"}})
	must(t, p, http.StatusOK, "The training is stopped.", `<span class="status st-cancelled">Stopped</span>`, "0 of 2 steps done")
	if strings.Contains(p.Body, `action="`+action+`"`) || strings.Contains(p.Body, `name="milestone" value="`+s.track.Milestones[0].ID+`"`) {
		t.Fatal("a stopped enrolment still offers to stop it or sign it off")
	}
	if pr := s.progress(t); pr.Status != training.StatusWithdrawn || pr.WithdrawnOn.IsZero() {
		t.Fatalf("after withdrawing: %+v", pr)
	}
	d, err := s.e.App.Training.EnrollmentDetail(context.Background(), s.e.Actor(s.coordID), s.enr.ID)
	if err != nil || d.WithdrawReason != "Moved to her sister's village" {
		t.Fatalf("the reason kept: %q, %v", d.WithdrawReason, err)
	}
	// A second post (the back button) says it is no longer active.
	p = s.coord.post(action, url.Values{"reason": {"Again"}})
	must(t, p, http.StatusConflict, `<p class="alert" role="alert">This training is finished or stopped, so it cannot be changed.</p>`)
}

// TestMakerCertificate: once every step is signed off, her home shows the certificate's link
// and the name on it; she changes the name (a name too short is said next to the field), and it
// shows on her certificate and its public check. Her coordinator changes it for her only with
// "she asked" ticked. Another maker and another program's coordinator get 404.
func TestMakerCertificate(t *testing.T) {
	s := newTrainingSetup(t)
	ctx := context.Background()
	coord := s.e.Actor(s.coordID)
	for _, m := range s.track.Milestones {
		var photo io.Reader
		if m.RequiresEvidence {
			photo = bytes.NewReader(testJPEG(t, 400, 300))
		}
		if _, err := s.e.App.Training.SignOff(ctx, coord, s.enr.ID, m.ID, training.SignOffInput{}, photo); err != nil {
			t.Fatal(err)
		}
	}
	pr := s.progress(t)
	if pr.Certificate == nil {
		t.Fatalf("no certificate after every step: %+v", pr)
	}
	code := pr.Certificate.Code
	maker := signIn(t, s.e, s.maker)
	home := maker.get("/maker")
	view := "/maker/training/" + s.enr.ID + "/certificate"
	must(t, home, http.StatusOK, "Certificate ready.", `href="`+view+`"`, `action="/maker/training/`+s.enr.ID+`/certificate-name"`,
		`value="default" checked`, "Shop name: ")
	p := maker.get(view)
	must(t, p, http.StatusOK, "Kantha embroidery", "Kolkata Beads", `href="/verify/`+code+`"`, `href="`+view+`?print=1"`, "You choose.")
	if !strings.Contains(p.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("certificate page cache: %q", p.Header.Get("Cache-Control"))
	}
	must(t, maker.get(view+"?print=1"), http.StatusOK, "Certificate of Completion", "Kantha embroidery")

	name := "/maker/training/" + s.enr.ID + "/certificate-name"
	p = maker.post(name+"?lang=bn", url.Values{"choice": {"chosen"}, "name": {"R"}})
	must(t, p, http.StatusBadRequest, `value="R"`, `value="chosen" checked`)
	if got := fieldError(t, p, "e-name-"+s.enr.ID); !strings.Contains(got, "2") {
		t.Fatalf("a one-letter name says %q", got)
	}
	p = maker.post(name+"?lang=en", url.Values{"choice": {"chosen"}, "name": {""}})
	if got := fieldError(t, p, "e-name-"+s.enr.ID); got != "This is needed." {
		t.Fatalf("no name says %q", got)
	}
	p = maker.post(name, url.Values{"choice": {"chosen"}, "name": {"  Rupa   Devi "}})
	must(t, p, http.StatusOK, "The name is saved.", "Name on it: Rupa Devi", `value="chosen" checked`)
	if maker.url != "/maker" {
		t.Fatalf("after saving the name: at %s", maker.url)
	}
	must(t, newWeb(t, s.e).get("/verify/"+code), http.StatusOK, "Rupa Devi")

	// Outsiders.
	otherCoord, otherMaker := s.outsiders(t)
	must(t, otherMaker.get(view), http.StatusNotFound)
	must(t, otherMaker.get(view+"?print=1"), http.StatusNotFound)
	must(t, otherMaker.post(name, url.Values{"choice": {"chosen"}, "name": {"Taken"}}), http.StatusNotFound)
	cbase := "/coordinator/makers/" + s.maker + "/enrollments/" + s.enr.ID
	for _, w := range []*web{otherCoord, otherMaker} {
		must(t, w.get(cbase+"/certificate"), http.StatusNotFound)
		must(t, w.post(cbase+"/certificate-name", url.Values{"choice": {"chosen"}, "name": {"Taken"}, "asked": {"yes"}}), http.StatusNotFound)
	}
	must(t, otherCoord.get(view), http.StatusNotFound) // a coordinator has no maker pages
	rupa, _ := s.e.Maker(s.pid, s.tok)
	must(t, s.coord.get("/coordinator/makers/"+rupa+"/enrollments/"+s.enr.ID+"/certificate"), http.StatusNotFound)
	if d, _ := s.e.App.Training.EnrollmentCertificate(ctx, coord, s.enr.ID); d.Name != "Rupa Devi" {
		t.Fatalf("outsiders changed the name to %q", d.Name)
	}

	// Her coordinator, for her, when she asked.
	must(t, s.coord.get("/coordinator/makers/"+s.maker), http.StatusOK, `href="`+cbase+`/certificate"`, `action="`+cbase+`/certificate-name"`, "She asked for this name")
	p = s.coord.post(cbase+"/certificate-name", url.Values{"choice": {"default"}})
	must(t, p, http.StatusBadRequest)
	if got := fieldError(t, p, "e-asked-"+s.enr.ID); !strings.Contains(got, "the name is her choice") {
		t.Fatalf("without her asking says %q", got)
	}
	p = s.coord.post(cbase+"/certificate-name", url.Values{"choice": {"default"}, "asked": {"yes"}})
	must(t, p, http.StatusOK, "The name is saved.")
	d, err := s.e.App.Training.EnrollmentCertificate(ctx, coord, s.enr.ID)
	if err != nil || d.NameSource != training.NameDisplay {
		t.Fatalf("after going back to the usual name: %+v, %v", d, err)
	}
	must(t, s.coord.get(cbase+"/certificate"), http.StatusOK, d.Name, `href="/verify/`+code+`"`, "She chooses.", "She asked for this name")
}
