package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/training"
)

// coordWeb signs a coordinator of a new program in through the pages; it returns the program,
// the coordinator's user id and API token, and her browser.
func coordWeb(t *testing.T, e *apptest.Env, name string) (pid, coordID, tok string, w *web) {
	t.Helper()
	pid = e.Program(name)
	coordID, tok = e.Coordinator(pid)
	u, err := e.App.Accounts.User(context.Background(), coordID)
	if err != nil {
		t.Fatal(err)
	}
	w = newWeb(t, e)
	w.login(u.Login, apptest.Password)
	return pid, coordID, tok, w
}

// invitedMaker registers a maker who has not yet accepted her invitation, and returns her id.
func invitedMaker(t *testing.T, e *apptest.Env, pid, tok, name string) string {
	t.Helper()
	r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+pid+"/makers", tok, map[string]any{
		"displayName": name, "legalName": "Legal " + name,
		"consent": map[string]bool{"publicProfile": false, "story": false, "workPhotos": false}})
	return r.Str("id")
}

// fieldError returns the message shown next to the field whose error span has id.
func fieldError(t *testing.T, p page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<span class="err" id="` + regexp.QuoteMeta(id) + `">([^<]*)</span>`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("%s: no message next to %s\n%s", p.URL, id, p.Body)
	}
	return m[1]
}

// TestEnrolPage: a newly invited maker shows "No training yet" with a way to enrol her; a bad
// date, a missing track and a track she is on already are said next to the field in her
// coordinator's language with what was typed kept; an enrolment shows her steps.
func TestEnrolPage(t *testing.T) {
	e := apptest.New(t)
	pid, coordID, tok, w := coordWeb(t, e, "Kolkata Beads")
	ctx := context.Background()
	track, err := e.App.Training.CreateTrack(ctx, e.Actor(coordID), pid, training.TrackInput{Name: "Bead work",
		Milestones: []training.MilestoneInput{{Title: "Stringing"}, {Title: "Clasps"}}})
	if err != nil {
		t.Fatal(err)
	}
	maker := invitedMaker(t, e, pid, tok, "Rupa")
	must(t, w.get("/coordinator/makers/"+maker), http.StatusOK, "No training yet.", `href="/coordinator/makers/`+maker+`/enrol"`)
	must(t, w.get("/coordinator/makers/"+maker+"/enrol"), http.StatusOK, `value="`+track.ID+`"`, "Bead work", "2 steps", `name="enrolledOn" type="date"`)

	p := w.post("/coordinator/makers/"+maker+"/enrol?lang=hi", url.Values{"track": {track.ID}, "enrolledOn": {"14-03-2025"}})
	must(t, p, http.StatusBadRequest, `value="14-03-2025"`, `value="`+track.ID+`" checked`)
	if got := fieldError(t, p, "e-enrolledOn"); got != "तारीख़ ऐसे लिखें: 2025-03-14।" {
		t.Fatalf("bad date says %q", got)
	}
	p = w.post("/coordinator/makers/"+maker+"/enrol?lang=bn", url.Values{"track": {track.ID}, "enrolledOn": {time.Now().AddDate(0, 0, 5).Format("2006-01-02")}})
	must(t, p, http.StatusBadRequest)
	if got := fieldError(t, p, "e-enrolledOn"); !strings.Contains(got, "এই তারিখ এখনও আসেনি") {
		t.Fatalf("a future date says %q", got)
	}
	p = w.post("/coordinator/makers/"+maker+"/enrol?lang=en", url.Values{"enrolledOn": {"2025-03-14"}})
	must(t, p, http.StatusBadRequest, `value="2025-03-14"`)
	if got := fieldError(t, p, "e-track"); got != "This is needed." {
		t.Fatalf("no track says %q", got)
	}
	if eps, _ := e.App.Training.MakerProgress(ctx, e.Actor(coordID), maker); len(eps) != 0 {
		t.Fatalf("a refused form enrolled her: %+v", eps)
	}

	p = w.post("/coordinator/makers/"+maker+"/enrol", url.Values{"track": {track.ID}, "enrolledOn": {"2025-03-14"}})
	must(t, p, http.StatusOK, "Enrolled. Her steps are below.", "Bead work", "0 of 2 steps done")
	eps, err := e.App.Training.MakerProgress(ctx, e.Actor(coordID), maker)
	if err != nil || len(eps) != 1 || eps[0].TrackID != track.ID || eps[0].EnrolledOn.String() != "2025-03-14" {
		t.Fatalf("enrolments %+v, %v", eps, err)
	}
	p = w.post("/coordinator/makers/"+maker+"/enrol", url.Values{"track": {track.ID}, "enrolledOn": {""}})
	must(t, p, http.StatusConflict)
	if got := fieldError(t, p, "e-track"); got != "She is on this track already. Choose another track." {
		t.Fatalf("a second enrolment says %q", got)
	}

	// Another program's coordinator finds neither the form nor the action, and enrols nobody.
	_, _, _, other := coordWeb(t, e, "Mumbai Tailoring")
	must(t, other.get("/coordinator/makers/"+maker+"/enrol"), http.StatusNotFound)
	must(t, other.post("/coordinator/makers/"+maker+"/enrol", url.Values{"track": {track.ID}}), http.StatusNotFound)
	if eps, _ := e.App.Training.MakerProgress(ctx, e.Actor(coordID), maker); len(eps) != 1 {
		t.Fatalf("enrolments after the other coordinator's post: %+v", eps)
	}
}

// TestTrackForm: a coordinator creates a track from the training page, then renames, removes,
// adds and reorders its steps: milestones kept keep their ids, and an unchanged save makes no
// new version. Bad entries are said next to their fields, in Bengali too, with what was typed.
func TestTrackForm(t *testing.T) {
	e := apptest.New(t)
	pid, coordID, _, w := coordWeb(t, e, "Kolkata Beads")
	ctx := context.Background()
	coord := e.Actor(coordID)
	must(t, w.get("/coordinator/programs/"+pid+"/training"), http.StatusOK, `href="/coordinator/programs/`+pid+`/tracks/new"`)
	must(t, w.get("/coordinator/programs/"+pid+"/tracks/new"), http.StatusOK, `name="rows" value="3"`, `name="title_0"`)

	base := url.Values{"name": {"Hand embroidery"}, "description": {"Stitches on cotton"}, "rows": {"3"},
		"title_0": {"Running stitch"}, "hours_0": {"6"}, "title_1": {"Chain stitch"}, "evidence_1": {"1"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	p := w.post("/coordinator/programs/"+pid+"/tracks?lang=bn", with("hours_0", "lots"))
	must(t, p, http.StatusBadRequest, `value="lots"`, `value="Hand embroidery"`, `value="Chain stitch"`)
	if got := fieldError(t, p, "e-hours-0"); got != "ঘণ্টা 0-র বেশি সংখ্যায় লিখুন, যেমন 6 বা 1.5।" {
		t.Fatalf("bad hours say %q", got)
	}
	p = w.post("/coordinator/programs/"+pid+"/tracks?lang=hi", with("name", "A"))
	must(t, p, http.StatusBadRequest, `id="f-name" name="name" type="text" value="A"`)
	if got := fieldError(t, p, "e-name"); got != "कम से कम 2 अक्षर लिखें।" {
		t.Fatalf("a short name says %q", got)
	}
	p = w.post("/coordinator/programs/"+pid+"/tracks?lang=en", url.Values{"name": {"No steps"}, "rows": {"3"}})
	must(t, p, http.StatusBadRequest, "Add at least one step.")
	if ts, _ := e.App.Training.Tracks(ctx, coord, pid); len(ts) != 0 {
		t.Fatalf("a refused form made tracks: %+v", ts)
	}

	p = w.post("/coordinator/programs/"+pid+"/tracks", base)
	must(t, p, http.StatusOK, "The track is saved.", "Hand embroidery")
	ts, err := e.App.Training.Tracks(ctx, coord, pid)
	if err != nil || len(ts) != 1 || len(ts[0].Milestones) != 2 || ts[0].Milestones[0].Hours != 6 || !ts[0].Milestones[1].RequiresEvidence {
		t.Fatalf("tracks %+v, %v", ts, err)
	}
	tr := ts[0]
	run, chain := tr.Milestones[0].ID, tr.Milestones[1].ID
	edit := w.get("/coordinator/tracks/" + tr.ID)
	must(t, edit, http.StatusOK, `value="Hand embroidery"`, `name="id_0" value="`+run+`"`, `name="rows" value="5"`, "This is version 1.")

	// Rename the first, remove the second, add a step and put it first.
	p = w.post("/coordinator/tracks/"+tr.ID, url.Values{"name": {"Hand embroidery"}, "description": {"Stitches on cotton"}, "rows": {"5"},
		"id_0": {run}, "title_0": {"Running stitch, even"}, "hours_0": {"6"}, "order_0": {"2"},
		"id_1": {chain}, "title_1": {"Chain stitch"}, "order_1": {"3"}, "remove_1": {"1"},
		"title_2": {"Threading a needle"}, "order_2": {"1"}})
	must(t, p, http.StatusOK, "The track is saved.")
	v, err := e.App.Training.Track(ctx, coord, tr.ID, 0)
	if err != nil || v.Version != 2 || len(v.Milestones) != 2 || v.Milestones[0].Title != "Threading a needle" ||
		v.Milestones[1].ID != run || v.Milestones[1].Title != "Running stitch, even" {
		t.Fatalf("after the edit: %+v, %v", v, err)
	}
	// Saved again as it is: no new version.
	must(t, w.post("/coordinator/tracks/"+tr.ID, url.Values{"name": {"Hand embroidery"}, "description": {"Stitches on cotton"}, "rows": {"2"},
		"id_0": {v.Milestones[0].ID}, "title_0": {"Threading a needle"}, "order_0": {"1"},
		"id_1": {run}, "title_1": {"Running stitch, even"}, "hours_1": {"6"}, "order_1": {"2"}}), http.StatusOK, "The track is saved.")
	if v, _ = e.App.Training.Track(ctx, coord, tr.ID, 0); v.Version != 2 {
		t.Fatalf("an unchanged save made version %d", v.Version)
	}
	// An emptied step title and an emptied name are refused, with the rest kept.
	p = w.post("/coordinator/tracks/"+tr.ID+"?lang=en", url.Values{"name": {""}, "rows": {"1"}, "id_0": {run}, "title_0": {""}, "order_0": {"x"}})
	must(t, p, http.StatusBadRequest)
	if got := fieldError(t, p, "e-name"); got != "This is needed." {
		t.Fatalf("an emptied name says %q", got)
	}
	if got := fieldError(t, p, "e-order-0"); got != "Write a whole number, for example 3." {
		t.Fatalf("a bad place says %q", got)
	}
	p = w.post("/coordinator/tracks/"+tr.ID+"?lang=en", url.Values{"name": {"Hand embroidery"}, "rows": {"1"}, "id_0": {run}, "title_0": {""}, "hours_0": {"2"}})
	must(t, p, http.StatusBadRequest, `name="hours_0" type="text" inputmode="decimal" maxlength="8" value="2"`)
	if got := fieldError(t, p, "e-title-0"); got != "This is needed." {
		t.Fatalf("an emptied step says %q", got)
	}
	// Every step removed: refused next to the steps, the removed one still ticked.
	p = w.post("/coordinator/tracks/"+tr.ID+"?lang=en", url.Values{"name": {"Hand embroidery"}, "rows": {"1"}, "id_0": {run}, "title_0": {"Running stitch, even"}, "remove_0": {"1"}})
	must(t, p, http.StatusBadRequest, `<span class="err" role="alert">Add at least one step.</span>`, `name="remove_0" value="1" checked`)
	if v, _ = e.App.Training.Track(ctx, coord, tr.ID, 0); v.Version != 2 || len(v.Milestones) != 2 {
		t.Fatalf("a refused edit made version %d with %d steps", v.Version, len(v.Milestones))
	}

	// Another program's coordinator gets 404 for every track route, and changes nothing.
	_, _, _, other := coordWeb(t, e, "Mumbai Tailoring")
	must(t, other.get("/coordinator/tracks/"+tr.ID), http.StatusNotFound)
	must(t, other.post("/coordinator/tracks/"+tr.ID, url.Values{"name": {"Taken over"}, "rows": {"0"}}), http.StatusNotFound)
	must(t, other.get("/coordinator/programs/"+pid+"/tracks/new"), http.StatusNotFound)
	must(t, other.post("/coordinator/programs/"+pid+"/tracks", base), http.StatusNotFound)
	if ts, _ := e.App.Training.Tracks(ctx, coord, pid); len(ts) != 1 || ts[0].Name != "Hand embroidery" || ts[0].Version != 2 {
		t.Fatalf("tracks after the other coordinator's posts: %+v", ts)
	}
}

// completed enrols a maker on track and signs off every milestone on day (the track must have
// one milestone).
func completed(t *testing.T, e *apptest.Env, coordID, trackID, milestoneID, makerID string, day time.Time) {
	t.Helper()
	ctx := context.Background()
	coord := e.Actor(coordID)
	enr, err := e.App.Training.Enroll(ctx, coord, trackID, training.EnrollInput{MakerID: makerID, EnrolledOn: day.AddDate(0, -2, 0).Format("2006-01-02")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Training.SignOff(ctx, coord, enr.ID, milestoneID, training.SignOffInput{CompletedOn: day.Format("2006-01-02")}, nil); err != nil {
		t.Fatal(err)
	}
}

var tileRE = regexp.MustCompile(`href="#followups"><span><span class="n">(\d+)</span>`)

// TestFollowUpForm: the training page lists only the follow-ups owed now, as many as its tile
// (and the dashboard's) says; one is recorded from its own form and leaves the list; a bad
// income, a missing status and a day outside the follow-up's window come back on that form.
// Also: "1 class held", not "1 classes held".
func TestFollowUpForm(t *testing.T) {
	e := apptest.New(t)
	pid, coordID, tok, w := coordWeb(t, e, "Kolkata Beads")
	ctx := context.Background()
	coord := e.Actor(coordID)
	track, err := e.App.Training.CreateTrack(ctx, coord, pid, training.TrackInput{Name: "Bead work",
		Milestones: []training.MilestoneInput{{Title: "Stringing"}}})
	if err != nil {
		t.Fatal(err)
	}
	ms := track.Milestones[0].ID
	threeMonths := time.Now().UTC().AddDate(0, -3, 0)
	rupa, _ := e.Maker(pid, tok)
	asha, _ := e.Maker(pid, tok)
	recent, _ := e.Maker(pid, tok)
	completed(t, e, coordID, track.ID, ms, rupa, threeMonths)
	completed(t, e, coordID, track.ID, ms, asha, threeMonths)
	completed(t, e, coordID, track.ID, ms, recent, time.Now().UTC().AddDate(0, 0, -10)) // nothing due yet

	p := w.get("/coordinator/programs/" + pid + "/training")
	must(t, p, http.StatusOK, "0 learning, 3 completed, 0 classes held.")
	if n := tileRE.FindStringSubmatch(p.Body); n == nil || n[1] != "2" || strings.Count(p.Body, `/outcomes"`) != 2 {
		t.Fatalf("follow-ups: tile %v, %d forms, want 2 and 2\n%s", n, strings.Count(p.Body, `/outcomes"`), p.Body)
	}
	if strings.Contains(p.Body, `action="/coordinator/makers/`+recent+`/outcomes"`) {
		t.Fatal("a follow-up not yet due is listed")
	}
	must(t, w.get("/coordinator/programs/"+pid), http.StatusOK, `href="/coordinator/programs/`+pid+`/training"><span><span class="n">2</span>`)

	r, err := e.App.Training.ProgramReport(ctx, coord, pid)
	if err != nil {
		t.Fatal(err)
	}
	var due, upcoming training.FollowUp
	for _, f := range r.FollowUps {
		if f.MakerID == rupa && f.Months == 3 {
			due = f
		}
		if f.MakerID == recent && f.Months == 3 {
			upcoming = f
		}
	}
	if due.Status != training.FollowUpDue || upcoming.Status != training.FollowUpUpcoming {
		t.Fatalf("follow-ups of the report: %+v, %+v", due, upcoming)
	}
	from, _ := due.Window()
	action := "/coordinator/makers/" + rupa + "/outcomes"
	form := func(kv ...string) url.Values {
		v := url.Values{"enrollment": {due.EnrollmentID}, "months": {"3"}, "status": {"employed"}, "income": {"8000"},
			"verification": {"verified_document"}, "notes": {"Works at a boutique in Salt Lake"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	key := due.EnrollmentID + "-3"
	p = w.post(action+"?lang=hi", form("income", "lots"))
	must(t, p, http.StatusBadRequest, `value="lots"`, `<option value="employed" selected>`, `<option value="verified_document" selected>`, "Works at a boutique in Salt Lake", "<details class=\"confirm\" open>")
	if got := fieldError(t, p, "e-in-"+key); got != "रकम लिखें, जैसे 250 या 250.50।" {
		t.Fatalf("a bad income says %q", got)
	}
	p = w.post(action+"?lang=bn", form("status", ""))
	must(t, p, http.StatusBadRequest, `value="8000"`)
	if got := fieldError(t, p, "e-st-"+key); got != "এটি ভরা দরকার।" {
		t.Fatalf("a missing status says %q", got)
	}
	p = w.post(action+"?lang=en", form("date", from.AddDate(0, 0, -1).Format("2006-01-02")))
	must(t, p, http.StatusBadRequest)
	if got := fieldError(t, p, "e-od-"+key); !strings.HasPrefix(got, "For this follow-up choose a day from ") {
		t.Fatalf("a day outside the window says %q", got)
	}
	if os, _ := e.App.Training.Outcomes(ctx, coord, rupa); len(os) != 0 {
		t.Fatalf("a refused form recorded %+v", os)
	}

	p = w.post(action, form())
	must(t, p, http.StatusOK, "The follow-up is saved.")
	if n := tileRE.FindStringSubmatch(p.Body); n == nil || n[1] != "1" || strings.Contains(p.Body, `action="`+action+`"`) {
		t.Fatalf("after recording: tile %v, her form still listed %v", n, strings.Contains(p.Body, `action="`+action+`"`))
	}
	os, err := e.App.Training.Outcomes(ctx, coord, rupa)
	if err != nil || len(os) != 1 || os[0].Status != "employed" || os[0].MonthlyIncome == nil || *os[0].MonthlyIncome != 800000 ||
		os[0].Verification != "verified_document" || os[0].Notes != "Works at a boutique in Salt Lake" {
		t.Fatalf("outcomes %+v, %v", os, err)
	}
	// A follow-up she does not have, or one not due yet, is not there.
	must(t, w.post(action, form("enrollment", "not-an-enrolment")), http.StatusNotFound)
	must(t, w.post("/coordinator/makers/"+recent+"/outcomes", form("enrollment", upcoming.EnrollmentID)), http.StatusNotFound)
	// A second tap records nothing more.
	must(t, w.post(action, form()), http.StatusOK, "The follow-up is saved.")
	if os, _ = e.App.Training.Outcomes(ctx, coord, rupa); len(os) != 1 {
		t.Fatalf("a second tap recorded %d outcomes", len(os))
	}

	// One class: "1 class held", in each language's plural.
	second, _ := e.Maker(pid, tok)
	if _, err := e.App.Training.Enroll(ctx, coord, track.ID, training.EnrollInput{MakerID: second}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Training.RecordSession(ctx, coord, track.ID, training.SessionInput{Topic: "Clasps", Present: []string{second}}); err != nil {
		t.Fatal(err)
	}
	must(t, w.get("/coordinator/programs/"+pid+"/training?lang=en"), http.StatusOK, "1 learning, 3 completed, 1 class held.")
	must(t, w.get("/coordinator/programs/"+pid+"/training?lang=hi"), http.StatusOK, "1 कक्षा हुई।")

	// Another program's coordinator cannot record her follow-up.
	_, _, _, other := coordWeb(t, e, "Mumbai Tailoring")
	must(t, other.post("/coordinator/makers/"+asha+"/outcomes", form("enrollment", "x")), http.StatusNotFound)
	if os, _ := e.App.Training.Outcomes(ctx, coord, asha); len(os) != 0 {
		t.Fatalf("the other coordinator recorded %+v", os)
	}
}
