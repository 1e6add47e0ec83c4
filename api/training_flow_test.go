package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"sort"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
)

// TestTrainingFlow runs a track of five milestones with two makers: enrolment, attendance,
// sign-offs with an evidence photo, an undo, a withdrawal, completion with a certificate verified
// at its public URL, outcomes with follow-ups, and the report as JSON and CSV.
func TestTrainingFlow(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	e := w.e
	ctx := context.Background()

	trackID, ms := w.createTrack(w.p1, w.c1, goldsmithing())
	t.Run("a new track answers its milestone ids in order", func(t *testing.T) {
		if len(ms) != 5 {
			t.Fatalf("milestones = %d, want 5", len(ms))
		}
		r := e.Must(http.StatusOK, "GET", "/api/v1/tracks/"+trackID, w.c1, nil)
		if r.Num("version") != 1 || r.Str("qualification") != "G&J/Q0603" {
			t.Fatalf("track: %s", r.Body)
		}
		for i, id := range ms {
			if trObj(r.JSON, "milestones", i, "id") != id || trObj(r.JSON, "milestoneIds", i) != id {
				t.Fatalf("milestone %d out of order: %s", i, r.Body)
			}
		}
		if trObj(r.JSON, "milestones", 2, "title") != "Soldering a jump ring chain" || trObj(r.JSON, "milestones", 2, "requiresEvidence") != true {
			t.Fatalf("milestone 3: %s", r.Body)
		}
		list := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.p1+"/tracks", w.m1t, nil)
		if len(list.JSON["items"].([]any)) != 1 {
			t.Fatalf("a maker of the program sees its tracks: %s", list.Body)
		}
	})
	t.Run("track validation names each field", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/programs/"+w.p1+"/tracks", w.c1, map[string]any{
			"name": "X", "qualification": "<b>", "milestones": []map[string]any{{"title": ""}}})
		fields, _ := trObj(r.JSON, "error", "fields").(map[string]any)
		if fields["name"] == nil || fields["milestones[0].title"] == nil {
			t.Fatalf("fields: %s", r.Body)
		}
		e.Must(http.StatusBadRequest, "POST", "/api/v1/programs/"+w.p1+"/tracks", w.c1, map[string]any{"name": "No steps", "milestones": []any{}})
	})

	// Enrolment: one active enrolment per maker per track.
	en1 := e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+trackID+"/enrollments", w.c1, map[string]any{"makerId": w.m1, "enrolledOn": trDay(-7)}).Str("id")
	en2 := e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+trackID+"/enrollments", w.c1, map[string]any{"makerId": w.m2, "enrolledOn": trDay(-7)}).Str("id")
	t.Run("one active enrolment per maker per track", func(t *testing.T) {
		r := e.Must(http.StatusConflict, "POST", "/api/v1/tracks/"+trackID+"/enrollments", w.c1, map[string]any{"makerId": w.m1})
		if r.ErrCode() != "already_enrolled" {
			t.Fatalf("code = %q", r.ErrCode())
		}
		// A maker of another program is out of this coordinator's scope.
		e.Must(http.StatusNotFound, "POST", "/api/v1/tracks/"+trackID+"/enrollments", w.c1, map[string]any{"makerId": w.m3})
		e.Must(http.StatusBadRequest, "POST", "/api/v1/tracks/"+trackID+"/enrollments", w.c1, map[string]any{})
	})

	// Attendance: two sessions; the first maker came to both, the second to one.
	e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+trackID+"/sessions", w.c1, map[string]any{
		"date": trDay(-1), "topic": "Saw piercing practice", "present": []string{w.m1, w.m2}})
	e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+trackID+"/sessions", w.c1, map[string]any{
		"date": trDay(0), "topic": "Filing to a line", "present": []string{w.m2}})
	// Saving the day's class again corrects it (the first maker was forgotten, and the second
	// was ticked by mistake): still one class that day.
	e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+trackID+"/sessions", w.c1, map[string]any{
		"date": trDay(0), "topic": "Filing to a line", "present": []string{w.m1}})
	t.Run("one class a day, corrected by saving it again; nobody ticked is refused", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/tracks/"+trackID+"/sessions", w.c1, nil)
		items := r.JSON["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("%d classes, want 2 (one a day): %s", len(items), r.Body)
		}
		e.Must(http.StatusBadRequest, "POST", "/api/v1/tracks/"+trackID+"/sessions", w.c1, map[string]any{
			"date": trDay(0), "topic": "Filing to a line", "present": []string{}})
		if n := len(e.Must(http.StatusOK, "GET", "/api/v1/tracks/"+trackID+"/sessions", w.c1, nil).JSON["items"].([]any)); n != 2 {
			t.Fatalf("an empty save changed the classes: %d", n)
		}
	})
	t.Run("attendance only for people enrolled", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/tracks/"+trackID+"/sessions", w.c1, map[string]any{
			"date": trDay(0), "topic": "Soldering", "present": []string{w.m1, w.m3}})
		if trObj(r.JSON, "error", "fields", "present[1]") == nil {
			t.Fatalf("the stranger is not named: %s", r.Body)
		}
		e.Must(http.StatusBadRequest, "POST", "/api/v1/tracks/"+trackID+"/sessions", w.c1, map[string]any{
			"date": trDay(5), "topic": "Next week", "present": []string{}})
	})

	const note = "Steady hands; still nervous near the torch"
	t.Run("sign-off records who, when and the notes; twice is a conflict", func(t *testing.T) {
		r := w.signOff(en1, ms[0], w.c1, map[string]any{"completedOn": trDay(-100), "notes": note, "score": 82})
		if trObj(r.JSON, "progress", "completed") != 1.0 || trObj(r.JSON, "progress", "total") != 5.0 || trObj(r.JSON, "progress", "percent") != 20.0 {
			t.Fatalf("progress: %s", r.Body)
		}
		r = e.Must(http.StatusConflict, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[0]+"/complete", w.c1, map[string]any{"completedOn": trDay(-99)})
		if r.ErrCode() != "already_signed_off" {
			t.Fatalf("code = %q", r.ErrCode())
		}
		e.Must(http.StatusNotFound, "POST", "/api/v1/enrollments/"+en1+"/milestones/nope/complete", w.c1, map[string]any{})
		e.Must(http.StatusBadRequest, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[1]+"/complete", w.c1, map[string]any{"completedOn": trDay(3)})
		e.Must(http.StatusBadRequest, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[1]+"/complete", w.c1, map[string]any{"score": 101})
	})

	var evidenceURL string
	t.Run("a milestone that asks for evidence needs a photo, and the photo loses its EXIF", func(t *testing.T) {
		r := e.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[2]+"/complete", w.c1, map[string]any{"completedOn": trDay(-95)})
		if r.ErrCode() != "evidence_required" {
			t.Fatalf("code = %q", r.ErrCode())
		}
		bad := w.upload("POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[2]+"/complete", w.c1,
			map[string]string{"completedOn": trDay(-95)}, []byte("%PDF-1.4 not a photo"))
		if bad.Status != http.StatusBadRequest || bad.ErrCode() != "photo_unsupported" {
			t.Fatalf("not a photo: %d %s", bad.Status, bad.Body)
		}
		r = w.upload("POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[2]+"/complete", w.c1,
			map[string]string{"completedOn": trDay(-95), "notes": "Even joints", "score": "90"}, trPhotoWithEXIF(t))
		if r.Status != http.StatusOK {
			t.Fatalf("multipart sign-off: %d %s", r.Status, r.Body)
		}
		evidenceURL, _ = trObj(r.JSON, "milestones", 2, "evidenceUrl").(string)
		if !strings.HasPrefix(evidenceURL, "/api/v1/evidence/") {
			t.Fatalf("evidence url: %s", r.Body)
		}
		for _, tok := range []string{w.m1t, w.c1, e.AdminToken} {
			img := e.Must(http.StatusOK, "GET", evidenceURL, tok, nil)
			if img.Header.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(img.Body, []byte{0xFF, 0xD8}) {
				t.Fatalf("evidence photo: %s %q", img.Header.Get("Content-Type"), img.Body[:min(8, len(img.Body))])
			}
			if bytes.Contains(img.Body, []byte("Exif")) || bytes.Contains(img.Body, []byte(trGPSMarker)) {
				t.Fatal("the evidence photo kept its EXIF block")
			}
			if !strings.Contains(img.Header.Get("Cache-Control"), "no-store") {
				t.Fatalf("evidence may be cached: %q", img.Header.Get("Cache-Control"))
			}
		}
		for _, tok := range []string{w.c2, w.m2t, w.buyer} {
			e.Must(http.StatusNotFound, "GET", evidenceURL, tok, nil)
		}
		e.Must(http.StatusUnauthorized, "GET", evidenceURL, "", nil)
		// Nothing stored anywhere keeps the marker: the GridFS chunks hold only re-encoded pixels.
		cur, err := e.DB.Read("evidence.chunks").Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var chunks []bson.Raw
		if err := cur.All(ctx, &chunks); err != nil || len(chunks) == 0 {
			t.Fatalf("chunks: %d, %v", len(chunks), err)
		}
		for _, c := range chunks {
			if bytes.Contains(c, []byte(trGPSMarker)) || bytes.Contains(c, []byte("Exif\x00")) {
				t.Fatal("a stored rendition carries EXIF")
			}
		}
	})
	t.Run("evidence can be uploaded first and named by id", func(t *testing.T) {
		r := w.upload("POST", "/api/v1/enrollments/"+en2+"/milestones/"+ms[2]+"/evidence", w.m2t, nil, trPhotoWithEXIF(t))
		if r.Status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		// Someone else's photo cannot be attached to this enrolment.
		e.Must(http.StatusBadRequest, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[3]+"/complete", w.c1,
			map[string]any{"evidenceId": r.Str("id")})
		w.signOff(en2, ms[2], w.c1, map[string]any{"completedOn": trDay(-40), "evidenceId": r.Str("id")})
	})

	t.Run("the maker sees their own progress and notes; the read is audited", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en1, w.m1t, nil)
		if trObj(r.JSON, "progress", "completed") != 2.0 || trObj(r.JSON, "progress", "percent") != 40.0 {
			t.Fatalf("progress: %s", r.Body)
		}
		m0 := trObj(r.JSON, "milestones", 0).(map[string]any)
		if m0["id"] != ms[0] || m0["title"] != "Bench safety and tools" || m0["completedOn"] != trDay(-100) ||
			m0["signedOffBy"] != w.c1ID || m0["notes"] != note {
			t.Fatalf("milestone 1: %v", m0)
		}
		if m1 := trObj(r.JSON, "milestones", 1).(map[string]any); m1["completedOn"] != nil || m1["signedOffBy"] != nil {
			t.Fatalf("an open milestone shows a sign-off: %v", m1)
		}
		if r.JSON["attendanceRate"] != 1.0 {
			t.Fatalf("attendanceRate = %v, want 1", r.JSON["attendanceRate"])
		}
		r2 := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en2, w.c1, nil)
		if r2.JSON["attendanceRate"] != 0.5 {
			t.Fatalf("second maker's attendanceRate = %v, want 0.5", r2.JSON["attendanceRate"])
		}
		list := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+w.m1+"/enrollments", w.m1t, nil)
		if len(list.JSON["items"].([]any)) != 1 || strings.Contains(string(list.Body), note) {
			t.Fatalf("the maker's list (no notes): %s", list.Body)
		}
		if w.trAuditActions(w.p1, w.c1)["training.read_notes"] < 2 {
			t.Fatal("notes reads are not audited")
		}
	})

	t.Run("notes are encrypted at rest", func(t *testing.T) {
		raw, err := e.DB.Read("training_enrollments").FindOne(ctx, bson.M{"_id": en1}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw.String(), "nervous") || !strings.Contains(raw.String(), "fc1:") {
			t.Fatalf("notes stored in the clear: %s", raw)
		}
	})

	t.Run("undo is a recorded reversal", func(t *testing.T) {
		e.Must(http.StatusBadRequest, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[0]+"/undo", w.c1, map[string]any{})
		r := e.Must(http.StatusOK, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[0]+"/undo", w.c1, map[string]any{"reason": "signed off the wrong maker"})
		if trObj(r.JSON, "progress", "completed") != 1.0 {
			t.Fatalf("after undo: %s", r.Body)
		}
		e.Must(http.StatusConflict, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[0]+"/undo", w.c1, map[string]any{"reason": "again"})
		d := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en1, w.c1, nil)
		found := false
		for _, h := range d.JSON["history"].([]any) {
			hm := h.(map[string]any)
			if hm["action"] == "undone" && hm["milestoneId"] == ms[0] && hm["reason"] == "signed off the wrong maker" && hm["completedOn"] == trDay(-100) {
				found = true
			}
		}
		if !found {
			t.Fatalf("history lacks the reversal: %s", d.Body)
		}
		w.signOff(en1, ms[0], w.c1, map[string]any{"completedOn": trDay(-98), "notes": note})
	})

	t.Run("a withdrawal ends the enrolment and keeps its record", func(t *testing.T) {
		e.Must(http.StatusForbidden, "POST", "/api/v1/enrollments/"+en2+"/withdraw", w.m2t, map[string]any{})
		r := e.Must(http.StatusOK, "POST", "/api/v1/enrollments/"+en2+"/withdraw", w.c1, map[string]any{"reason": "moved back to her village"})
		if r.Str("status") != "withdrawn" || r.Str("withdrawnOn") != trDay(0) || trObj(r.JSON, "progress", "completed") != 1.0 {
			t.Fatalf("withdrawn: %s", r.Body)
		}
		e.Must(http.StatusConflict, "POST", "/api/v1/enrollments/"+en2+"/withdraw", w.c1, nil)
		e.Must(http.StatusConflict, "POST", "/api/v1/enrollments/"+en2+"/milestones/"+ms[0]+"/complete", w.c1, map[string]any{})
		// Withdrawn is not active: she may enrol again later.
		w.enroll(trackID, w.m2, w.c1)
	})

	var code string
	t.Run("the last sign-off completes the track and issues a certificate", func(t *testing.T) {
		w.signOff(en1, ms[1], w.c1, map[string]any{"completedOn": trDay(-97)})
		w.signOff(en1, ms[3], w.c1, map[string]any{"completedOn": trDay(-92)})
		r := w.signOff(en1, ms[4], w.c1, map[string]any{"completedOn": trDay(-90), "notes": "Ready for the workshop floor"})
		if r.Str("status") != "completed" || r.Str("completedOn") != trDay(-90) || trObj(r.JSON, "progress", "percent") != 100.0 {
			t.Fatalf("completed: %s", r.Body)
		}
		code, _ = trObj(r.JSON, "certificate", "code").(string)
		if len(strings.ReplaceAll(code, "-", "")) != 16 {
			t.Fatalf("certificate code %q", code)
		}
		e.Must(http.StatusConflict, "POST", "/api/v1/enrollments/"+en1+"/withdraw", w.c1, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/enrollments/"+en2+"/certificate", w.c1, nil)
	})

	t.Run("anyone can verify the certificate at its public URL, which shows nothing else", func(t *testing.T) {
		for _, c := range []string{code, strings.ToLower(strings.ReplaceAll(code, "-", ""))} {
			r := e.Must(http.StatusOK, "GET", "/api/v1/certificates/"+c, "", nil)
			keys := make([]string, 0, len(r.JSON))
			for k := range r.JSON {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, ",") != "code,completedOn,name,programName,qualification,trackName" {
				t.Fatalf("public certificate fields: %s", r.Body)
			}
			if r.Str("name") == "" || r.Str("trackName") != "Goldsmithing foundations" || r.Str("qualification") != "G&J/Q0603" ||
				r.Str("programName") != "Kolkata Jewellery Workshop" || r.Str("completedOn") != trDay(-90) || r.Str("code") != code {
				t.Fatalf("certificate: %s", r.Body)
			}
			if strings.Contains(string(r.Body), "Legal Name") || strings.Contains(string(r.Body), w.m1) {
				t.Fatalf("verification leaks: %s", r.Body)
			}
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/certificates/AAAA-BBBB-CCCC-DDDD", "", nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/certificates/not-a-code", "", nil)
	})

	t.Run("the certificate names the maker as they choose", func(t *testing.T) {
		pub := func() string {
			return e.Must(http.StatusOK, "GET", "/api/v1/certificates/"+code, "", nil).Str("name")
		}
		display := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+e.PublicID(w.m1)+"/public", "", nil).Str("displayName")
		if got := pub(); got != display {
			t.Fatalf("name = %q, want the display name %q", got, display)
		}
		e.Must(http.StatusOK, "PUT", "/api/v1/makers/"+w.m1+"/consent", w.m1t, map[string]bool{"publicProfile": false})
		if got := pub(); got != "A maker" {
			t.Fatalf("after consent withdrawal the name is %q", got)
		}
		e.Must(http.StatusNotFound, "PUT", "/api/v1/enrollments/"+en1+"/certificate-name", w.c2, map[string]string{"name": "X"})
		r := e.Must(http.StatusOK, "PUT", "/api/v1/enrollments/"+en1+"/certificate-name", w.m1t, map[string]string{"name": "Tara  Devi"})
		if r.Str("name") != "Tara Devi" || r.Str("nameSource") != "chosen" {
			t.Fatalf("chosen name: %s", r.Body)
		}
		if got := pub(); got != "Tara Devi" {
			t.Fatalf("public name = %q", got)
		}
	})

	t.Run("printable page and PDF", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en1+"/certificate", w.m1t, nil)
		if r.Str("code") != code || !strings.HasSuffix(r.Str("verifyUrl"), "/verify/"+code) {
			t.Fatalf("certificate: %s", r.Body)
		}
		page := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en1+"/certificate?format=html", w.m1t, nil)
		if !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page.Body), "Tara Devi") ||
			!strings.Contains(string(page.Body), code) || !strings.Contains(page.Header.Get("Content-Security-Policy"), "nonce-") {
			t.Fatalf("page: %s", page.Body)
		}
		pdf := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en1+"/certificate?format=pdf", w.c1, nil)
		if pdf.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.Body, []byte("%PDF-1.4")) ||
			!bytes.Contains(pdf.Body, []byte("(Tara Devi)")) {
			t.Fatalf("pdf: %q", pdf.Body[:min(200, len(pdf.Body))])
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/enrollments/"+en1+"/certificate", w.c2, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/enrollments/"+en1+"/certificate", w.m2t, nil)
	})

	t.Run("outcomes after training, with follow-ups at 3, 6 and 12 months", func(t *testing.T) {
		e.Must(http.StatusBadRequest, "POST", "/api/v1/makers/"+w.m1+"/outcomes", w.c1, map[string]any{"status": "rich"})
		e.Must(http.StatusBadRequest, "POST", "/api/v1/makers/"+w.m1+"/outcomes", w.m1t, map[string]any{"status": "employed", "verification": "verified_visit"})
		e.Must(http.StatusNotFound, "POST", "/api/v1/makers/"+w.m1+"/outcomes", w.c2, map[string]any{"status": "employed"})
		r := e.Must(http.StatusCreated, "POST", "/api/v1/makers/"+w.m1+"/outcomes", w.c1, map[string]any{
			"date": trDay(-2), "status": "employed", "monthlyIncome": 1450000, "notes": "Bench job at a Bowbazar workshop",
			"verification": "verified_document"})
		if r.Str("id") == "" || r.Str("verification") != "verified_document" || r.Num("monthlyIncome") != 1450000 || r.Str("currency") != "INR" {
			t.Fatalf("outcome: %s", r.Body)
		}
		mine := e.Must(http.StatusCreated, "POST", "/api/v1/makers/"+w.m1+"/outcomes", w.m1t, map[string]any{"status": "employed", "notes": "I like it"})
		if mine.Str("verification") != "claimed" {
			t.Fatalf("a maker's own report is claimed: %s", mine.Body)
		}
		list := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+w.m1+"/outcomes", w.m1t, nil)
		if len(list.JSON["items"].([]any)) != 2 || !strings.Contains(string(list.Body), "Bowbazar") {
			t.Fatalf("outcomes: %s", list.Body)
		}
	})

	t.Run("the report: per track and maker, needs attention, follow-ups", func(t *testing.T) {
		// A third maker enrolled two months ago with nothing since needs attention.
		m4, _ := e.Maker(w.p1, w.c1)
		e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+trackID+"/enrollments", w.c1, map[string]any{"makerId": m4, "enrolledOn": trDay(-60)})

		r := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.p1+"/training-report", w.c1, nil)
		rows := trObj(r.JSON, "tracks", 0, "makers").([]any)
		if len(rows) != 4 { // m1 completed, m2 withdrawn and re-enrolled, m4
			t.Fatalf("rows = %d: %s", len(rows), r.Body)
		}
		byStatus := map[string]int{}
		var flagged []string
		for _, x := range rows {
			row := x.(map[string]any)
			byStatus[row["status"].(string)]++
			if row["needsAttention"] == true {
				flagged = append(flagged, row["makerId"].(string))
			}
			if row["makerId"] == w.m1 && (trObj(row, "progress", "percent") != 100.0 || row["attendanceRate"] != 1.0 || row["lastActivity"] != trDay(0)) {
				t.Fatalf("m1 row: %v", row)
			}
		}
		if byStatus["completed"] != 1 || byStatus["withdrawn"] != 1 || byStatus["active"] != 2 {
			t.Fatalf("statuses: %v", byStatus)
		}
		if len(flagged) != 1 || flagged[0] != m4 {
			t.Fatalf("needs attention = %v, want only %s", flagged, m4)
		}
		if trObj(r.JSON, "summary", "needsAttention") != 1.0 || trObj(r.JSON, "summary", "completed") != 1.0 {
			t.Fatalf("summary: %v", r.JSON["summary"])
		}
		// Completed 90 days ago: the 3-month follow-up is settled by the outcome of two days ago.
		fus := r.JSON["followUps"].([]any)
		if len(fus) != 3 || trObj(fus, 0, "months") != 3.0 || trObj(fus, 0, "status") != "done" ||
			trObj(fus, 0, "outcome", "status") != "employed" || trObj(fus, 1, "status") != "upcoming" {
			t.Fatalf("follow-ups: %v", fus)
		}
		if strings.Contains(string(r.Body), "nervous") || strings.Contains(string(r.Body), "Bowbazar") {
			t.Fatal("the report carries notes")
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+w.p1+"/training-report", w.c2, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+w.p1+"/training-report", w.m1t, nil)
	})

	t.Run("the report as CSV for funders", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.p1+"/training-report?format=csv", w.c1, nil)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("headers: %v", r.Header)
		}
		recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 5 || recs[0][0] != "program" || recs[0][1] != "track" {
			t.Fatalf("csv: %q", recs)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		var m1Row []string
		for _, rec := range recs[1:] {
			if rec[col["maker_id"]] == w.m1 {
				m1Row = rec
			}
		}
		if m1Row == nil || m1Row[col["status"]] != "completed" || m1Row[col["percent"]] != "100" || m1Row[col["qualification"]] != "G&J/Q0603" ||
			m1Row[col["attendance_rate"]] != "1.00" || m1Row[col["latest_outcome"]] != "employed" || m1Row[col["next_follow_up_months"]] != "6" {
			t.Fatalf("m1 row: %q", m1Row)
		}
		if strings.Contains(string(r.Body), "nervous") {
			t.Fatal("the CSV carries notes")
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+w.p1+"/training-report?format=csv", w.c2, nil)
	})

	t.Run("every change and read is audited", func(t *testing.T) {
		acts := w.trAuditActions(w.p1, w.c1)
		for _, a := range []string{"training.track_create", "training.enroll", "training.session", "training.signoff", "training.undo",
			"training.withdraw", "training.complete", "training.outcome", "training.read_notes", "training.report",
			"training.report_export", "training.evidence_upload", "training.evidence_read", "training.certificate_verify"} {
			if acts[a] == 0 {
				t.Errorf("no audit entry %s (have %v)", a, acts)
			}
		}
	})

	t.Run("completions per program for the impact page", func(t *testing.T) {
		n, err := e.App.Training.Completions(ctx)
		if err != nil || n[w.p1] != 1 || n[w.p2] != 0 {
			t.Fatalf("completions = %v, %v", n, err)
		}
	})

	t.Run("undoing a milestone of a completed track revokes its certificate", func(t *testing.T) {
		r := e.Must(http.StatusOK, "POST", "/api/v1/enrollments/"+en1+"/milestones/"+ms[4]+"/undo", w.c1, map[string]any{"reason": "the polish was not checked"})
		if r.Str("status") != "active" || r.JSON["certificate"] != nil {
			t.Fatalf("after undo: %s", r.Body)
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/certificates/"+code, "", nil)
		r = w.signOff(en1, ms[4], w.c1, map[string]any{"completedOn": trDay(-89)})
		next, _ := trObj(r.JSON, "certificate", "code").(string)
		if r.Str("status") != "completed" || next == "" || next == code {
			t.Fatalf("re-completed: %s", r.Body)
		}
		e.Must(http.StatusOK, "GET", "/api/v1/certificates/"+next, "", nil)
	})
}
