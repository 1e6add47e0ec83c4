package api_test

import (
	"net/http"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
)

func TestProgramShippingAndRefundSettings(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	p1 := e.Program("Kolkata Jewellery Workshop")
	p2 := e.Program("Mumbai Tailoring Workshop")
	_, c1 := e.Coordinator(p1)

	r := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+p1, c1, nil)
	if r.JSON["shipping"] != nil || r.JSON["refundsReverseWages"] != nil {
		t.Fatalf("a new program has shipping or a refund policy: %s", r.Body)
	}
	shipping := map[string]any{"domestic": map[string]any{"first": 8000, "additional": 2000},
		"international": map[string]any{"first": 120000, "additional": 40000}, "freeOver": 300000, "processingDays": 3}
	r = e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+p1, c1, map[string]any{"shipping": shipping, "holdDays": 2})
	sh, _ := r.JSON["shipping"].(map[string]any)
	if sh == nil || sh["processingDays"] != 3.0 || sh["freeOver"] != 300000.0 ||
		sh["international"].(map[string]any)["additional"] != 40000.0 || r.Num("holdDays") != 2 {
		t.Fatalf("shipping saved: %s", r.Body)
	}
	r = e.Must(http.StatusBadRequest, "PATCH", "/api/v1/programs/"+p1, c1, map[string]any{"shipping": map[string]any{
		"domestic": map[string]any{"first": -1, "additional": 0}, "international": map[string]any{"first": 0, "additional": 10_000_001},
		"freeOver": -1, "processingDays": 61}})
	fields, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
	for _, f := range []string{"shipping.domestic.first", "shipping.international.additional", "shipping.freeOver", "shipping.processingDays"} {
		if fields[f] == nil {
			t.Errorf("field %s not named: %s", f, r.Body)
		}
	}
	e.Must(http.StatusNotFound, "PATCH", "/api/v1/programs/"+p2, c1, map[string]any{"shipping": shipping})

	r = e.Must(http.StatusUnprocessableEntity, "PATCH", "/api/v1/programs/"+p1, c1, map[string]any{"refundsReverseWages": true, "refundsReverseWagesReason": "short"})
	if f, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any); f["refundsReverseWagesReason"] == nil {
		t.Fatalf("no field error for the reason: %s", r.Body)
	}
	r = e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+p1, c1, map[string]any{"refundsReverseWages": true, "refundsReverseWagesReason": "The partner shelter's agreement says so"})
	if r.JSON["refundsReverseWages"] != true || r.Str("refundsReverseWagesReason") != "The partner shelter's agreement says so" || r.JSON["shipping"] == nil {
		t.Fatalf("refund policy on: %s", r.Body)
	}
	r = e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+p1, c1, map[string]any{"refundsReverseWages": false})
	if r.JSON["refundsReverseWages"] != nil || r.JSON["refundsReverseWagesReason"] != nil {
		t.Fatalf("refund policy off keeps a reason: %s", r.Body)
	}
}
