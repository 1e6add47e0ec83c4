package api_test

import (
	"testing"
)

var (
	trackWrites      = []string{"training_tracks", "audit"}
	enrollmentWrites = []string{"training_enrollments", "training_evidence", "audit"}
)

// enrollmentPath is a path under the maker's enrolment; milestone i when i >= 0.
func enrollmentPath(i int, tail string) func(w *fuzzWorld) string {
	return func(w *fuzzWorld) string {
		p := "/api/v1/enrollments/" + w.enrollment
		if i >= 0 {
			p += "/milestones/" + w.milestones[i]
		}
		return p + tail
	}
}

var trainingRoutes = []jsonRoute{
	{name: "create track", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/tracks" },
		token: (*fuzzWorld).coordTok, watch: trackWrites},
	{name: "create track (other program)", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p2 + "/tracks" },
		token: (*fuzzWorld).coordTok, watch: trackWrites},
	{name: "edit track", method: "PATCH", path: func(w *fuzzWorld) string { return "/api/v1/tracks/" + w.track },
		token: (*fuzzWorld).coordTok, watch: append([]string{"training_enrollments"}, trackWrites...)},
	{name: "enrol", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/tracks/" + w.track + "/enrollments" },
		token: (*fuzzWorld).coordTok, watch: enrollmentWrites},
	{name: "enrol (maker)", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/tracks/" + w.track + "/enrollments" },
		token: (*fuzzWorld).makerTokOf, watch: enrollmentWrites},
	// A sign-off succeeds once; undo makes it possible again.
	{name: "sign off", method: "POST", path: enrollmentPath(0, "/complete"), token: (*fuzzWorld).coordTok, watch: enrollmentWrites},
	{name: "sign off (maker)", method: "POST", path: enrollmentPath(0, "/complete"), token: (*fuzzWorld).makerTokOf, watch: enrollmentWrites},
	{name: "sign off (needs evidence)", method: "POST", path: enrollmentPath(1, "/complete"), token: (*fuzzWorld).coordTok, watch: enrollmentWrites},
	{name: "undo sign-off", method: "POST", path: enrollmentPath(0, "/undo"), token: (*fuzzWorld).coordTok, watch: enrollmentWrites},
	{name: "withdraw", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/enrollments/" + w.enrollment2 + "/withdraw" },
		token: (*fuzzWorld).coordTok, watch: enrollmentWrites},
	{name: "certificate name", method: "PUT", path: enrollmentPath(-1, "/certificate-name"), token: (*fuzzWorld).makerTokOf, watch: enrollmentWrites},
	{name: "session", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/tracks/" + w.track + "/sessions" },
		token: (*fuzzWorld).coordTok, watch: []string{"training_sessions", "audit"}},
	{name: "outcome (coordinator)", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/makers/" + w.maker + "/outcomes" },
		token: (*fuzzWorld).coordTok, watch: []string{"training_outcomes", "audit"}},
	{name: "outcome (maker)", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/makers/" + w.maker + "/outcomes" },
		token: (*fuzzWorld).makerTokOf, watch: []string{"training_outcomes", "audit"}},
	{name: "outcome (other program)", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/makers/" + w.maker3 + "/outcomes" },
		token: (*fuzzWorld).coordTok, watch: []string{"training_outcomes", "audit"}},
	{name: "selling gates", method: "PUT", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/selling-gates" },
		token: (*fuzzWorld).coordTok, watch: []string{"training_gates", "audit"}},
	{name: "selling gates (maker)", method: "PUT", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/selling-gates" },
		token: (*fuzzWorld).makerTokOf, watch: []string{"training_gates", "audit"}},
}

// FuzzTrainingBodies fuzzes tracks, enrolments, sign-offs and their undoing, withdrawals,
// certificate names, attendance, outcomes and selling gates.
func FuzzTrainingBodies(f *testing.F) {
	w := newFuzzWorld(f)
	w.fuzzing()
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		w.fuzzJSON(t, trainingRoutes, sel, body)
	})
}
