package api_test

import (
	"net/http"
	"testing"
)

func TestMadeToOrderProductsThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	e := s.e
	r := e.Must(http.StatusBadRequest, "POST", "/api/v1/products", s.m1t, with(earrings(), "madeToOrder", true))
	if f, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any); f["leadTimeDays"] == nil {
		t.Fatalf("no field error for the lead time: %s", r.Body)
	}
	e.Must(http.StatusBadRequest, "POST", "/api/v1/products", s.m1t, with(earrings(), "madeToOrder", true, "leadTimeDays", 121))
	id := s.create(s.m1t, with(earrings(), "stock", 0, "madeToOrder", true, "leadTimeDays", 12))
	s.publish(id, s.m1t, s.c1)
	r = e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil)
	if r.JSON["madeToOrder"] != true || r.Num("leadTimeDays") != 12 || r.Num("stock") != 0 {
		t.Fatalf("public product: %s", r.Body)
	}
	if err := e.App.Catalog.HoldStock(t.Context(), id, "order1", 2); err != nil {
		t.Fatalf("hold a made-to-order product with no stock: %v", err)
	}
	// Stock products say so too, and the lead time can change without a review.
	plain := s.create(s.m1t, earrings())
	r = e.Must(http.StatusOK, "GET", "/api/v1/products/"+plain+"/private", s.m1t, nil)
	if r.JSON["madeToOrder"] != false || r.JSON["leadTimeDays"] != nil {
		t.Fatalf("a stock product: %s", r.Body)
	}
	r = e.Must(http.StatusOK, "PATCH", "/api/v1/products/"+id, s.m1t, map[string]any{"leadTimeDays": 20})
	if r.Num("leadTimeDays") != 20 || r.Str("status") != "published" {
		t.Fatalf("lead time changed: %s", r.Body)
	}
}
