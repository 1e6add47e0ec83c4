package catalog

import (
	"math"

	"github.com/fairhands/marketplace/programs"
)

// DefaultFees is the payment fee the platform estimates when nothing else is configured: 3%.
var DefaultFees = FeeConfig{PercentBP: 300, Fixed: 0}

// WageCheck is how a product's price measures against its program's living wage, shown to the
// maker and coordinator so a refusal is never a surprise.
type WageCheck struct {
	Breakdown        WageBreakdown `json:"breakdown"`
	MakerHourly      int64         `json:"makerHourly"`      // the maker's share per hour of work, minor units
	LivingWageHourly int64         `json:"livingWageHourly"` // the program's floor
	LowestFairPrice  int64         `json:"lowestFairPrice"`  // the least price that clears the floor; 0 if none can
	Fair             bool          `json:"fair"`
}

// workMinutes turns hours of work into whole minutes, so the wage arithmetic stays in integers.
func workMinutes(hours float64) int64 {
	if hours <= 0 || math.IsNaN(hours) || math.IsInf(hours, 0) {
		return 0
	}
	return int64(math.Round(hours * 60))
}

// requiredShare is the least maker share that pays livingWageHourly for the hours of work.
func requiredShare(livingWageHourly int64, hours float64) int64 {
	return ceilDiv(livingWageHourly*workMinutes(hours), 60)
}

// CheckWage measures price, materials and hours against the program's living wage.
func CheckWage(price, materials int64, hours float64, prog programs.Program, fee FeeConfig) WageCheck {
	b := Breakdown(price, materials, prog.ProgramSharePercent, fee)
	minutes := workMinutes(hours)
	var hourly int64
	if minutes > 0 {
		hourly = b.Maker * 60 / minutes
	}
	return WageCheck{
		Breakdown:        b,
		MakerHourly:      hourly,
		LivingWageHourly: prog.LivingWageHourly,
		LowestFairPrice:  LowestFairPrice(materials, hours, prog, fee),
		Fair:             minutes > 0 && b.Maker >= requiredShare(prog.LivingWageHourly, hours),
	}
}

// LowestFairPrice is the least price whose maker share pays the program's living wage for the
// hours of work, after materials, the program's share and the payment fee. It is 0 when no price
// can (the program's share and fees take everything).
func LowestFairPrice(materials int64, hours float64, prog programs.Program, fee FeeConfig) int64 {
	need := requiredShare(prog.LivingWageHourly, hours)
	// Each unit of price leaves the maker 1 - share - fee%; in millionths to stay in integers.
	keep := int64(1_000_000) - int64(prog.ProgramSharePercent)*10_000 - fee.PercentBP*100
	if keep <= 0 {
		return 0
	}
	est := ceilDiv((need+materials+fee.Fixed)*1_000_000, keep)
	// Rounding the fee and the share up costs at most a unit each: step up from just below.
	for p := max(1, est-3); p < est+100; p++ {
		if Breakdown(p, materials, prog.ProgramSharePercent, fee).Maker >= need {
			return p
		}
	}
	return 0
}
