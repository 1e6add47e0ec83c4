package api_test

// Hostile-input fuzzing. Each Fuzz function starts one whole marketplace (apptest) with the
// fixtures its routes need, then sends every fuzzed input to the real HTTP API and checks what a
// hostile client must never get: a 5xx or a panic, a 4xx without the standard JSON error body, a
// 2 MB body accepted, or a refused request that still wrote something.
//
// The seed corpora live in testdata/fuzz/FuzzXxx (hand-made seeds are written from
// fuzz_seeds_test.go; crashers `go test -fuzz` finds land there too) and run as ordinary tests.
// Fuzz one target with e.g.
//
//	go test ./api/ -run '^$' -fuzz '^FuzzAuthBodies$' -fuzztime 60s

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/api"
	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/app/apptest"
)

// inflateBody is the bit of a fuzzed route selector that pads the body to over 2 MB (leading JSON
// whitespace, so the decoder must read past the cap): the seed files stay small while still
// sending "2 MB bodies", and the fuzzer flips it freely.
const inflateBody = 0x80

// inflatedSize is how large an inflated body is: twice the JSON cap, 2 MB.
const inflatedSize = 2 * api.MaxJSONBody

// noRateLimits lifts the rate limits far above anything a fuzzer sends: fuzzing is about input,
// and the limiter has its own tests.
func noRateLimits(c *app.Config) { c.RateLimitScale = 1e6 }

// quietTB is the testing.TB the app of a fuzz world logs to (apptest logs through it when -v is
// set). Once fuzzing starts the *testing.F must not be used, so from then on log lines are kept
// in a small ring instead, and shown with a failing input (see showLogs).
type quietTB struct {
	testing.TB
	mu    sync.Mutex
	quiet bool
	lines []string
}

func (q *quietTB) Log(args ...any) { q.keep(fmt.Sprintln(args...)) }

func (q *quietTB) Logf(format string, args ...any) { q.keep(fmt.Sprintf(format, args...)) }

func (q *quietTB) keep(line string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.quiet {
		q.TB.Log(strings.TrimSpace(line))
		return
	}
	q.lines = append(q.lines, strings.TrimSpace(line))
	if len(q.lines) > 40 {
		q.lines = q.lines[len(q.lines)-40:]
	}
}

// fuzzing switches the app's logs to the ring: call it just before f.Fuzz.
func (w *fuzzWorld) fuzzing() {
	w.tb.mu.Lock()
	defer w.tb.mu.Unlock()
	w.tb.quiet = true
}

// showLogs prints the app's recent log lines if the input failed (run with -v to have any):
// defer it at the start of a fuzz body.
func (w *fuzzWorld) showLogs(t *testing.T) {
	w.tb.mu.Lock()
	lines := w.tb.lines
	w.tb.lines = nil
	w.tb.mu.Unlock()
	if t.Failed() {
		for _, l := range lines {
			t.Log("app: " + l)
		}
	}
}

// fuzzWorld is a marketplace with the fixtures every fuzz target draws on: two programs, a
// coordinator of each, makers, products in each state, a training track with enrolments, a buyer
// and unused invitations.
type fuzzWorld struct {
	tb     *quietTB
	e      *apptest.Env
	client *http.Client
	// url is a server over the app's own handler, for the fuzzed requests: apptest's server
	// checks every exchange against the OpenAPI description and reports through the *testing.F,
	// which must not be used once fuzzing has started.
	url string

	admin            string
	p1, p2           string // p2 is outside coord's scope
	coordID, coord   string
	coord2           string
	maker, makerTok  string
	maker2           string // a second maker of p1, for enrolments and erasure
	maker3           string // a maker of p2
	published, draft string // products of maker
	pending          string // a product of maker waiting for review
	foreign          string // a published product in p2
	track            string
	milestones       []string
	enrollment       string // maker on track
	enrollment2      string // maker2 on track
	buyerID, buyer   string
	makerInvite      string // an unused maker invitation
	coordInvite      string // an unused coordinator invitation
	secretTitle      string // the title of a draft: it must never reach the storefront

	// Payments fixtures (newPayFuzzWorld): orders by purpose, the maker's Stripe account.
	orders map[string]string
	acct   string
	seq    int
}

// newFuzzWorld builds the fixtures over real HTTP. tb is the *testing.F of the target: it must
// not be used inside f.Fuzz (use the *testing.T given there).
func newFuzzWorld(tb testing.TB, opts ...apptest.Option) *fuzzWorld {
	tb.Helper()
	qt := &quietTB{TB: tb}
	e := apptest.New(qt, append([]apptest.Option{noRateLimits}, opts...)...)
	srv := httptest.NewServer(e.App.Handler)
	tb.Cleanup(srv.Close)
	w := &fuzzWorld{tb: qt, e: e, client: srv.Client(), url: srv.URL, admin: e.AdminToken}
	w.client.Timeout = time.Minute
	w.p1 = e.Program("Kolkata Jewellery Workshop")
	w.p2 = e.Program("Mumbai Tailoring Workshop")
	w.coordID, w.coord = e.Coordinator(w.p1)
	_, w.coord2 = e.Coordinator(w.p2)
	w.maker, w.makerTok = e.Maker(w.p1, w.coord)
	w.maker2, _ = e.Maker(w.p1, w.coord)
	var m3tok string
	w.maker3, m3tok = e.Maker(w.p2, w.coord2)
	w.buyerID, w.buyer = e.Buyer()

	product := func(token, title string) string {
		return e.Must(http.StatusCreated, "POST", "/api/v1/products", token, map[string]any{
			"title": title, "description": "Made by hand in the workshop.", "category": "Jewellery",
			"price": 60000, "currency": "INR", "stock": 50, "hoursOfWork": 3, "materialsCost": 18000}).Str("id")
	}
	publish := func(id, makerTok, coordTok string) {
		e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", makerTok, nil)
		e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", coordTok, nil)
	}
	w.published = product(w.makerTok, "Brass jhumka earrings")
	publish(w.published, w.makerTok, w.coord)
	w.secretTitle = "Unpublished draft zq7"
	w.draft = product(w.makerTok, w.secretTitle)
	w.pending = product(w.makerTok, "Beaded bracelet")
	e.Must(http.StatusOK, "POST", "/api/v1/products/"+w.pending+"/submit", w.makerTok, nil)
	w.foreign = product(m3tok, "Block-printed cotton scarf")
	publish(w.foreign, m3tok, w.coord2)

	r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+w.p1+"/tracks", w.coord, map[string]any{
		"name": "Goldsmithing foundations", "description": "From bench safety to a finished piece.", "qualification": "G&J/Q0603",
		"milestones": []map[string]any{
			{"title": "Bench safety and tools", "hours": 12},
			{"title": "Soldering a chain", "requiresEvidence": true, "hours": 24},
			{"title": "Finishing and polishing", "hours": 16},
		}})
	w.track = r.Str("id")
	for _, m := range r.JSON["milestones"].([]any) {
		w.milestones = append(w.milestones, m.(map[string]any)["id"].(string))
	}
	w.enrollment = e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+w.track+"/enrollments", w.coord,
		map[string]any{"makerId": w.maker}).Str("id")
	w.enrollment2 = e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+w.track+"/enrollments", w.coord,
		map[string]any{"makerId": w.maker2}).Str("id")

	w.makerInvite = e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+w.p1+"/makers", w.coord, map[string]any{
		"displayName": "Invited maker", "legalName": "Invited Legal Name", "consent": map[string]bool{"publicProfile": true}}).Str("inviteToken")
	w.coordInvite = e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+w.p1+"/coordinators", w.admin,
		map[string]string{"name": "Invited coordinator", "email": "invited-coord@test.example"}).Str("inviteToken")
	return w
}

// fuzzResp is an answer, read in full.
type fuzzResp struct {
	Status int
	Header http.Header
	Body   []byte
}

// send makes one request; a failure to get any answer at all fails the input.
func (w *fuzzWorld) send(t testing.TB, method, path, token, contentType string, body []byte) fuzzResp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, w.url+path, rd)
	if err != nil {
		t.Fatalf("build request %s %q: %v", method, path, err)
	}
	return w.sendReq(t, req, token, contentType)
}

func (w *fuzzWorld) sendReq(t testing.TB, req *http.Request, token, contentType string) fuzzResp {
	t.Helper()
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := w.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: no answer: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", req.Method, req.URL.Path, err)
	}
	return fuzzResp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// errorBody is the one shape every 4xx body has.
type errorBody struct {
	Error *struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
		Details map[string]any    `json:"details"`
	} `json:"error"`
}

// traceFuzz logs every fuzzed request and its answer (FUZZ_TRACE=1 go test -v ./api/ -run ^Fuzz),
// to see what the seeds reach.
var traceFuzz = os.Getenv("FUZZ_TRACE") != ""

// checkAnswer fails unless r is below 500 and, for a 4xx, carries exactly the standard JSON
// error body with a code and a message; a JSON 2xx must be JSON.
func checkAnswer(t testing.TB, what string, r fuzzResp) {
	t.Helper()
	if traceFuzz {
		t.Logf("TRACE %.200s -> %d %.200s", what, r.Status, r.Body)
	}
	if r.Status >= 500 {
		t.Fatalf("%s: status %d (a hostile input must never cause a server error): %s", what, r.Status, r.Body)
	}
	if r.Status < 400 {
		// A JSON answer that is not JSON is a failure the handler did not report (an encoding
		// error after the status was chosen).
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && !json.Valid(r.Body) {
			t.Fatalf("%s: %d answered JSON that is not JSON (%d bytes): %.300q", what, r.Status, len(r.Body), r.Body)
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: %d answered with Content-Type %q, want JSON: %s", what, r.Status, ct, r.Body)
	}
	var eb errorBody
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil || dec.More() {
		t.Fatalf("%s: %d body is not the standard error object (%v): %s", what, r.Status, err, r.Body)
	}
	if eb.Error == nil || eb.Error.Code == "" || eb.Error.Message == "" {
		t.Fatalf("%s: %d error body lacks a code or a message: %s", what, r.Status, r.Body)
	}
}

// digest fingerprints collections: every document, in _id order, and their count. Two equal
// digests mean nothing was inserted, changed or deleted in between.
func (w *fuzzWorld) digest(t testing.TB, colls ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := sha256.New()
	for _, c := range colls {
		cur, err := w.e.DB.Read(c).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			t.Fatalf("digest %s: %v", c, err)
		}
		n := 0
		for cur.Next(ctx) {
			h.Write(cur.Current)
			n++
		}
		if err := cur.Err(); err != nil {
			t.Fatalf("digest %s: %v", c, err)
		}
		_ = cur.Close(ctx)
		fmt.Fprintf(h, "|%s=%d|", c, n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// count returns the number of documents in each collection.
func (w *fuzzWorld) count(t testing.TB, colls ...string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, c := range colls {
		n, err := w.e.DB.Read(c).CountDocuments(context.Background(), bson.D{})
		if err != nil {
			t.Fatalf("count %s: %v", c, err)
		}
		out[c] = n
	}
	return out
}

// jsonRoute is one JSON endpoint a fuzz target sends bodies to.
type jsonRoute struct {
	name   string
	method string
	path   func(w *fuzzWorld) string
	token  func(w *fuzzWorld) string
	// watch lists the collections that must be exactly as they were after a 4xx.
	watch []string
	// counted lists collections whose number of documents must not change after a 4xx (for
	// collections a refusal may legitimately touch, such as a user's failed-login counter).
	counted []string
	// extra adds to the fingerprint what a refusal must leave as it was but the collections
	// above do not cover exactly (such as the products' stock, whose documents a refused
	// checkout may touch and restore).
	extra func(t testing.TB, w *fuzzWorld) string
	// after runs when the route succeeded, to restore fixtures the success used up.
	after func(t *testing.T, w *fuzzWorld, r fuzzResp)
}

// fingerprint is the state a refusal of rt must leave unchanged.
func (w *fuzzWorld) fingerprint(t testing.TB, rt jsonRoute) string {
	fp := w.digest(t, rt.watch...)
	if rt.extra != nil {
		fp += "|" + rt.extra(t, w)
	}
	return fp
}

// fuzzJSON sends body to the route sel picks and checks the answer and what was stored. With the
// inflateBody bit set the body is padded past 2 MB and must be refused with 413.
func (w *fuzzWorld) fuzzJSON(t *testing.T, routes []jsonRoute, sel uint8, body []byte) {
	defer w.showLogs(t)
	rt := routes[int(sel&^inflateBody)%len(routes)]
	inflate := sel&inflateBody != 0
	if inflate {
		body = append(bytes.Repeat([]byte{' '}, inflatedSize), body...)
	}
	body = w.expand(body)
	what := fmt.Sprintf("%s %q", rt.name, truncateForLog(body))
	before := w.fingerprint(t, rt)
	counts := w.count(t, rt.counted...)
	token := ""
	if rt.token != nil {
		token = rt.token(w)
	}
	r := w.send(t, rt.method, rt.path(w), token, "application/json", body)
	checkAnswer(t, what, r)
	if inflate && r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("%s: a %d-byte body got %d, want 413: %s", what, len(body), r.Status, r.Body)
	}
	if r.Status >= 400 {
		if after := w.fingerprint(t, rt); after != before {
			t.Fatalf("%s: refused with %d but %v changed (partial write): %s", what, r.Status, rt.watch, r.Body)
		}
		for c, n := range w.count(t, rt.counted...) {
			if n != counts[c] {
				t.Fatalf("%s: refused with %d but %s went from %d to %d documents: %s", what, r.Status, c, counts[c], n, r.Body)
			}
		}
		return
	}
	if rt.after != nil {
		rt.after(t, w, r)
	}
}

// expand replaces the placeholders seeds use for the fixtures' ids ({{maker}}, {{track}}, …).
func (w *fuzzWorld) expand(b []byte) []byte {
	if !bytes.Contains(b, []byte("{{")) {
		return b
	}
	ids := []string{
		"{{maker}}", w.maker, "{{maker2}}", w.maker2, "{{maker3}}", w.maker3, "{{p1}}", w.p1, "{{p2}}", w.p2,
		"{{published}}", w.published, "{{draft}}", w.draft, "{{pending}}", w.pending, "{{foreign}}", w.foreign,
		"{{track}}", w.track, "{{enrollment}}", w.enrollment, "{{buyer}}", w.buyerID, "{{coord}}", w.coordID,
	}
	for i, m := range w.milestones {
		ids = append(ids, fmt.Sprintf("{{m%d}}", i), m)
	}
	for k, v := range w.orders {
		ids = append(ids, "{{order:"+k+"}}", v)
	}
	w.seq++
	ids = append(ids, "{{acct}}", w.acct, "{{evt}}", fmt.Sprintf("evt_fuzz_%d_%d", time.Now().UnixNano(), w.seq))
	return []byte(strings.NewReplacer(ids...).Replace(string(b)))
}

// truncateForLog keeps failure messages readable when the body is 2 MB.
func truncateForLog(b []byte) string {
	b = bytes.TrimLeft(b, " ")
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// mustJSONStatus decodes a JSON answer that must have the given status (inside f.Fuzz).
func mustJSONStatus(t testing.TB, want int, r fuzzResp) map[string]any {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("decode answer: %v: %s", err, r.Body)
	}
	return m
}

// Tokens and paths the routes use.
func (w *fuzzWorld) adminTok() string       { return w.admin }
func (w *fuzzWorld) coordTok() string       { return w.coord }
func (w *fuzzWorld) makerTokOf() string     { return w.makerTok }
func (w *fuzzWorld) buyerTok() string       { return w.buyer }
func path(p string) func(*fuzzWorld) string { return func(*fuzzWorld) string { return p } }

// ---- Accounts: register, login, invitations ----

// authRoutes are the bodies anyone can send without logging in.
var authRoutes = []jsonRoute{
	{name: "register", method: "POST", path: path("/api/v1/auth/register"),
		watch: []string{"users", "sessions", "invites", "audit"}, after: onlyBuyers},
	// A wrong password for a real account counts a failure on the user: only its count is fixed.
	{name: "login", method: "POST", path: path("/api/v1/auth/login"),
		watch: []string{"sessions", "invites", "audit"}, counted: []string{"users"}},
	{name: "accept maker invite", method: "POST",
		path:  func(w *fuzzWorld) string { return "/api/v1/invites/" + w.makerInvite + "/accept" },
		watch: []string{"users", "sessions", "invites", "audit"},
		after: func(t *testing.T, w *fuzzWorld, _ fuzzResp) { w.makerInvite = w.newMakerInvite(t) }},
	{name: "accept coordinator invite", method: "POST",
		path:  func(w *fuzzWorld) string { return "/api/v1/invites/" + w.coordInvite + "/accept" },
		watch: []string{"users", "sessions", "invites", "audit"},
		after: func(t *testing.T, w *fuzzWorld, _ fuzzResp) { w.coordInvite = w.newCoordInvite(t) }},
	{name: "accept unknown invite", method: "POST", path: path("/api/v1/invites/not-a-real-token/accept"),
		watch: []string{"users", "sessions", "invites", "audit"}},
}

// onlyBuyers checks that a sign-up, whatever else its body said, made a plain buyer.
func onlyBuyers(t *testing.T, w *fuzzWorld, r fuzzResp) {
	t.Helper()
	m := mustJSONStatus(t, http.StatusCreated, r)
	if m["role"] != "buyer" || m["programIds"] != nil || m["makerId"] != nil {
		t.Fatalf("a sign-up made something other than a plain buyer: %s", r.Body)
	}
}

// newMakerInvite registers one more maker and returns the unused invitation.
func (w *fuzzWorld) newMakerInvite(t testing.TB) string {
	t.Helper()
	body := fmt.Sprintf(`{"displayName":"Invited maker %d","legalName":"Invited Legal Name %d","consent":{"publicProfile":true}}`,
		time.Now().UnixNano(), time.Now().UnixNano())
	m := mustJSONStatus(t, http.StatusCreated, w.send(t, "POST", "/api/v1/programs/"+w.p1+"/makers", w.coord, "application/json", []byte(body)))
	return m["inviteToken"].(string)
}

// newCoordInvite invites one more coordinator and returns the unused invitation.
func (w *fuzzWorld) newCoordInvite(t testing.TB) string {
	t.Helper()
	body := fmt.Sprintf(`{"name":"Invited coordinator","email":"coord-%d@test.example"}`, time.Now().UnixNano())
	m := mustJSONStatus(t, http.StatusCreated, w.send(t, "POST", "/api/v1/programs/"+w.p1+"/coordinators", w.admin, "application/json", []byte(body)))
	return m["inviteToken"].(string)
}

// FuzzAuthBodies fuzzes the bodies of sign-up, sign-in and invitation acceptance.
func FuzzAuthBodies(f *testing.F) {
	w := newFuzzWorld(f)
	w.fuzzing()
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		w.fuzzJSON(t, authRoutes, sel, body)
	})
}

// ---- Programs and makers ----

var programRoutes = []jsonRoute{
	{name: "create program", method: "POST", path: path("/api/v1/programs"), token: (*fuzzWorld).adminTok,
		watch: []string{"programs", "audit"}},
	{name: "program settings (coordinator)", method: "PATCH", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 },
		token: (*fuzzWorld).coordTok, watch: []string{"programs", "audit"}},
	{name: "program settings (admin)", method: "PATCH", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 },
		token: (*fuzzWorld).adminTok, watch: []string{"programs", "audit"}},
	{name: "program settings (other program)", method: "PATCH", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p2 },
		token: (*fuzzWorld).coordTok, watch: []string{"programs", "audit"}},
	{name: "create maker", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/makers" },
		token: (*fuzzWorld).coordTok, watch: []string{"makers", "users", "invites", "audit"}},
	{name: "add coordinator", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/coordinators" },
		token: (*fuzzWorld).adminTok, watch: []string{"users", "invites", "audit"}},
	{name: "consent (maker)", method: "PUT", path: func(w *fuzzWorld) string { return "/api/v1/makers/" + w.maker + "/consent" },
		token: (*fuzzWorld).makerTokOf, watch: []string{"makers", "audit"}},
	{name: "consent (coordinator)", method: "PUT", path: func(w *fuzzWorld) string { return "/api/v1/makers/" + w.maker + "/consent" },
		token: (*fuzzWorld).coordTok, watch: []string{"makers", "audit"}},
	{name: "consent (other program)", method: "PUT", path: func(w *fuzzWorld) string { return "/api/v1/makers/" + w.maker3 + "/consent" },
		token: (*fuzzWorld).coordTok, watch: []string{"makers", "audit"}},
	// Erasure of maker2 ("confirm": "ERASE") succeeds once; every later body is refused.
	{name: "erase maker", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/makers/" + w.maker2 + "/erase" },
		token: (*fuzzWorld).coordTok, watch: []string{"makers", "users", "sessions", "products", "training_enrollments", "audit"}},
}

// FuzzProgramBodies fuzzes program creation and settings, maker registration, coordinators,
// consent changes and erasure requests.
func FuzzProgramBodies(f *testing.F) {
	w := newFuzzWorld(f)
	w.fuzzing()
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		w.fuzzJSON(t, programRoutes, sel, body)
	})
}
