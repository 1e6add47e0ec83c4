package catalog_test

import (
	"testing"

	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/programs"
)

func TestBreakdownAddsUpToThePrice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		price, materials int64
		share            int
		fee              catalog.FeeConfig
	}{
		{60000, 18000, 10, catalog.DefaultFees},
		{1, 0, 10, catalog.DefaultFees},
		{99999, 12345, 0, catalog.FeeConfig{PercentBP: 290, Fixed: 30}},
		{12345678, 0, 50, catalog.FeeConfig{PercentBP: 333}},
	} {
		b := catalog.Breakdown(tc.price, tc.materials, tc.share, tc.fee)
		if b.Maker+b.Materials+b.Program+b.Fees != tc.price {
			t.Errorf("%+v: %+v does not add up to %d", tc, b, tc.price)
		}
	}
}

func TestLowestFairPrice(t *testing.T) {
	t.Parallel()
	prog := func(wage int64, share int) programs.Program {
		return programs.Program{Name: "P", Currency: "INR", LivingWageHourly: wage, ProgramSharePercent: share}
	}
	for _, tc := range []struct {
		name      string
		materials int64
		hours     float64
		prog      programs.Program
		fee       catalog.FeeConfig
		want      int64
	}{
		// 3 h at INR 90 = 27000 for the maker; 18000 materials; 10% + 3% off the top.
		{"jhumkas", 18000, 3, prog(9000, 10), catalog.DefaultFees, 51725},
		{"no share, no fee", 1000, 2, prog(5000, 0), catalog.FeeConfig{}, 11000},
		{"fixed fee", 0, 1, prog(10000, 10), catalog.FeeConfig{PercentBP: 290, Fixed: 300}, 11826},
		{"half an hour", 0, 0.5, prog(9000, 10), catalog.DefaultFees, 5174},
		{"nothing left at any price", 0, 1, prog(9000, 100), catalog.DefaultFees, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := catalog.LowestFairPrice(tc.materials, tc.hours, tc.prog, tc.fee)
			if got != tc.want {
				t.Fatalf("lowest fair price = %d, want %d", got, tc.want)
			}
			if got == 0 {
				return
			}
			if !catalog.CheckWage(got, tc.materials, tc.hours, tc.prog, tc.fee).Fair {
				t.Fatalf("the lowest fair price %d is not fair", got)
			}
			if catalog.CheckWage(got-1, tc.materials, tc.hours, tc.prog, tc.fee).Fair {
				t.Fatalf("%d is fair too: %d is not the lowest", got-1, got)
			}
		})
	}
}
