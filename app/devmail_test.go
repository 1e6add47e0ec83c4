package app_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/app/apptest"
)

const demoMail = "From: shop@example.test\r\nTo: buyer@example.test\r\nSubject: Your order\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe buyer's address: 12 Park Street.\r\n"

// mustMail puts one mail in the app's mail folder, as the outbox's folder sender does.
func mustMail(tb testing.TB, e *apptest.Env) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(e.App.Config.MailDir, "1-order.eml"), []byte(demoMail), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// devMailFrom asks for /dev/mail as a client at remote (host:port), with an optional bearer
// token and extra headers, straight through the app's handler.
func devMailFrom(e *apptest.Env, remote, token string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/dev/mail", nil)
	req.RemoteAddr = remote
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.App.Handler.ServeHTTP(w, req)
	return w
}

func TestDevMailIsNotServedOutsideTheDemo(t *testing.T) {
	t.Parallel()
	e := apptest.New(t) // mail goes to a folder (no SMTP_URL), but this is not the demo
	mustMail(t, e)
	for _, remote := range []string{"127.0.0.1:5000", "203.0.113.9:5000"} {
		w := devMailFrom(e, remote, e.AdminToken, nil)
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "Your order") {
			t.Fatalf("/dev/mail from %s outside the demo: %d %s", remote, w.Code, w.Body)
		}
	}
}

func TestDevMailInTheDemoOnlyForThisMachineAndAdmins(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, func(c *app.Config) { c.Demo = true })
	mustMail(t, e)
	_, buyer := e.Buyer()
	for _, tc := range []struct {
		name, remote, token string
		header              map[string]string
		want                int
	}{
		{"a client on this machine", "127.0.0.1:5000", "", nil, http.StatusOK},
		{"a client on this machine over IPv6", "[::1]:5000", "", nil, http.StatusOK},
		{"a visitor", "203.0.113.9:5000", "", nil, http.StatusNotFound},
		{"a visitor through a proxy on this machine", "127.0.0.1:5000", "", map[string]string{"X-Forwarded-For": "203.0.113.9"}, http.StatusNotFound},
		{"a signed-in buyer", "203.0.113.9:5000", buyer, nil, http.StatusNotFound},
		{"a signed-in admin", "203.0.113.9:5000", e.AdminToken, nil, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := devMailFrom(e, tc.remote, tc.token, tc.header)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if shown := strings.Contains(w.Body.String(), "Your order"); shown != (tc.want == http.StatusOK) {
				t.Fatalf("mail shown = %v: %s", shown, w.Body)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control %q, want no-store", w.Header().Get("Cache-Control"))
			}
		})
	}
}
