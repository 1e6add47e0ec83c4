package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/httpserver"
)

// docsEngine serves the description's routes behind the same security headers as the app.
func docsEngine() *gin.Engine {
	r, err := httpserver.New(httpserver.Config{}, httpserver.FaceFunc(func(r *gin.Engine) { (&Server{}).openapiRoutes(r) }))
	if err != nil {
		panic(err)
	}
	return r
}

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestOpenAPIServed checks the description is served as the JSON embedded in the binary, with
// an ETag that clients can revalidate.
func TestOpenAPIServed(t *testing.T) {
	h := docsEngine()
	w := get(t, h, OpenAPIPath)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %s", OpenAPIPath, w.Code, w.Header().Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) == 0 {
		t.Errorf("openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w := get(t, h, OpenAPIPath, "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 and no body", w.Code, w.Body.Len())
	}
}

// TestOpenAPIDocsPage checks the browsable page lists every operation with its parameters,
// bodies and responses, and every schema, and works under the site's CSP: no script, no inline
// style, nothing from another origin.
func TestOpenAPIDocsPage(t *testing.T) {
	h := docsEngine()
	w := get(t, h, DocsPath)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", DocsPath, w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()

	var doc struct {
		Paths      map[string]map[string]struct{ OperationID string } `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatal(err)
	}
	ops := 0
	for path, item := range doc.Paths {
		for method, op := range item {
			ops++
			if !strings.Contains(page, `id="op-`+op.OperationID+`"`) {
				t.Errorf("%s %s (%s) is not on the page", method, path, op.OperationID)
			}
			if !strings.Contains(page, "<code>/api/v1"+path+"</code>") {
				t.Errorf("the path /api/v1%s is not on the page", path)
			}
		}
	}
	for name := range doc.Components.Schemas {
		if !strings.Contains(page, `id="schema-`+name+`"`) {
			t.Errorf("schema %s is not on the page", name)
		}
	}
	for _, want := range []string{
		"<h4>Parameters</h4>", "<h4>Request body</h4>", "<h4>Responses</h4>",
		`<a href="#schema-ProductView">ProductView</a>`, // a response schema links to its table
		"Requires login",        // the auth requirement of operations
		`<code>minPrice</code>`, // a query parameter
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	t.Logf("%d operations, %d schemas, %d bytes", ops, len(doc.Components.Schemas), len(page))

	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script`), regexp.MustCompile(`(?i)\sstyle=`), regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\son[a-z]+=`), regexp.MustCompile(`(?i)(src|href)="(https?:)?//`),
	} {
		if m := bad.FindString(page); m != "" {
			t.Errorf("the page has %q, which the CSP (default-src 'self', no inline) forbids or which loads from elsewhere", m)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if w := get(t, h, docsCSSPath); w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("GET %s: %d %s", docsCSSPath, w.Code, w.Header().Get("Content-Type"))
	}
}
