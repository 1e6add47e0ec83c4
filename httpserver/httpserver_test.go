package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/httpserver"
)

// pages is the smallest error-page renderer: it says which page it drew, so the test sees that
// the shell chose HTML for web paths.
type pages struct{}

func (pages) ErrorPage(c *gin.Context, status int) {
	c.Data(status, "text/html; charset=utf-8", []byte(fmt.Sprintf("<h1>page %d</h1>", status)))
}

func engine(t *testing.T, withPages bool) http.Handler {
	t.Helper()
	cfg := httpserver.Config{}
	if withPages {
		cfg.Pages = pages{}
	}
	r, err := httpserver.New(cfg, httpserver.FaceFunc(func(r *gin.Engine) {
		r.GET("/api/v1/boom", func(c *gin.Context) { panic("boom") })
		r.GET("/maker/boom", func(c *gin.Context) { panic("boom") })
		r.POST("/maker/form", func(c *gin.Context) { c.String(200, "ok") })
		r.POST("/api/v1/form", func(c *gin.Context) { c.String(200, "ok") })
		r.GET("/api/v1/down", func(c *gin.Context) {
			httpserver.JSONError(c, fmt.Errorf("load: %w", context.DeadlineExceeded))
		})
	}))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestShellAnswersInTheReadersTerms(t *testing.T) {
	h := engine(t, true)
	for _, tc := range []struct {
		method, path string
		status       int
		html         bool
		code         string
	}{
		{"GET", "/coordinator/nowhere", 404, true, ""},
		{"GET", "/about", 404, true, ""},
		{"GET", "/maker/boom", 500, true, ""},
		{"GET", "/maker/form", 405, true, ""},
		{"GET", "/api/v1/nowhere", 404, false, "route_not_found"},
		{"GET", "/api/v1/boom", 500, false, "internal"},
		{"GET", "/api/v1/form", 405, false, "method_not_allowed"},
		{"GET", "/api/v1/down", 503, false, "database_unavailable"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			ct := w.Header().Get("Content-Type")
			if tc.html {
				if !strings.HasPrefix(ct, "text/html") || !strings.Contains(w.Body.String(), fmt.Sprintf("page %d", tc.status)) {
					t.Fatalf("want the HTML page, got %s: %s", ct, w.Body)
				}
				return
			}
			var body httpserver.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tc.code {
				t.Fatalf("want JSON %q, got %s %s (%v)", tc.code, ct, w.Body, err)
			}
			if tc.status == 405 && w.Header().Get("Allow") != "POST" {
				t.Fatalf("405 without Allow: %v", w.Header())
			}
			if tc.status == 503 && w.Header().Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		})
	}
	// Security headers are on every answer, errors included.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/nowhere", nil))
	if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Content-Security-Policy") == "" || w.Header().Get("X-Request-ID") == "" {
		t.Fatalf("headers: %v", w.Header())
	}
}

func TestShellWithoutPagesAnswersJSON(t *testing.T) {
	h := engine(t, false)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/maker/boom", nil))
	if w.Code != 500 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		ok     bool
	}{
		{"invalid", fault.New(fault.Invalid, "x", "x"), 400, true},
		{"not found wrapped", fmt.Errorf("load: %w", fault.New(fault.NotFound, "x", "x")), 404, true},
		{"conflict", fault.New(fault.Conflict, "x", "x"), 409, true},
		{"rule", fault.New(fault.Unprocessable, "x", "x"), 422, true},
		{"limited", fault.New(fault.TooMany, "x", "x"), 429, true},
		{"too large", fault.New(fault.TooLarge, "x", "x"), 413, true},
		{"unavailable", fault.New(fault.Unavailable, "x", "x"), 503, true},
		{"deadline", fmt.Errorf("find: %w", context.DeadlineExceeded), 503, true},
		{"driver timeout", mongo.CommandError{Code: 50, Labels: []string{"NetworkTimeoutError"}}, 503, true},
		{"ours", errors.New("nil map"), 500, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, ok := httpserver.Classify(tc.err)
			if status != tc.status || ok != tc.ok {
				t.Fatalf("Classify = %d %v, want %d %v", status, ok, tc.status, tc.ok)
			}
		})
	}
}

func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		proxies []string
		want    string
	}{
		{nil, "192.0.2.1"},
		{[]string{"192.0.2.0/24"}, "203.0.113.7"},
	} {
		r, err := httpserver.New(httpserver.Config{TrustedProxies: tc.proxies}, httpserver.FaceFunc(func(r *gin.Engine) {
			r.GET("/ip", func(c *gin.Context) { c.String(200, c.ClientIP()) })
		}))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/ip", nil)
		req.RemoteAddr = "192.0.2.1:1234"
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Body.String() != tc.want {
			t.Fatalf("proxies %v: client %q, want %q", tc.proxies, w.Body, tc.want)
		}
	}
	if _, err := httpserver.New(httpserver.Config{TrustedProxies: []string{"not-an-address"}}); err == nil {
		t.Fatal("a bad proxy address was accepted")
	}
}

// A client guessing ids gets 429 on id routes after a few dozen answers "not found"; another
// client, and the same client's requests that found something, are not held back by them.
func TestScanningIDsIsSlowedDown(t *testing.T) {
	r, err := httpserver.New(httpserver.Config{Pages: pages{}}, httpserver.FaceFunc(func(r *gin.Engine) {
		r.GET("/api/v1/things/:id", func(c *gin.Context) {
			if c.Param("id") == "real" {
				c.String(200, "found")
				return
			}
			httpserver.JSONError(c, fault.New(fault.NotFound, "not_found", "no such thing"))
		})
		r.GET("/makers/:id", func(c *gin.Context) { c.Data(404, "text/html", []byte("page 404")) })
		r.GET("/about", func(c *gin.Context) { c.String(200, "about") })
	}))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, client string) int {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = client + ":5555"
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Code
	}
	for i := range 100 {
		if code := get("/api/v1/things/real", "192.0.2.1"); code != 200 {
			t.Fatalf("hit %d: %d", i, code)
		}
	}
	limited := 0
	for i := range 60 {
		if get(fmt.Sprintf("/api/v1/things/guess-%d", i), "192.0.2.2") == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited < 15 {
		t.Fatalf("60 guesses in a row: %d refused", limited)
	}
	if code := get("/api/v1/things/real", "192.0.2.2"); code != http.StatusTooManyRequests {
		t.Fatalf("the scanner's next id request: %d, want 429", code)
	}
	if code := get("/makers/someone", "192.0.2.2"); code != http.StatusTooManyRequests {
		t.Fatalf("the scanner on a web id route: %d, want 429", code)
	}
	if code := get("/about", "192.0.2.2"); code != 200 {
		t.Fatalf("a page without an id: %d", code)
	}
	if code := get("/api/v1/things/real", "192.0.2.1"); code != 200 {
		t.Fatalf("another client: %d", code)
	}
}
