package api_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/api"
	"github.com/fairhands/marketplace/app/apptest"
)

// TestOpenAPIDocument checks the description is a valid OpenAPI 3.1 document that says, for
// every operation, who may call it and how it fails.
func TestOpenAPIDocument(t *testing.T) {
	spec, err := apptest.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", spec.Doc.OpenAPI)
	}
	ids := map[string]string{}
	for path, item := range spec.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := apptest.Operation(method, path)
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", name)
			} else if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q is also %s's", name, op.OperationID, prev)
			}
			ids[op.OperationID] = name
			if !strings.Contains(op.Description, "**Auth:**") {
				t.Errorf("%s: the description does not say who may call it", name)
			}
			if op.Security == nil {
				t.Errorf("%s: no security requirement (use [{}] for public operations)", name)
			}
			var ok2xx bool
			for status := range op.Responses.Map() {
				ok2xx = ok2xx || strings.HasPrefix(status, "2")
			}
			if !ok2xx {
				t.Errorf("%s: no success response", name)
			}
			if op.Responses.Status(http.StatusUnauthorized) == nil {
				t.Errorf("%s: 401 not documented (a bad bearer token answers 401 everywhere)", name)
			}
			if op.RequestBody != nil && op.RequestBody.Value.Content.Get("application/json") != nil &&
				op.Responses.Status(http.StatusBadRequest) == nil {
				t.Errorf("%s: takes JSON but documents no 400", name)
			}
		}
	}
}

var ginParam = regexp.MustCompile(`:(\w+)`)

// TestOpenAPIMatchesRoutes checks the description has exactly the server's /api/v1 routes: every
// registered route is described, and every described operation exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	spec, err := apptest.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	e := apptest.New(t)
	routes := e.App.Engine.Routes()
	own := gin.New() // the description's own routes, whether or not Router() mounts them yet
	api.MountOpenAPIForTest(own)
	routes = append(routes, own.Routes()...)

	registered := map[string]bool{}
	for _, r := range routes {
		if r.Method == http.MethodHead || !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		registered[apptest.Operation(r.Method, ginParam.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}"))] = true
	}
	described := spec.Operations()
	var undocumented, missing []string
	for op := range registered {
		if !slices.Contains(described, op) {
			undocumented = append(undocumented, op)
		}
	}
	for _, op := range described {
		if !registered[op] {
			missing = append(missing, op)
		}
	}
	sort.Strings(undocumented)
	if len(undocumented) > 0 {
		t.Errorf("routes not in api/openapi.json (describe them):\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(missing) > 0 {
		t.Errorf("operations in api/openapi.json that the server does not have:\n  %s", strings.Join(missing, "\n  "))
	}
	t.Logf("%d operations described, %d routes registered under /api/v1", len(described), len(registered))
}

// TestOpenAPICheckCatchesDrift proves the harness fails a test when an answer does not match
// the description: a handler answering a field the schema does not allow, a status the
// operation does not document, a route the description does not have, and a request the app
// accepted although the description says it is wrong.
func TestOpenAPICheckCatchesDrift(t *testing.T) {
	spec, err := apptest.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, path string
		token, reqBody     string
		status             int
		body               string
		want               string
	}{
		{"accepted a body the description rejects", "POST", "/api/v1/programs", "t", `{"name":"Program P","city":"Kolkata","country":"IN","currency":"INR","livingWageHourly":"9000"}`, 201,
			`{"id":"p","name":"P","city":"Kolkata","country":"IN","currency":"INR","livingWageHourly":9000,"programSharePercent":0,"payeeModel":"maker","holdDays":7,"payoutsEnabled":false,"createdAt":"2026-01-01T00:00:00Z"}`,
			"livingWageHourly"},
		{"served a login-only operation without credentials", "GET", "/api/v1/me", "", "", 200, `{"id":"u","role":"buyer"}`, "credentials"},
		{"refused bad input: not held against the description", "POST", "/api/v1/programs", "t", `{"name":5}`, 400,
			`{"error":{"code":"invalid_fields","message":"some fields are not valid","fields":{"name":"must be a string"}}}`, ""},
		{"private field leaks", "GET", "/api/v1/makers/m1/public", "", "", 200,
			`{"id":"m1","displayName":"Asha","program":{"id":"p","name":"P","city":"Kolkata","country":"IN"},"story":"","products":[],"legalName":"Secret"}`,
			"legalName"},
		{"undocumented status", "GET", "/api/v1/categories", "", "", 500, `{"error":{"code":"internal","message":"oops"}}`, "status"},
		{"error body of the wrong shape", "GET", "/api/v1/products/x", "", "", 404, `{"message":"not found"}`, "error"},
		{"unknown route the app answered", "GET", "/api/v1/secret-admin", "", "", 200, `{}`, "no such operation"},
		{"matching answer", "GET", "/api/v1/categories", "", "", 200, `{"items":[{"name":"Textiles","count":2}]}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.reqBody))
			if c.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			msg := apptest.CheckExchange(spec, req, []byte(c.reqBody), c.status, "application/json; charset=utf-8", []byte(c.body))
			t.Logf("report: %q", msg)
			if c.want == "" && msg != "" {
				t.Errorf("a matching answer was reported: %s", msg)
			}
			if c.want != "" && !strings.Contains(msg, c.want) {
				t.Errorf("got %q, want a report mentioning %q", msg, c.want)
			}
		})
	}
}

// openapiRows are the description's rows of the permission matrix: it is public. (Listed in
// extraRows once Router mounts openapiRoutes.)
func openapiRows() []row {
	return []row{{method: "GET", route: "/api/v1/openapi.json", allow: everyone}}
}
