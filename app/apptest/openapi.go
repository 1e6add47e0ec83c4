package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/fairhands/marketplace/api"
)

// The API's description is checked against every request and response of every test that runs
// the app: a handler that answers something the description does not say, or a description
// that promises what the handler does not do, fails the test that exercised it.

// Spec is the parsed and validated OpenAPI description with a router over it.
type Spec struct {
	Doc    *openapi3.T
	Router routers.Router
}

// LoadSpec parses api/openapi.json once per test binary and checks that it is a valid
// OpenAPI 3.1 document.
var LoadSpec = sync.OnceValues(func() (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPISpec())
	if err != nil {
		return nil, fmt.Errorf("parse openapi.json: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route openapi.json: %w", err)
	}
	return &Spec{Doc: doc, Router: router}, nil
})

// Operation names one operation of the description: "GET /products/{id}" (paths relative to
// the /api/v1 server).
func Operation(method, pathTemplate string) string {
	return strings.ToUpper(method) + " " + pathTemplate
}

// Operations lists every operation of the description.
func (s *Spec) Operations() []string {
	var out []string
	for path, item := range s.Doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, Operation(method, path))
		}
	}
	sort.Strings(out)
	return out
}

var exercised sync.Map // "operation status" → *atomic.Int64, over the whole test binary

// Exercised returns how often each operation of the description was called by the tests run so
// far in this test binary, by the status it answered: "GET /products/{id}" → "200" → 3.
// Operations never called are absent.
func Exercised() map[string]map[string]int {
	out := map[string]map[string]int{}
	exercised.Range(func(k, v any) bool {
		op, status, _ := strings.Cut(k.(string), "|")
		if out[op] == nil {
			out[op] = map[string]int{}
		}
		out[op][status] = int(v.(*atomic.Int64).Load())
		return true
	})
	return out
}

func countCall(op string, status int) {
	v, _ := exercised.LoadOrStore(op+"|"+strconv.Itoa(status), new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// maxChecked is the largest request body kept for checking; larger uploads are passed through
// unchecked (their body is never JSON anyway).
const maxChecked = 32 << 20

// specChecked wraps the app's handler so that every /api/v1 request (but the description
// itself) is checked against the description: the operation must exist; a request the app
// accepted (2xx) must match the operation's parameters, body and security; and every answer
// must be a documented status whose body matches its schema. Requests that tests send wrong on
// purpose are not held against the description unless the app accepted them. Multipart and
// binary bodies are checked by content type only.
func specChecked(tb testing.TB, next http.Handler) http.Handler {
	spec, err := LoadSpec()
	if err != nil {
		tb.Fatalf("openapi: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == api.OpenAPIPath { // the description itself: counted, not checked against itself
			if r.Method == http.MethodGet {
				rec := &recorder{ResponseWriter: w}
				next.ServeHTTP(rec, r)
				countCall(Operation(r.Method, strings.TrimPrefix(api.OpenAPIPath, "/api/v1")), rec.status())
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		check := r.Clone(context.Background())
		var body []byte
		complete := true
		if r.Body != nil && r.Body != http.NoBody {
			b, err := io.ReadAll(io.LimitReader(r.Body, maxChecked+1))
			body = b
			switch {
			case err != nil: // the handler meets the same error after the same bytes
				complete = false
				r.Body = readCloser{io.MultiReader(bytes.NewReader(b), failingReader{err}), r.Body}
			case len(b) > maxChecked:
				complete = false
				r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
			default:
				r.Body = readCloser{bytes.NewReader(b), r.Body}
			}
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		op, msg := spec.check(check, body, complete, rec)
		if op != "" {
			countCall(op, rec.status())
		}
		if msg != "" {
			tb.Errorf("openapi: %s %s → %d: %s\n  response: %.400s", r.Method, r.URL.RequestURI(), rec.status(), msg, rec.body.Bytes())
		}
	})
}

type readCloser struct {
	io.Reader
	io.Closer
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// recorder passes the answer through and keeps a copy for checking.
type recorder struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	if r.body.Len() < maxChecked {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// CheckExchange checks one request and its answer against the description, as the harness does
// for every request a test sends, and returns what is wrong ("" when they match).
func CheckExchange(s *Spec, req *http.Request, reqBody []byte, status int, contentType string, respBody []byte) string {
	rec := &recorder{ResponseWriter: httptest.NewRecorder()}
	rec.Header().Set("Content-Type", contentType)
	rec.WriteHeader(status)
	_, _ = rec.Write(respBody)
	_, msg := s.check(req, reqBody, true, rec)
	return msg
}

// check returns the operation the request matched and what is wrong ("" when the exchange
// matches the description).
func (s *Spec) check(req *http.Request, body []byte, complete bool, rec *recorder) (op, problem string) {
	status := rec.status()
	route, params, err := s.Router.FindRoute(req)
	if err != nil {
		// The app has no such endpoint either: fine, the test asked for it on purpose.
		if code := errorCode(rec); (status == http.StatusNotFound && code == "route_not_found") ||
			(status == http.StatusMethodNotAllowed && code == "method_not_allowed") {
			return "", ""
		}
		return "", fmt.Sprintf("the app answered but the description has no such operation (%v)", err)
	}
	op = Operation(req.Method, route.Path)

	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    credentialsSent,
	}
	opts.WithCustomSchemaErrorFunc(shortSchemaError)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()

	if status >= 200 && status < 300 {
		reqOpts := *opts
		mt := mediaType(req.Header.Get("Content-Type"))
		if len(body) > 0 && mt == "" {
			// The API reads JSON whatever the header says; check it as JSON.
			req.Header.Set("Content-Type", "application/json")
			mt = "application/json"
		}
		schemaChecked := mt == "application/json" && complete
		if len(body) > 0 || req.ContentLength > 0 {
			rb := route.Operation.RequestBody
			if rb == nil || rb.Value == nil {
				return op, "the app accepted a request body, but the operation documents none"
			}
			content := rb.Value.Content.Get(mt)
			if content == nil {
				return op, fmt.Sprintf("the app accepted a %q body, but the operation documents only %v", mt, mediaTypes(rb.Value.Content))
			}
			schemaChecked = schemaChecked && content.Schema != nil
		}
		reqOpts.ExcludeRequestBody = !schemaChecked
		req.Body = io.NopCloser(bytes.NewReader(body))
		in.Options = &reqOpts
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return op, "the app accepted a request the description rejects: " + oneLine(err)
		}
		in.Options = opts
	}

	res := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 rec.Header(),
		Options:                opts,
	}
	res.SetBodyBytes(rec.body.Bytes())
	if err := openapi3filter.ValidateResponse(ctx, res); err != nil {
		return op, "the answer does not match the description: " + oneLine(err)
	}
	return op, ""
}

// credentialsSent checks that a request the app accepted carried the credentials the
// operation's security requirement names (it does not check them: the app did).
func credentialsSent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearerAuth":
		if scheme, rest, _ := strings.Cut(req.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") && rest != "" {
			return nil
		}
	case "sessionCookie":
		if _, err := req.Cookie(in.SecurityScheme.Name); err == nil {
			return nil
		}
	}
	return errors.New("no " + in.SecuritySchemeName + " credentials sent")
}

// shortSchemaError names the value that failed and why, without kin-openapi's dump of the
// whole schema and value.
func shortSchemaError(err *openapi3.SchemaError) string {
	return "at /" + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
}

func errorCode(rec *recorder) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &e)
	return e.Error.Code
}

func mediaType(ct string) string {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt
}

func mediaTypes(c openapi3.Content) []string {
	var out []string
	for k := range c {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return s
}
