package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
)

// TestTrainingPermissions checks who may read and change training records: coordinators of the
// program (and admins) manage; the maker reads their own; everyone else gets 404, anonymous 401.
func TestTrainingPermissions(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	e := w.e
	trackID, ms := w.createTrack(w.p1, w.c1, goldsmithing())
	en := w.enroll(trackID, w.m1, w.c1)
	w.signOff(en, ms[0], w.c1, map[string]any{"notes": "private note about her"})

	type call struct {
		name, method, path string
		body               any
	}
	calls := []call{
		{"read enrolment", "GET", "/api/v1/enrollments/" + en, nil},
		{"list maker's enrolments", "GET", "/api/v1/makers/" + w.m1 + "/enrollments", nil},
		{"list outcomes", "GET", "/api/v1/makers/" + w.m1 + "/outcomes", nil},
		{"read track", "GET", "/api/v1/tracks/" + trackID, nil},
		{"list tracks", "GET", "/api/v1/programs/" + w.p1 + "/tracks", nil},
		{"read selling gates", "GET", "/api/v1/programs/" + w.p1 + "/selling-gates", nil},
		{"sign off", "POST", "/api/v1/enrollments/" + en + "/milestones/" + ms[1] + "/complete", map[string]any{}},
		{"undo", "POST", "/api/v1/enrollments/" + en + "/milestones/" + ms[0] + "/undo", map[string]any{"reason": "a test reason"}},
		{"withdraw", "POST", "/api/v1/enrollments/" + en + "/withdraw", map[string]any{}},
		{"enrol", "POST", "/api/v1/tracks/" + trackID + "/enrollments", map[string]any{"makerId": w.m2}},
		{"record a session", "POST", "/api/v1/tracks/" + trackID + "/sessions", map[string]any{"topic": "Soldering", "present": []string{}}},
		{"edit track", "PATCH", "/api/v1/tracks/" + trackID, map[string]any{"name": "Goldsmithing basics"}},
		{"create track", "POST", "/api/v1/programs/" + w.p1 + "/tracks", goldsmithing()},
		{"report", "GET", "/api/v1/programs/" + w.p1 + "/training-report", nil},
		{"report CSV", "GET", "/api/v1/programs/" + w.p1 + "/training-report?format=csv", nil},
		{"set selling gates", "PUT", "/api/v1/programs/" + w.p1 + "/selling-gates", map[string]any{"gates": []any{}}},
	}
	// What the maker may do on their own record; coordinators may do everything.
	makerMay := map[string]int{"read enrolment": 200, "list maker's enrolments": 200, "list outcomes": 200,
		"read track": 200, "list tracks": 200, "read selling gates": 200,
		"sign off": 403, "undo": 403, "withdraw": 403, "enrol": 403, "record a session": 403,
		"edit track": 404, "create track": 404, "report": 404, "report CSV": 404, "set selling gates": 404}

	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			for who, tok := range map[string]string{"other program's coordinator": w.c2, "other maker in the program": w.m2t,
				"maker in another program": w.m3t, "buyer": w.buyer} {
				want := http.StatusNotFound
				if who == "other maker in the program" && (c.name == "read track" || c.name == "list tracks" || c.name == "read selling gates" ||
					c.name == "enrol" || c.name == "record a session") {
					want = makerMay[c.name] // a maker of the program may see its tracks, not change them
				}
				if r := e.Do(c.method, c.path, tok, c.body); r.Status != want {
					t.Errorf("%s: status %d, want %d; %s", who, r.Status, want, r.Body)
				}
			}
			if r := e.Do(c.method, c.path, "", c.body); r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous: status %d, want 401", r.Status)
			}
			if r := e.Do(c.method, c.path, w.m1t, c.body); r.Status != makerMay[c.name] {
				t.Errorf("the maker: status %d, want %d; %s", r.Status, makerMay[c.name], r.Body)
			}
		})
	}
	t.Run("nothing leaks in a not-found answer", func(t *testing.T) {
		r := e.Must(http.StatusNotFound, "GET", "/api/v1/enrollments/"+en, w.c2, nil)
		if strings.Contains(string(r.Body), "private note") || strings.Contains(string(r.Body), w.m1) {
			t.Fatalf("404 body leaks: %s", r.Body)
		}
		missing := e.Must(http.StatusNotFound, "GET", "/api/v1/enrollments/000000000000000000000000", w.c2, nil)
		if missing.ErrCode() != r.ErrCode() {
			t.Fatalf("an existing record answers differently (%q) from a missing one (%q)", r.ErrCode(), missing.ErrCode())
		}
	})
	t.Run("admins and the program's coordinators may do it all", func(t *testing.T) {
		e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en, e.AdminToken, nil)
		e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.p1+"/training-report", e.AdminToken, nil)
		e.Must(http.StatusOK, "POST", "/api/v1/enrollments/"+en+"/milestones/"+ms[1]+"/complete", e.AdminToken, map[string]any{})
	})
}

// TestTrainingSellingGate: a program can require a completed track before a maker publishes in a
// category; the catalog asks MissingTraining and refuses with the track's name.
func TestTrainingSellingGate(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	e := w.e
	ctx := context.Background()
	hallmark, hms := w.createTrack(w.p1, w.c1, map[string]any{"name": "Hallmarking sign-off", "description": "BIS hallmarking rules for gold.",
		"milestones": []map[string]any{{"title": "Purity and hallmark marks", "requiresEvidence": false}}})
	otherTrack, _ := w.createTrack(w.p2, w.c2, map[string]any{"name": "Tailoring", "milestones": []map[string]any{{"title": "Hemming"}}})

	missing := func(makerID, category string) string {
		t.Helper()
		name, err := e.App.Training.MissingTraining(ctx, w.p1, makerID, category)
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	if got := missing(w.m1, "Gold jewellery"); got != "" {
		t.Fatalf("no gates yet, missing = %q", got)
	}
	t.Run("settings", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "PUT", "/api/v1/programs/"+w.p1+"/selling-gates", w.c1, map[string]any{
			"gates": []map[string]string{{"category": "Gold jewellery", "trackId": otherTrack}}})
		if trObj(r.JSON, "error", "fields", "gates[0].trackId") == nil {
			t.Fatalf("another program's track: %s", r.Body)
		}
		e.Must(http.StatusBadRequest, "PUT", "/api/v1/programs/"+w.p1+"/selling-gates", w.c1, map[string]any{
			"gates": []map[string]string{{"category": "", "trackId": hallmark}}})
		e.Must(http.StatusNotFound, "PUT", "/api/v1/programs/"+w.p1+"/selling-gates", w.c2, map[string]any{"gates": []any{}})
		r = e.Must(http.StatusOK, "PUT", "/api/v1/programs/"+w.p1+"/selling-gates", w.c1, map[string]any{
			"gates": []map[string]string{{"category": "Gold jewellery", "trackId": hallmark}}})
		if trObj(r.JSON, "gates", 0, "trackName") != "Hallmarking sign-off" {
			t.Fatalf("gates: %s", r.Body)
		}
		r = e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.p1+"/selling-gates", w.m1t, nil)
		if trObj(r.JSON, "gates", 0, "category") != "Gold jewellery" || trObj(r.JSON, "gates", 0, "trackId") != hallmark {
			t.Fatalf("gates: %s", r.Body)
		}
	})
	t.Run("the gate holds until the track is completed", func(t *testing.T) {
		if got := missing(w.m1, "gold jewellery "); got != "Hallmarking sign-off" {
			t.Fatalf("missing = %q, want the hallmarking track", got)
		}
		if got := missing(w.m1, "Brass jewellery"); got != "" {
			t.Fatalf("an ungated category: missing = %q", got)
		}
		en := w.enroll(hallmark, w.m1, w.c1)
		if got := missing(w.m1, "Gold jewellery"); got != "Hallmarking sign-off" {
			t.Fatalf("enrolled is not completed: missing = %q", got)
		}
		w.signOff(en, hms[0], w.c1, map[string]any{})
		if got := missing(w.m1, "Gold jewellery"); got != "" {
			t.Fatalf("after completion: missing = %q", got)
		}
		if got := missing(w.m2, "Gold jewellery"); got != "Hallmarking sign-off" {
			t.Fatalf("another maker: missing = %q", got)
		}
	})
}

// TestTrainingVersionedTracks: editing a track makes a new version; people already enrolled keep
// theirs, with their completed milestones.
func TestTrainingVersionedTracks(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	e := w.e
	trackID, ms := w.createTrack(w.p1, w.c1, map[string]any{"name": "Stone setting", "description": "Setting stones.",
		"milestones": []map[string]any{{"title": "Prong setting"}, {"title": "Bezel setting"}, {"title": "Pavé setting"}}})
	en1 := w.enroll(trackID, w.m1, w.c1)
	w.signOff(en1, ms[0], w.c1, map[string]any{"notes": "neat prongs"})

	e.Must(http.StatusBadRequest, "PATCH", "/api/v1/tracks/"+trackID, w.c1, map[string]any{
		"milestones": []map[string]any{{"id": "not-a-milestone", "title": "X setting"}}})
	e.Must(http.StatusBadRequest, "PATCH", "/api/v1/tracks/"+trackID, w.c1, map[string]any{})
	r := e.Must(http.StatusOK, "PATCH", "/api/v1/tracks/"+trackID, w.c1, map[string]any{
		"name": "Stone setting (2025)", "qualification": "G&J/Q0502",
		"milestones": []map[string]any{{"id": ms[0], "title": "Prong setting, four claws"}, {"id": ms[1], "title": "Bezel setting"}, {"title": "Channel setting"}}})
	if r.Num("version") != 2 || r.Num("versions") != 2 || trObj(r.JSON, "milestones", 0, "id") != ms[0] {
		t.Fatalf("v2: %s", r.Body)
	}
	newMs := trObj(r.JSON, "milestones", 2, "id").(string)

	t.Run("the track shows its current version, and old ones on request", func(t *testing.T) {
		cur := e.Must(http.StatusOK, "GET", "/api/v1/tracks/"+trackID, w.c1, nil)
		old := e.Must(http.StatusOK, "GET", "/api/v1/tracks/"+trackID+"?version=1", w.c1, nil)
		if cur.Str("name") != "Stone setting (2025)" || old.Str("name") != "Stone setting" || trObj(old.JSON, "milestones", 2, "title") != "Pavé setting" {
			t.Fatalf("current %s / old %s", cur.Body, old.Body)
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/tracks/"+trackID+"?version=9", w.c1, nil)
	})
	t.Run("the enrolled maker keeps version 1 and their sign-off", func(t *testing.T) {
		d := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en1, w.m1t, nil)
		if d.Num("trackVersion") != 1 || d.Str("trackName") != "Stone setting" || trObj(d.JSON, "milestones", 2, "title") != "Pavé setting" ||
			trObj(d.JSON, "milestones", 0, "notes") != "neat prongs" || trObj(d.JSON, "progress", "completed") != 1.0 {
			t.Fatalf("v1 enrolment: %s", d.Body)
		}
		e.Must(http.StatusNotFound, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+newMs+"/complete", w.c1, map[string]any{})
		w.signOff(en1, ms[1], w.c1, map[string]any{})
		done := w.signOff(en1, ms[2], w.c1, map[string]any{})
		if done.Str("status") != "completed" {
			t.Fatalf("v1 completed: %s", done.Body)
		}
		code := trObj(done.JSON, "certificate", "code").(string)
		c := e.Must(http.StatusOK, "GET", "/api/v1/certificates/"+code, "", nil)
		if c.Str("trackName") != "Stone setting" || c.JSON["qualification"] != nil {
			t.Fatalf("a v1 certificate certifies v1: %s", c.Body)
		}
	})
	t.Run("a new enrolment gets version 2", func(t *testing.T) {
		en2 := w.enroll(trackID, w.m2, w.c1)
		d := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en2, w.c1, nil)
		if d.Num("trackVersion") != 2 || trObj(d.JSON, "milestones", 0, "title") != "Prong setting, four claws" || trObj(d.JSON, "milestones", 2, "id") != newMs {
			t.Fatalf("v2 enrolment: %s", d.Body)
		}
		e.Must(http.StatusNotFound, "POST", "/api/v1/enrollments/"+en2+"/milestones/"+ms[2]+"/complete", w.c1, map[string]any{})
	})
	t.Run("the report counts each enrolment against its own version", func(t *testing.T) {
		rep := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.p1+"/training-report", w.c1, nil)
		for _, x := range trObj(rep.JSON, "tracks", 0, "makers").([]any) {
			row := x.(map[string]any)
			if row["makerId"] == w.m1 && trObj(row, "progress", "percent") != 100.0 {
				t.Fatalf("v1 row: %v", row)
			}
		}
	})
}

// TestTrainingErasure: a maker's erasure removes their training notes, chosen certificate name
// and evidence photos, and keeps the dated record without them.
func TestTrainingErasure(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	e := w.e
	ctx := context.Background()
	trackID, ms := w.createTrack(w.p1, w.c1, goldsmithing())
	en := w.enroll(trackID, w.m1, w.c1)
	w.upload("POST", "/api/v1/enrollments/"+en+"/milestones/"+ms[2]+"/complete", w.c1, map[string]string{"notes": "talked about her family"}, trPhotoWithEXIF(t))
	e.Must(http.StatusOK, "PUT", "/api/v1/enrollments/"+en+"/certificate-name", w.m1t, map[string]string{"name": "Her Real Name"})
	e.Must(http.StatusCreated, "POST", "/api/v1/makers/"+w.m1+"/outcomes", w.c1, map[string]any{"status": "seeking", "notes": "looking near her home"})

	exp := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+w.m1+"/enrollments", w.m1t, nil)
	if len(exp.JSON["items"].([]any)) != 1 {
		t.Fatalf("before erasure: %s", exp.Body)
	}
	// The maker's data export carries their training record with its notes.
	data, err := e.App.Training.ExportMaker(ctx, w.m1)
	if err != nil {
		t.Fatal(err)
	}
	if js, _ := json.Marshal(data); !strings.Contains(string(js), "talked about her family") || !strings.Contains(string(js), "looking near her home") {
		t.Fatalf("export: %s", js)
	}
	e.Must(http.StatusOK, "POST", "/api/v1/makers/"+w.m1+"/erase", w.c1, map[string]string{"confirm": "ERASE"})

	raw, err := e.DB.Read("training_enrollments").FindOne(ctx, bson.M{"_id": en}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.String(), "fc1:") {
		t.Fatalf("sealed notes left after erasure: %s", raw)
	}
	if n, _ := e.DB.Read("training_evidence").CountDocuments(ctx, bson.M{"makerId": w.m1}); n != 0 {
		t.Fatalf("%d evidence records left", n)
	}
	if n, _ := e.DB.Read("evidence.files").CountDocuments(ctx, bson.M{}); n != 0 {
		t.Fatalf("%d evidence files left", n)
	}
	oraw, err := e.DB.Read("training_outcomes").FindOne(ctx, bson.M{"makerId": w.m1}).Raw()
	if err != nil || strings.Contains(oraw.String(), "fc1:") {
		t.Fatalf("outcome after erasure: %s %v", oraw, err)
	}
	d := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en, w.c1, nil)
	if trObj(d.JSON, "progress", "completed") != 1.0 || trObj(d.JSON, "milestones", 2, "notes") != nil {
		t.Fatalf("the dated record stays without notes: %s", d.Body)
	}
}
