package api_test

import (
	"net/http"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
)

// Every answer to a signed-in caller, and the guest's order link, is private: browsers on shared
// phones and proxies must not keep it (Cache-Control: no-store), errors included.
func TestPrivateAnswersAreNotStored(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	p := e.Program("Kolkata Jewellery Workshop")
	_, coord := e.Coordinator(p)
	maker, makerTok := e.Maker(p, coord)
	_, buyer := e.Buyer()
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
	}{
		{"the caller", "GET", "/api/v1/me", makerTok, http.StatusOK},
		{"a maker's private record", "GET", "/api/v1/makers/" + maker, coord, http.StatusOK},
		{"her own record", "GET", "/api/v1/makers/" + maker, makerTok, http.StatusOK},
		{"her export", "GET", "/api/v1/makers/" + maker + "/export", makerTok, http.StatusOK},
		{"her earnings", "GET", "/api/v1/makers/" + maker + "/earnings", makerTok, http.StatusOK},
		{"the program's makers", "GET", "/api/v1/programs/" + p + "/makers", coord, http.StatusOK},
		{"the audit trail", "GET", "/api/v1/programs/" + p + "/audit", coord, http.StatusOK},
		{"orders with addresses", "GET", "/api/v1/orders", coord, http.StatusOK},
		{"a buyer's orders", "GET", "/api/v1/orders", buyer, http.StatusOK},
		{"a refusal", "GET", "/api/v1/makers/" + maker, buyer, http.StatusNotFound},
		{"a public list read while signed in", "GET", "/api/v1/products", makerTok, http.StatusOK},
		{"a revoked token", "GET", "/api/v1/me", "not-a-real-token", http.StatusUnauthorized},
		{"a guest's order link", "GET", "/api/v1/orders/by-token/unknown-token", "", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Must(tc.status, tc.method, tc.path, tc.token, nil)
			if got := r.Header.Get("Cache-Control"); got != "no-store" && got != "private, no-store" {
				t.Fatalf("Cache-Control %q on %s %s", got, tc.method, tc.path)
			}
		})
	}
	// Public answers to anonymous visitors stay cacheable (no no-store forced on them).
	r := e.Must(http.StatusOK, "GET", "/api/v1/products", "", nil)
	if r.Header.Get("Cache-Control") == "no-store" {
		t.Fatal("the public catalog is marked no-store for anonymous visitors")
	}
}
