package api_test

// NoSQL injection and body-size tests. Request values are typed (a JSON string field refuses an
// object), path and query parameters are plain strings, and bodies are capped: these tests send
// the classic MongoDB operator payloads everywhere a value enters the app and check that each one
// is refused with a clear 4xx, or treated as the plain string it is — never an operator that
// matches more, never a login without the password, never a stored partial change.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/api"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/training"
)

// operatorValues are operator payloads as they arrive in a path or a query value: plain strings.
var operatorValues = []string{`{"$gt":""}`, `{"$ne":null}`, `{"$regex":".*"}`, `[$ne]`, `$where`, `.*`, "a\x00b", "\xff\xfe"}

// sendJSON posts a JSON body (a string is sent verbatim) and decodes the answer.
func (w *fuzzWorld) sendJSON(t testing.TB, method, path, token string, body any) (fuzzResp, map[string]any) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case nil:
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	r := w.send(t, method, path, token, "application/json", b)
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return r, m
}

func TestNoSQLInjectionLogin(t *testing.T) {
	w := newFuzzWorld(t)
	w.sendJSON(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": "victim@test.example", "password": "victim-password-1", "name": "Victim"})
	cases := []struct {
		name string
		body string
		want int
	}{
		{"login gt, password gt", `{"login":{"$gt":""},"password":{"$gt":""}}`, 400},
		{"login ne", `{"login":{"$ne":null},"password":"victim-password-1"}`, 400},
		{"password ne", `{"login":"victim@test.example","password":{"$ne":null}}`, 400},
		{"email ne, password ne", `{"email":{"$ne":null},"password":{"$ne":null}}`, 400},
		{"login regex", `{"login":{"$regex":".*"},"password":"victim-password-1"}`, 400},
		{"login in", `{"login":{"$in":["victim@test.example","admin@test.example"]},"password":"victim-password-1"}`, 400},
		{"login as array", `{"login":["victim@test.example"],"password":"victim-password-1"}`, 400},
		{"where at top", `{"$where":"1","login":"victim@test.example"}`, 400},
		{"or at top", `{"$or":[{"login":"victim@test.example"}],"password":"x"}`, 400},
		// The same payloads as strings are logins nobody has.
		{"operator as a string", `{"login":"{\"$gt\":\"\"}","password":"victim-password-1"}`, 401},
		{"regex as a string", `{"login":".*","password":"victim-password-1"}`, 401},
		{"javascript in login", `{"login":"victim@test.example' || '1'=='1","password":"x"}`, 401},
		{"javascript in password", `{"login":"victim@test.example","password":"' || 1==1 //"}`, 401},
		{"regex as password", `{"login":"victim@test.example","password":".*"}`, 401},
		{"nul after login", `{"login":"victim@test.example\u0000","password":"victim-password-1"}`, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := w.digest(t, "sessions")
			r, m := w.sendJSON(t, "POST", "/api/v1/auth/login", "", tc.body)
			checkAnswer(t, tc.name, r)
			if r.Status != tc.want || m["token"] != nil {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
			if w.digest(t, "sessions") != before {
				t.Fatal("a refused login opened a session")
			}
		})
	}
	// Nothing above locked the account or changed its password.
	r, m := w.sendJSON(t, "POST", "/api/v1/auth/login", "", map[string]string{"login": "victim@test.example", "password": "victim-password-1"})
	if r.Status != http.StatusOK || m["token"] == nil {
		t.Fatalf("the real login: status %d: %s", r.Status, r.Body)
	}
}

func TestNoSQLInjectionRegister(t *testing.T) {
	w := newFuzzWorld(t)
	valid := map[string]any{"email": "new@test.example", "password": "a-long-password-1", "name": "New Buyer"}
	for _, field := range []string{"email", "password", "name"} {
		for _, op := range []any{map[string]any{"$gt": ""}, map[string]any{"$ne": nil}, []string{"a"}, 12} {
			body := with(valid, field, op)
			t.Run(fmt.Sprintf("%s=%v", field, op), func(t *testing.T) {
				before := w.digest(t, "users", "sessions")
				r, m := w.sendJSON(t, "POST", "/api/v1/auth/register", "", body)
				checkAnswer(t, "register", r)
				e, _ := m["error"].(map[string]any)
				fields, _ := e["fields"].(map[string]any)
				if r.Status != http.StatusBadRequest || fields[field] == nil {
					t.Fatalf("status %d, want 400 naming %s: %s", r.Status, field, r.Body)
				}
				if w.digest(t, "users", "sessions") != before {
					t.Fatal("a refused sign-up stored something")
				}
			})
		}
	}
	// Fields a buyer may not set are ignored, not stored: the account is a plain buyer.
	body := with(valid, "role", "admin", "$set", map[string]any{"role": "admin"}, "programIds", []string{w.p1},
		"makerId", w.maker, "status", "active", "_id", "chosen-id", "passwordHash", "x")
	r, m := w.sendJSON(t, "POST", "/api/v1/auth/register", "", body)
	if r.Status != http.StatusCreated || m["role"] != "buyer" || m["id"] == "chosen-id" {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var u bson.M
	if err := w.e.DB.Read("users").FindOne(context.Background(), bson.M{"login": "new@test.example"}).Decode(&u); err != nil {
		t.Fatal(err)
	}
	if u["role"] != "buyer" || u["programIds"] != nil || u["makerId"] != nil || u["$set"] != nil || u["_id"] == "chosen-id" {
		t.Fatalf("stored user: %v", u)
	}
}

func TestNoSQLInjectionSearchParams(t *testing.T) {
	w := newFuzzWorld(t)
	get := func(t *testing.T, raw string) (fuzzResp, searchPage) {
		t.Helper()
		return w.checkSearch(t, raw)
	}
	all, allPage := get(t, "")
	if allPage.Total != 2 {
		t.Fatalf("the storefront lists %d products, want the 2 published: %s", allPage.Total, all.Body)
	}
	// A parameter with brackets is another parameter altogether, which the storefront ignores:
	// the answer is the one without it (never an operator applied to q, category or program).
	t.Run("operators in brackets are ignored", func(t *testing.T) {
		for _, tc := range []struct{ raw, same string }{
			{"q[$gt]=", ""},
			{"q[$regex]=.*", ""},
			{"category[$ne]=x", ""},
			{"category[$in][]=jewellery&category[$in][]=textiles", ""},
			{"program[$ne]=nothing", ""},
			{"minPrice[$gt]=0&maxPrice[$lt]=1", ""},
			{"sort[$ne]=x", ""},
			{"$where=1", ""},
			{"category=nothing&category[$ne]=nothing", "category=nothing"},
			{"program=nothing&program[$ne]=nothing", "program=nothing"},
		} {
			r, _ := get(t, tc.raw)
			want, _ := get(t, tc.same)
			if r.Status != http.StatusBadRequest && !bytes.Equal(r.Body, want.Body) {
				t.Errorf("?%s answered differently from ?%s:\n%s\n%s", tc.raw, tc.same, r.Body, want.Body)
			}
		}
	})
	// An operator as a value is a plain string: a category or program of that name (none), or
	// the words it contains (punctuation separates words; nothing is a pattern).
	t.Run("operators as values are plain strings", func(t *testing.T) {
		for _, v := range append(operatorValues, "*", "%", "jewel.*", "^brass$", "brass|scarf") {
			for _, name := range []string{"category", "program"} {
				raw := name + "=" + url.QueryEscape(v)
				if r, page := get(t, raw); r.Status == http.StatusOK && page.Total != 0 {
					t.Errorf("?%s found %d products: %s", raw, page.Total, r.Body)
				}
			}
			words := strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) })
			raw, plain := "q="+url.QueryEscape(v), "q="+url.QueryEscape(strings.Join(words, " "))
			r, _ := get(t, raw)
			want, _ := get(t, plain)
			if r.Status != http.StatusBadRequest && !bytes.Equal(r.Body, want.Body) {
				t.Errorf("?%s answered differently from ?%s:\n%s\n%s", raw, plain, r.Body, want.Body)
			}
		}
	})
}

// fixtureIDs are every id of the fixtures, which no answer to a made-up id may contain.
func (w *fuzzWorld) fixtureIDs() []string {
	ids := []string{w.p1, w.p2, w.coordID, w.maker, w.maker2, w.maker3, w.published, w.draft, w.pending, w.foreign,
		w.track, w.enrollment, w.enrollment2, w.buyerID}
	return append(ids, w.milestones...)
}

// apiRoutes lists the app's /api/v1 routes.
func (w *fuzzWorld) apiRoutes() [][2]string {
	var out [][2]string
	for _, r := range w.e.App.Engine.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			out = append(out, [2]string{r.Method, r.Path})
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[1]+a[0], b[1]+b[0]) })
	return out
}

// fill replaces every :param of a route path with v.
func fill(route string, v func(param string) string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = v(p[1:])
		}
	}
	return strings.Join(parts, "/")
}

// allCollections lists the database's collections but the outbox, whose worker writes on its
// own schedule.
func (w *fuzzWorld) allCollections(t testing.TB) []string {
	t.Helper()
	names, err := w.e.DB.Read("users").Database().ListCollectionNames(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	// The outbox changes on its own; a session's last-seen time is refreshed (at most once a
	// minute) by whatever request comes next, refused or not.
	names = slices.DeleteFunc(names, func(n string) bool { return n == "outbox" || n == "sessions" })
	slices.Sort(names)
	return names
}

func TestNoSQLInjectionPathParams(t *testing.T) {
	w := newFuzzWorld(t)
	ids := w.fixtureIDs()
	colls := w.allCollections(t)
	for _, rt := range w.apiRoutes() {
		method, route := rt[0], rt[1]
		if !strings.Contains(route, ":") {
			continue
		}
		for _, v := range operatorValues {
			p := fill(route, func(string) string { return url.PathEscape(v) })
			what := fmt.Sprintf("%s %s", method, p)
			var before string
			var body []byte
			if method != http.MethodGet {
				before = w.digest(t, colls...)
				body = []byte(`{}`)
			}
			r := w.send(t, method, p, w.admin, "application/json", body)
			checkAnswer(t, what, r)
			if r.Status < 400 {
				if method != http.MethodGet {
					t.Errorf("%s: a made-up id was accepted (%d): %.300s", what, r.Status, r.Body)
				}
				for _, id := range ids {
					if bytes.Contains(r.Body, []byte(id)) {
						t.Errorf("%s: the answer to a made-up id shows the record %s: %.300s", what, id, r.Body)
					}
				}
			}
			if method != http.MethodGet && w.digest(t, colls...) != before {
				t.Errorf("%s: refused with %d but the database changed", what, r.Status)
			}
		}
	}
	// No invitation is accepted by an operator, and no anonymous caller reaches private records.
	for _, v := range operatorValues {
		r, _ := w.sendJSON(t, "POST", "/api/v1/invites/"+url.PathEscape(v)+"/accept", "", map[string]string{"login": "someone", "password": "a-long-password-1"})
		if r.Status != http.StatusNotFound {
			t.Errorf("accept invitation %q: status %d: %s", v, r.Status, r.Body)
		}
	}
}

// noBodyRoutes are the write routes that never read a body (so a body cannot be too large for
// them); every other non-GET /api/v1 route must refuse a body over its cap with 413.
var noBodyRoutes = []string{
	"POST /api/v1/auth/logout", "POST /api/v1/auth/logout-all",
	"DELETE /api/v1/products/:id", "DELETE /api/v1/products/:id/images/:imageId", "POST /api/v1/products/:id/submit",
	"POST /api/v1/orders/:id/deliver", "POST /api/v1/fulfilments/:id/deliver",
	"POST /api/v1/makers/:id/stripe/onboarding", "POST /api/v1/programs/:id/stripe/onboarding",
	"POST /api/v1/makers/:id/invite/revoke", "POST /api/v1/account/two-factor/setup",
}

// oversize is a body over a route's cap: its content type, the form field that carries the
// photo (multipart only) and its size.
type oversize struct {
	contentType, field string
	size               int
}

// oversizeFor says what bodies exceed a route's cap: the JSON cap for JSON routes, the upload cap
// for photos (sent as forms and, where the route takes one, as a raw body).
func oversizeFor(key string) []oversize {
	form := "multipart/form-data; boundary=" + fuzzBoundary
	jsonOver := oversize{"application/json", "", api.MaxJSONBody + 1}
	switch key {
	case "POST /api/v1/products/:id/images":
		return []oversize{{form, "image", catalog.MaxImageBytes + 1<<20 + 1}}
	case "POST /api/v1/enrollments/:id/milestones/:milestoneId/evidence":
		return []oversize{{form, "photo", training.MaxEvidenceBytes + 1<<20 + 1}, {"image/jpeg", "", training.MaxEvidenceBytes + 1<<20 + 1}}
	case "POST /api/v1/enrollments/:id/milestones/:milestoneId/complete":
		return []oversize{jsonOver, {form, "photo", training.MaxEvidenceBytes + 1<<20 + 1}}
	}
	return []oversize{jsonOver}
}

func TestBodySizeLimits(t *testing.T) {
	w := newFuzzWorld(t)
	colls := w.allCollections(t)
	// Real ids, so a route that looked its record up before reading the body would still be
	// made to read it.
	param := func(route string) func(string) string {
		return func(name string) string {
			switch {
			case name == "milestoneId":
				return w.milestones[0]
			case name == "imageId":
				return "none"
			case name == "token" && strings.HasPrefix(route, "/api/v1/invites"):
				return w.makerInvite
			case strings.HasPrefix(route, "/api/v1/products/"):
				return w.draft
			case strings.HasPrefix(route, "/api/v1/makers/"):
				return w.maker
			case strings.HasPrefix(route, "/api/v1/programs/"):
				return w.p1
			case strings.HasPrefix(route, "/api/v1/tracks/"):
				return w.track
			case strings.HasPrefix(route, "/api/v1/enrollments/"):
				return w.enrollment
			}
			return "none"
		}
	}
	tested := 0
	for _, rt := range w.apiRoutes() {
		method, route := rt[0], rt[1]
		key := method + " " + route
		if method == http.MethodGet || method == http.MethodHead || slices.Contains(noBodyRoutes, key) {
			continue
		}
		p := fill(route, param(route))
		for _, o := range oversizeFor(key) {
			t.Run(key+" "+o.contentType, func(t *testing.T) {
				tested++
				body := oversizeBody(o)
				before := w.digest(t, colls...)
				r := w.send(t, method, p, w.admin, o.contentType, body)
				checkAnswer(t, key, r)
				if r.Status != http.StatusRequestEntityTooLarge {
					t.Errorf("a %d-byte body: status %d, want 413: %.300s", len(body), r.Status, r.Body)
				}
				if w.digest(t, colls...) != before {
					t.Error("a body over the cap changed the database")
				}
			})
		}
	}
	if tested < 30 {
		t.Fatalf("only %d bodies tested: is the route list right?", tested)
	}
}

// oversizeBody is a body of exactly o.size bytes that is well-formed as far as it goes (JSON with
// a long string; a form whose photo part never ends; a JPEG that never ends), so only its size is
// wrong.
func oversizeBody(o oversize) []byte {
	var prefix, suffix string
	switch {
	case o.field != "":
		prefix = "--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"" + o.field + "\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff"
	case o.contentType == "image/jpeg":
		prefix = "\xff\xd8\xff"
	default:
		prefix, suffix = `{"name":"`, `"}`
	}
	b := make([]byte, 0, o.size)
	b = append(b, prefix...)
	b = append(b, bytes.Repeat([]byte{'a'}, o.size-len(prefix)-len(suffix))...)
	return append(b, suffix...)
}

// countingBody is a request body of n bytes (prefix, then filler) that records how much of it
// the server read.
type countingBody struct {
	prefix string
	n, off int64
	read   atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	if c.off >= c.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), c.n-c.off)
	for i := range p[:k] {
		if j := c.off + int64(i); j < int64(len(c.prefix)) {
			p[i] = c.prefix[j]
		} else {
			p[i] = 'a'
		}
	}
	c.off += k
	c.read.Store(c.off)
	return int(k), nil
}

// TestFormBodiesAreCapped sends the web pages' form handlers (outside /api/v1) a 64 MB form, as
// an anonymous visitor can: a multipart form whose file part never ends, and a URL-encoded one.
// The server must stop reading long before the end (Go's own form parser reads URL-encoded
// bodies up to 10 MB, and writes multipart file parts beyond 32 MB to temporary files without
// any limit); a page answering without reading the body is fine too.
func TestFormBodiesAreCapped(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 64 MB forms")
	}
	w := newFuzzWorld(t)
	// allowed leaves room above the 11 MB cap for what loopback socket buffers take in before
	// the server closes the connection (several MB under load).
	const size, allowed = 64 << 20, 24 << 20
	for _, rt := range w.e.App.Engine.Routes() {
		if rt.Method != http.MethodPost || strings.HasPrefix(rt.Path, "/api/") {
			continue
		}
		p := fill(rt.Path, func(string) string { return "x" })
		for _, form := range []struct{ contentType, prefix string }{
			{"multipart/form-data; boundary=" + fuzzBoundary, "--" + fuzzBoundary +
				"\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"},
			{"application/x-www-form-urlencoded", "login=a&password=b&next=%2F&x="},
		} {
			t.Run(rt.Path+" "+form.contentType, func(t *testing.T) {
				body := &countingBody{prefix: form.prefix, n: size}
				req, err := http.NewRequest("POST", w.url+p, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", form.contentType)
				req.Header.Set("Origin", w.url) // same-origin, as a browser sends a form
				status := 0
				if res, err := w.client.Do(req); err == nil {
					status = res.StatusCode
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				if read := body.read.Load(); read > allowed {
					t.Errorf("POST %s read %d MB of a %d MB form (status %d): form bodies need a cap", p, read>>20, size>>20, status)
				}
				if status >= 500 {
					t.Errorf("POST %s: status %d", p, status)
				}
			})
		}
	}
}

func TestNoSQLInjectionCheckout(t *testing.T) {
	w := newFuzzWorld(t)
	line := func(productID any) map[string]any { return map[string]any{"productId": productID, "quantity": 1} }
	cart := func(items ...map[string]any) map[string]any {
		return map[string]any{"items": items, "email": "guest@test.example", "shippingAddress": json.RawMessage(shippingAddress)}
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"productId gt", cart(line(map[string]any{"$gt": ""})), "items[0].productId"},
		{"productId ne", cart(line(map[string]any{"$ne": nil})), "items[0].productId"},
		{"productId in", cart(line(map[string]any{"$in": []string{w.published, w.draft}})), "items[0].productId"},
		{"productId regex", cart(line(map[string]any{"$regex": ".*"})), "items[0].productId"},
		{"productId array", cart(line([]string{w.published})), "items[0].productId"},
		{"productId operator string", cart(line(`{"$gt":""}`)), "items[0].productId"},
		{"productId regex string", cart(line(".*")), "items[0].productId"},
		{"productId of a draft", cart(line(w.draft)), "items[0].productId"},
		{"quantity gt", cart(map[string]any{"productId": w.published, "quantity": map[string]any{"$gt": 0}}), "items[0].quantity"},
		{"email ne", with(cart(line(w.published)), "email", map[string]any{"$ne": nil}), "email"},
		{"address of operators", with(cart(line(w.published)), "shippingAddress", map[string]any{"$ne": nil}), "shippingAddress.name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := w.digest(t, "orders", "ledger", "audit") + stockOf(t, w)
			r, m := w.sendJSON(t, "POST", "/api/v1/checkout", "", tc.body)
			checkAnswer(t, tc.name, r)
			e, _ := m["error"].(map[string]any)
			fields, _ := e["fields"].(map[string]any)
			// A type error names the field without its index ("items.productId").
			if r.Status != http.StatusBadRequest || (fields[tc.field] == nil && fields[strings.ReplaceAll(tc.field, "[0]", "")] == nil) {
				t.Fatalf("status %d, want 400 naming %s: %s", r.Status, tc.field, r.Body)
			}
			if w.digest(t, "orders", "ledger", "audit")+stockOf(t, w) != before {
				t.Fatal("a refused checkout changed orders, the ledger or stock")
			}
		})
	}
	// Operator keys beside a valid cart are ignored: the order is for exactly what was asked.
	body := with(cart(line(w.published)), "$where", "1", "status", "paid", "total", 1, "buyerId", w.coordID)
	r, m := w.sendJSON(t, "POST", "/api/v1/checkout", "", body)
	if r.Status != http.StatusCreated || m["status"] != "pending_payment" || m["total"] != float64(60000) {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
}
