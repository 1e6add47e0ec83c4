package frontend_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/app/apptest"
)

// Unknown web addresses and wrong methods get the site's own HTML pages in the reader's
// language; the API keeps its JSON errors.
func TestUnknownWebPathsGetTheSitesPages(t *testing.T) {
	e := apptest.New(t)
	w := newWeb(t, e)
	for _, tc := range []struct {
		path, lang string
		status     int
		want       string
	}{
		{"/about", "en", http.StatusNotFound, "Page not found"},
		{"/maker/foo", "bn", http.StatusNotFound, "পাতা"},
		{"/coordinator/nowhere", "hi", http.StatusNotFound, "पेज"},
		{"/privacy?lang=bn", "", http.StatusNotFound, `lang="bn"`},
		// A language link to a form's address (a GET of a POST-only route) is a page, not JSON.
		{"/checkout?lang=hi", "", http.StatusMethodNotAllowed, "फ़ॉर्म"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			var p page
			if tc.lang != "" {
				p = w.get(tc.path, "Accept-Language", tc.lang)
			} else {
				p = w.get(tc.path)
			}
			must(t, p, tc.status, tc.want, `href="/"`)
			if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	p := w.get("/api/v1/nowhere")
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	if p.Status != http.StatusNotFound || json.Unmarshal([]byte(p.Body), &body) != nil || body.Error.Code != "route_not_found" {
		t.Fatalf("API 404: %d %s", p.Status, p.Body)
	}
}

// A page handler that panics gives the site's own error page in the reader's language (the
// shell's recovery; httpserver's own tests show the API keeps its JSON 500).
func TestPanickingPageGetsTheSitesErrorPage(t *testing.T) {
	e := apptest.New(t)
	e.App.Engine.GET("/maker/test-panic", func(*gin.Context) { panic("a bug in a page") })
	w := newWeb(t, e)
	p := w.get("/maker/test-panic", "Accept-Language", "bn")
	must(t, p, http.StatusInternalServerError, `lang="bn"`, "আবার চেষ্টা")
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
}

// The shop's program filter comes from the catalog's read model, not the database, and a new
// program is in it at once.
func TestShopProgramFilterFromTheReadModel(t *testing.T) {
	e := apptest.New(t)
	e.Program("Kolkata Jewellery Workshop")
	w := newWeb(t, e)
	must(t, w.get("/products"), http.StatusOK, "Kolkata Jewellery Workshop")
	e.Program("Darjeeling Weaving Collective")
	dir := e.App.Catalog.ProgramDirectory()
	if len(dir) != 2 || dir[0].Name != "Darjeeling Weaving Collective" {
		t.Fatalf("directory %+v, want both programs by name", dir)
	}
	must(t, w.get("/products"), http.StatusOK, "Darjeeling Weaving Collective", "Kolkata Jewellery Workshop")
}
