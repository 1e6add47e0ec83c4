package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/catalog"
)

// ---- Catalog: product bodies and reviews ----

// productWrites are the collections a product change touches.
var productWrites = []string{"products", "catalog_meta", "audit"}

var catalogRoutes = []jsonRoute{
	{name: "create product (maker)", method: "POST", path: path("/api/v1/products"), token: (*fuzzWorld).makerTokOf, watch: productWrites,
		after: newDraftOf((*fuzzWorld).ownMaker)},
	{name: "create product (coordinator)", method: "POST", path: path("/api/v1/products"), token: (*fuzzWorld).coordTok, watch: productWrites,
		after: newDraftOf((*fuzzWorld).p1Makers)},
	{name: "create product (buyer)", method: "POST", path: path("/api/v1/products"), token: (*fuzzWorld).buyerTok, watch: productWrites},
	{name: "edit draft (maker)", method: "PATCH", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.draft },
		token: (*fuzzWorld).makerTokOf, watch: productWrites},
	{name: "edit published (coordinator)", method: "PATCH", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.published },
		token: (*fuzzWorld).coordTok, watch: productWrites},
	{name: "edit other program's product", method: "PATCH", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.foreign },
		token: (*fuzzWorld).coordTok, watch: productWrites},
	{name: "reject", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.pending + "/reject" },
		token: (*fuzzWorld).coordTok, watch: productWrites, after: renewPending},
	{name: "approve", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.pending + "/approve" },
		token: (*fuzzWorld).coordTok, watch: productWrites, after: renewPending},
	{name: "reject by its maker", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.pending + "/reject" },
		token: (*fuzzWorld).makerTokOf, watch: productWrites},
	{name: "wage exception", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.draft + "/wage-exception" },
		token: (*fuzzWorld).coordTok, watch: productWrites},
	{name: "wage exception by its maker", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.draft + "/wage-exception" },
		token: (*fuzzWorld).makerTokOf, watch: productWrites},
}

func (w *fuzzWorld) ownMaker() []string { return []string{w.maker} }
func (w *fuzzWorld) p1Makers() []string { return []string{w.maker, w.maker2} }

// newDraftOf checks that a new product, whatever else its body said, is a draft of one of the
// makers the caller may list for.
func newDraftOf(makers func(*fuzzWorld) []string) func(t *testing.T, w *fuzzWorld, r fuzzResp) {
	return func(t *testing.T, w *fuzzWorld, r fuzzResp) {
		t.Helper()
		m := mustJSONStatus(t, http.StatusCreated, r)
		if m["status"] != "draft" || m["programId"] != w.p1 || !slices.Contains(makers(w), m["makerId"].(string)) {
			t.Fatalf("a new product is not a draft of the caller's program and maker: %s", r.Body)
		}
	}
}

// renewPending lists and submits a fresh product once the one waiting for review was decided.
func renewPending(t *testing.T, w *fuzzWorld, _ fuzzResp) {
	t.Helper()
	body := `{"title":"Beaded bracelet","description":"Made by hand.","category":"Jewellery","price":60000,"currency":"INR","stock":5,"hoursOfWork":3,"materialsCost":18000}`
	m := mustJSONStatus(t, http.StatusCreated, w.send(t, "POST", "/api/v1/products", w.makerTok, "application/json", []byte(body)))
	id := m["id"].(string)
	mustJSONStatus(t, http.StatusOK, w.send(t, "POST", "/api/v1/products/"+id+"/submit", w.makerTok, "", nil))
	w.pending = id
}

// FuzzCatalogBodies fuzzes product listing and editing, rejection reasons, approvals and wage
// exceptions, by the product's maker, its coordinators and people with no say over it.
func FuzzCatalogBodies(f *testing.F) {
	w := newFuzzWorld(f)
	w.fuzzing()
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		w.fuzzJSON(t, catalogRoutes, sel, body)
	})
}

// ---- The storefront's query string ----

// escapeRequestLine percent-encodes the bytes that cannot appear in an HTTP request line at all
// (controls, spaces, '#', non-ASCII), so the fuzzed query reaches the app instead of being
// refused by the HTTP layer; everything else, malformed escapes included, is sent as it is.
func escapeRequestLine(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// searchPage is the storefront's answer.
type searchPage struct {
	Items   []map[string]any `json:"items"`
	Total   int              `json:"total"`
	Page    int              `json:"page"`
	PerPage int              `json:"perPage"`
}

// checkSearch sends one raw query to the storefront and checks the answer: a 4xx error body, or
// a page of public products that never shows a draft or a maker's private details.
func (w *fuzzWorld) checkSearch(t testing.TB, raw string) (fuzzResp, searchPage) {
	t.Helper()
	url := "/api/v1/products?" + escapeRequestLine(string(w.expand([]byte(raw))))
	r := w.send(t, "GET", url, "", "", nil)
	what := fmt.Sprintf("GET %q", truncateForLog([]byte(url)))
	checkAnswer(t, what, r)
	var page searchPage
	if r.Status != http.StatusOK {
		if r.Status != http.StatusBadRequest {
			t.Fatalf("%s: status %d, want 200 or 400: %s", what, r.Status, r.Body)
		}
		return r, page
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&page); err != nil {
		t.Fatalf("%s: the page is not the storefront's JSON (%v): %s", what, err, r.Body)
	}
	if page.Items == nil || page.Page < 1 || page.PerPage < 1 || page.PerPage > catalog.MaxPerPage || len(page.Items) > page.PerPage {
		t.Fatalf("%s: page %d of %d per page with %d items: %s", what, page.Page, page.PerPage, len(page.Items), r.Body)
	}
	if page.Total > 2 || len(page.Items) > 2 {
		t.Fatalf("%s: %d products found, but only 2 are published: %s", what, page.Total, r.Body)
	}
	for _, leak := range []string{w.secretTitle, "Legal Name", "+91", "legalName", "phone"} {
		if bytes.Contains(r.Body, []byte(leak)) {
			t.Fatalf("%s: the storefront shows %q: %s", what, leak, r.Body)
		}
	}
	return r, page
}

// FuzzSearchQuery fuzzes the storefront's raw query string: operators in brackets, repeated
// keys, broken escapes, huge numbers, invalid UTF-8.
func FuzzSearchQuery(f *testing.F) {
	w := newFuzzWorld(f)
	w.fuzzing()
	f.Fuzz(func(t *testing.T, raw string) {
		defer w.showLogs(t)
		// The production server refuses request heads over 64 KB; keep the fuzzed ones under it.
		if len(raw) > 60<<10 {
			raw = raw[:60<<10]
		}
		w.checkSearch(t, raw)
	})
}

// TestSearchUniqueQueriesKeepMemoryBounded sends the storefront thousands of distinct query
// strings that all ask for the same page (an unknown parameter with a long random value, as a
// bot or an attacker would). The page cache may keep what it likes within its budget (16 MB of
// pages), but the raw query strings it files pages under must not make it hold more: otherwise
// every request leaves its whole query string (up to the 64 KB request-head limit) in memory
// until the catalog next changes.
func TestSearchUniqueQueriesKeepMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 64 MB of query strings")
	}
	w := newFuzzWorld(t)
	pad := strings.Repeat("a", 32<<10)
	w.checkSearch(t, "")
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	const n = 2000 // 2000 × 32 KB = 64 MB of query strings, four times the cache's budget
	for i := range n {
		r := w.send(t, "GET", fmt.Sprintf("/api/v1/products?utm_campaign=%d%s", i, pad), "", "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	}
	grown := int64(heap()) - int64(before)
	t.Logf("heap grew by %d MB after %d distinct 32 KB queries", grown>>20, n)
	if grown > 32<<20 { // the 16 MB budget, with room for the map and the collector's slack
		t.Fatalf("the heap grew by %d MB after %d distinct queries for one page: the raw query strings are kept beyond the page cache's budget", grown>>20, n)
	}
}
