package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// queryRoute is a GET endpoint that reads its query string.
type queryRoute struct {
	name  string
	path  func(w *fuzzWorld) string
	token func(w *fuzzWorld) string
}

var queryRoutes = []queryRoute{
	{"orders (coordinator)", path("/api/v1/orders"), (*fuzzWorld).coordTok},
	{"orders (buyer)", path("/api/v1/orders"), (*fuzzWorld).buyerTok},
	{"orders (admin)", path("/api/v1/orders"), (*fuzzWorld).adminTok},
	{"payouts", func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/payouts" }, (*fuzzWorld).coordTok},
	{"disbursements", func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/disbursements" }, (*fuzzWorld).coordTok},
	{"track version", func(w *fuzzWorld) string { return "/api/v1/tracks/" + w.track }, (*fuzzWorld).coordTok},
	{"certificate", func(w *fuzzWorld) string { return "/api/v1/enrollments/" + w.enrollment + "/certificate" }, (*fuzzWorld).makerTokOf},
	{"training report", func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/training-report" }, (*fuzzWorld).coordTok},
	{"audit", func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/audit" }, (*fuzzWorld).coordTok},
	{"maker's products", func(w *fuzzWorld) string { return "/api/v1/makers/" + w.maker + "/products" }, (*fuzzWorld).makerTokOf},
}

// FuzzQueryStrings fuzzes the query strings of the other endpoints that read one: order lists
// (status, limit, offset), payout reports (from, to, format), disbursements (makerId), track
// versions, certificate and report formats.
func FuzzQueryStrings(f *testing.F) {
	w := newFuzzWorld(f)
	w.orders = map[string]string{"pending": w.newOrder(f, false)}
	w.fuzzing()
	f.Fuzz(func(t *testing.T, sel uint8, raw string) {
		defer w.showLogs(t)
		if len(raw) > 60<<10 {
			raw = raw[:60<<10]
		}
		rt := queryRoutes[int(sel)%len(queryRoutes)]
		url := rt.path(w) + "?" + escapeRequestLine(string(w.expand([]byte(raw))))
		r := w.send(t, "GET", url, rt.token(w), "", nil)
		checkAnswer(t, fmt.Sprintf("%s: GET %q", rt.name, truncateForLog([]byte(url))), r)
		if r.Status >= 300 && r.Status < 400 {
			t.Fatalf("%s: unexpected redirect %d", rt.name, r.Status)
		}
		if r.Status == http.StatusOK && len(r.Body) == 0 {
			t.Fatalf("%s: GET %q answered 200 with an empty body", rt.name, truncateForLog([]byte(url)))
		}
	})
}

// TestPayoutReportDateRange asks for payout reports at the edges of the calendar. A date the
// report cannot be written with (the day after 9999-12-31 is in year 10000, which JSON dates
// cannot hold) must be refused with a 400 naming the parameter, never answered with an empty 200.
func TestPayoutReportDateRange(t *testing.T) {
	w := newFuzzWorld(t)
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"from=2026-01-01&to=2026-12-31", http.StatusOK},
		{"from=0001-01-01&to=0001-01-01", http.StatusOK},
		{"to=9999-12-30", http.StatusOK},
		{"to=9999-12-31", http.StatusBadRequest},
		{"to=9999-12-31T23:59:59-01:00", http.StatusBadRequest},
		{"from=0000-01-01T00:00:00%2B01:00&to=2026-01-01", http.StatusBadRequest},
		{"from=9999-12-30T00:00:00Z&to=9999-12-31T23:59:59Z", http.StatusOK},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := w.send(t, "GET", "/api/v1/programs/"+w.p1+"/payouts?"+tc.query, w.coord, "", nil)
			checkAnswer(t, tc.query, r)
			if r.Status != tc.want || len(r.Body) == 0 {
				t.Errorf("?%s: status %d with %d bytes, want %d with a body: %.200s", tc.query, r.Status, len(r.Body), tc.want, r.Body)
			}
		})
	}
}
