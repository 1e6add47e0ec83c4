package api_test

import (
	"net/http"
	"testing"
)

// Setups for the training rows of the permission matrix: each makes fresh records in program A,
// through program A's coordinator, for the maker who owns them.

// trMatrixTrack creates a one-milestone track in program A.
func trMatrixTrack(w *world) (trackID, milestoneID string) {
	r := w.e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+w.progA+"/tracks", w.tokens["coordinator"], map[string]any{
		"name": "Numeracy for the market", "milestones": []map[string]any{{"title": "Counting change"}}})
	return r.Str("id"), r.JSON["milestoneIds"].([]any)[0].(string)
}

// trMatrixEnrolment enrols the maker in a new track; done signs its only milestone off, which
// completes it and issues a certificate.
func trMatrixEnrolment(w *world, done bool) (enrollmentID, milestoneID string) {
	trackID, ms := trMatrixTrack(w)
	en := w.e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+trackID+"/enrollments", w.tokens["coordinator"],
		map[string]any{"makerId": w.makerID}).Str("id")
	if done {
		w.e.Must(http.StatusOK, "POST", "/api/v1/enrollments/"+en+"/milestones/"+ms+"/complete", w.tokens["coordinator"], map[string]any{})
	}
	return en, ms
}

// trainingRows are the training routes of the permission matrix.
func trainingRows() []row {
	ownerAndStaff := []string{"maker", "coordinator", "admin"}
	programPeople := []string{"maker", "otherMaker", "coordinator", "admin"}
	track := func(suffix string, body any) func(*testing.T, *world, string) (string, any) {
		return func(t *testing.T, w *world, role string) (string, any) {
			id, _ := trMatrixTrack(w)
			return "/api/v1/tracks/" + id + suffix, body
		}
	}
	enrolment := func(suffix string, done bool, body any) func(*testing.T, *world, string) (string, any) {
		return func(t *testing.T, w *world, role string) (string, any) {
			en, ms := trMatrixEnrolment(w, done)
			if suffix == "/undo" {
				w.e.Must(http.StatusOK, "POST", "/api/v1/enrollments/"+en+"/milestones/"+ms+"/complete", w.tokens["coordinator"], map[string]any{})
			}
			switch suffix {
			case "/complete", "/undo", "/evidence":
				return "/api/v1/enrollments/" + en + "/milestones/" + ms + suffix, body
			}
			return "/api/v1/enrollments/" + en + suffix, body
		}
	}
	maker := func(suffix string, body any) func(*testing.T, *world, string) (string, any) {
		return func(t *testing.T, w *world, role string) (string, any) {
			return "/api/v1/makers/" + w.makerID + suffix, body
		}
	}
	program := func(body any) func(*testing.T, *world, string) (string, any) {
		return func(t *testing.T, w *world, role string) (string, any) { return "", body }
	}
	photo := func(t *testing.T) multipartFile {
		return multipartFile{field: "photo", name: "work.jpg", data: trPhotoWithEXIF(t)}
	}
	return []row{
		{method: "POST", route: "/api/v1/programs/:id/tracks", allow: staffOfA(), setup: program(map[string]any{
			"name": "Financial skills", "milestones": []map[string]any{{"title": "Opening a bank account"}}})},
		{method: "GET", route: "/api/v1/programs/:id/tracks", allow: programPeople},
		{method: "GET", route: "/api/v1/programs/:id/training-report", allow: staffOfA()},
		{method: "GET", route: "/api/v1/programs/:id/selling-gates", allow: programPeople},
		{method: "PUT", route: "/api/v1/programs/:id/selling-gates", allow: staffOfA(), setup: program(map[string]any{"gates": []any{}})},

		{method: "GET", route: "/api/v1/tracks/:id", allow: programPeople, setup: track("", nil)},
		{method: "PATCH", route: "/api/v1/tracks/:id", allow: staffOfA(), setup: track("", map[string]any{"name": "Numeracy, revised"})},
		{method: "POST", route: "/api/v1/tracks/:id/enrollments", allow: staffOfA(), setup: func(t *testing.T, w *world, role string) (string, any) {
			id, _ := trMatrixTrack(w)
			return "/api/v1/tracks/" + id + "/enrollments", map[string]any{"makerId": w.makerID}
		}},
		{method: "POST", route: "/api/v1/tracks/:id/sessions", allow: staffOfA(), setup: func(t *testing.T, w *world, role string) (string, any) {
			// A class needs somebody ticked: the maker, enrolled in the new track.
			id, _ := trMatrixTrack(w)
			w.e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+id+"/enrollments", w.tokens["coordinator"], map[string]any{"makerId": w.makerID})
			return "/api/v1/tracks/" + id + "/sessions", map[string]any{"topic": "Counting practice", "present": []string{w.makerID}}
		}},
		{method: "GET", route: "/api/v1/tracks/:id/sessions", allow: staffOfA(), setup: track("/sessions", nil)},

		{method: "GET", route: "/api/v1/enrollments/:id", allow: ownerAndStaff, setup: enrolment("", false, nil)},
		{method: "POST", route: "/api/v1/enrollments/:id/withdraw", allow: staffOfA(), setup: enrolment("/withdraw", false, map[string]any{})},
		{method: "POST", route: "/api/v1/enrollments/:id/milestones/:milestoneId/complete", allow: staffOfA(), setup: enrolment("/complete", false, map[string]any{})},
		{method: "POST", route: "/api/v1/enrollments/:id/milestones/:milestoneId/undo", allow: staffOfA(), setup: enrolment("/undo", false, map[string]any{"reason": "recorded by mistake"})},
		{method: "POST", route: "/api/v1/enrollments/:id/milestones/:milestoneId/evidence", allow: ownerAndStaff, setup: func(t *testing.T, w *world, role string) (string, any) {
			p, _ := enrolment("/evidence", false, nil)(t, w, role)
			return p, photo(t)
		}},
		{method: "GET", route: "/api/v1/enrollments/:id/certificate", allow: ownerAndStaff, setup: enrolment("/certificate", true, nil)},
		{method: "PUT", route: "/api/v1/enrollments/:id/certificate-name", allow: ownerAndStaff, setup: enrolment("/certificate-name", true, map[string]string{"name": "Tara Devi"})},
		{method: "GET", route: "/api/v1/evidence/:id", allow: ownerAndStaff, setup: func(t *testing.T, w *world, role string) (string, any) {
			p, _ := enrolment("/evidence", false, nil)(t, w, role)
			r := send(t, w, "POST", p, w.tokens["coordinator"], photo(t))
			if r.Status != http.StatusCreated {
				t.Fatalf("evidence upload: %d %s", r.Status, r.Body)
			}
			return r.Str("url"), nil
		}},
		{method: "GET", route: "/api/v1/certificates/:code", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			en, _ := trMatrixEnrolment(w, true)
			r := w.e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en+"/certificate", w.tokens["coordinator"], nil)
			return "/api/v1/certificates/" + r.Str("code"), nil
		}},

		{method: "GET", route: "/api/v1/makers/:id/enrollments", allow: ownerAndStaff, setup: maker("/enrollments", nil)},
		{method: "POST", route: "/api/v1/makers/:id/outcomes", allow: ownerAndStaff, setup: maker("/outcomes", map[string]any{"status": "self_employed", "notes": "sells at the weekly haat"})},
		{method: "GET", route: "/api/v1/makers/:id/outcomes", allow: ownerAndStaff, setup: maker("/outcomes", nil)},
	}
}
