package api_test

import (
	"net/http"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
)

// shop is a small world for catalog tests: two programs (apptest's living wage is INR 90.00 an
// hour, program share 10%), a coordinator each, two makers in the first and one in the second.
type shop struct {
	e                 *apptest.Env
	p1, p2            string
	c1ID, c1, c2      string
	m1, m1t, m2, m2t  string
	m3, m3t           string
	buyerID, buyerTok string
}

func newShop(t *testing.T) *shop {
	t.Helper()
	e := apptest.New(t)
	s := &shop{e: e}
	s.p1 = e.Program("Kolkata Jewellery Workshop")
	s.p2 = e.Program("Mumbai Tailoring Workshop")
	s.c1ID, s.c1 = e.Coordinator(s.p1)
	_, s.c2 = e.Coordinator(s.p2)
	s.m1, s.m1t = e.Maker(s.p1, s.c1)
	s.m2, s.m2t = e.Maker(s.p1, s.c1)
	s.m3, s.m3t = e.Maker(s.p2, s.c2)
	s.buyerID, s.buyerTok = e.Buyer()
	return s
}

// earrings is a product that clears the fair-wage floor: the lowest fair price for 3 hours and
// INR 180 of materials is INR 517.25 (51725).
func earrings() map[string]any {
	return map[string]any{"title": "Brass jhumka earrings", "description": "Bell-shaped brass earrings, hand-set beads.",
		"category": "Jewellery", "price": 60000, "currency": "INR", "stock": 5, "hoursOfWork": 3, "materialsCost": 18000}
}

// with returns a copy of a product body with some fields changed.
func with(body map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// create lists a product and returns its id.
func (s *shop) create(token string, body map[string]any) string {
	s.e.TB.Helper()
	r := s.e.Must(http.StatusCreated, "POST", "/api/v1/products", token, body)
	return r.Str("id")
}

// publish takes a draft through submit and approval.
func (s *shop) publish(id, makerToken, coordToken string) {
	s.e.TB.Helper()
	s.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", makerToken, nil)
	s.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", coordToken, nil)
}

func errOf(r apptest.Response) map[string]any {
	m, _ := r.JSON["error"].(map[string]any)
	return m
}
