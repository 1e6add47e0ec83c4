package programs_test

import (
	"testing"

	"github.com/fairhands/marketplace/programs"
)

func TestShippingQuote(t *testing.T) {
	t.Parallel()
	i64 := func(v int64) *int64 { return &v }
	rate := func(first, additional int64) *programs.ShippingRate {
		return &programs.ShippingRate{First: first, Additional: additional}
	}
	full := &programs.Shipping{Domestic: rate(8000, 2000), International: rate(120000, 40000), FreeOver: i64(300000), ProcessingDays: 3}
	tests := []struct {
		name     string
		shipping *programs.Shipping
		country  string
		subtotal int64
		units    int
		amount   int64
		ok       bool
	}{
		{"no settings: free, anywhere", nil, "US", 500000, 3, 0, true},
		{"no settings: free at home", nil, "IN", 100, 1, 0, true},
		{"domestic, one item", full, "IN", 50000, 1, 8000, true},
		{"domestic, three items", full, "IN", 150000, 3, 12000, true},
		{"the country in lower case is domestic", full, "in", 50000, 1, 8000, true},
		{"international, two items", full, "GB", 100000, 2, 160000, true},
		{"free over: exactly the threshold", full, "IN", 300000, 4, 0, true},
		{"free over: just under the threshold", full, "IN", 299999, 1, 8000, true},
		{"free over applies abroad too", full, "US", 300000, 1, 0, true},
		{"no international rate: not shipped abroad", &programs.Shipping{Domestic: rate(5000, 0)}, "US", 1000, 1, 0, false},
		{"no international rate: a free-over does not make it shippable", &programs.Shipping{FreeOver: i64(0)}, "US", 1000, 1, 0, false},
		{"no domestic rate: free at home", &programs.Shipping{International: rate(100000, 0)}, "IN", 1000, 2, 0, true},
		{"zero rates: free", &programs.Shipping{Domestic: rate(0, 0), International: rate(0, 0)}, "FR", 1000, 5, 0, true},
		{"no items: nothing to charge", full, "IN", 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := programs.Program{Country: "IN", Currency: "INR", Shipping: tt.shipping}
			amount, ok := p.ShippingQuote(tt.country, tt.subtotal, tt.units)
			if amount != tt.amount || ok != tt.ok {
				t.Fatalf("ShippingQuote(%q, %d, %d) = %d, %v; want %d, %v", tt.country, tt.subtotal, tt.units, amount, ok, tt.amount, tt.ok)
			}
		})
	}
}

func TestDispatchDays(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		shipping *programs.Shipping
		want     int
	}{
		{nil, 0},
		{&programs.Shipping{}, 0},
		{&programs.Shipping{ProcessingDays: 5}, 5},
	} {
		if got := (programs.Program{Shipping: tt.shipping}).DispatchDays(); got != tt.want {
			t.Errorf("DispatchDays with %+v = %d, want %d", tt.shipping, got, tt.want)
		}
	}
}
