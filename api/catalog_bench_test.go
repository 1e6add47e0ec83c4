package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
)

// BenchmarkStorefront serves GET /api/v1/products from a catalog of 10,000 published products
// through the whole middleware stack, beside a bare Gin handler that writes the same bytes.
// The target is at least half the bare handler's throughput (loadtest/catalog has the
// same comparison over real connections with wrk).
func BenchmarkStorefront(b *testing.B) {
	e := apptest.New(b)
	p := e.Program("Kolkata Jewellery Workshop")
	_, c := e.Coordinator(p)
	var makers []string
	for range 6 {
		m, _ := e.Maker(p, c)
		makers = append(makers, m)
	}
	const n = 10_000
	now := time.Now().UTC().Truncate(time.Millisecond)
	ps := make([]catalog.Product, n)
	for i := range ps {
		at := now.Add(-time.Duration(i) * time.Minute)
		ps[i] = catalog.Product{ID: accounts.NewID(), MakerID: makers[i%len(makers)], ProgramID: p,
			Title: fmt.Sprintf("Brass jhumka earrings no. %d", i), Description: "Bell-shaped brass earrings with hand-set beads.",
			Category: []string{"jewellery", "accessories"}[i%2], Price: 60000 + int64(i%50)*100, Currency: "INR", Stock: 5,
			HoursOfWork: 3, MaterialsCost: 18000, Status: catalog.StatusPublished, Images: []catalog.Image{},
			CreatedAt: at, UpdatedAt: at, PublishedAt: at, Version: 1}
	}
	if err := e.App.Catalog.Import(context.Background(), ps); err != nil {
		b.Fatal(err)
	}
	first := e.Must(http.StatusOK, "GET", "/api/v1/products", "", nil)
	if !bytes.Contains(first.Body, []byte(`"total":10000`)) {
		b.Fatalf("catalog not loaded: %.200s", first.Body)
	}

	gin.SetMode(gin.ReleaseMode)
	bare := gin.New()
	bare.GET("/api/v1/products", func(c *gin.Context) { c.Data(http.StatusOK, "application/json; charset=utf-8", first.Body) })

	for _, tc := range []struct {
		name string
		h    http.Handler
		path string
	}{
		{"marketplace default page", e.App.Handler, "/api/v1/products"},
		{"bare gin same bytes", bare, "/api/v1/products"},
		{"marketplace filtered page", e.App.Handler, "/api/v1/products?category=jewellery&sort=price_asc&page=3"},
		{"marketplace text search", e.App.Handler, "/api/v1/products?q=jhumka+earrings&page=2"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", tc.path, nil)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					tc.h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d", w.Code)
					}
				}
			})
		})
	}
}
