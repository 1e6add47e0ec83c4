package payments

import (
	"io"
	"slices"
	"strconv"

	"github.com/fairhands/marketplace/csvout"
)

// payoutCSVHeader names the payout report's CSV columns, the JSON report's field names, for
// the API's ?format=csv and the coordinator's download alike.
var payoutCSVHeader = []string{"makerId", "displayName", "currency", "sales", "earned", "pending", "transferred", "reversed", "disbursed"}

// WriteCSV writes the report as CSV: one row per maker, then the totals (makerId empty,
// displayName "Total"). Money is in minor units of the currency column (paise for INR), as in
// the JSON report, so that columns add up exactly and the training report's incomes match.
func (r PayoutReport) WriteCSV(w io.Writer) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(payoutCSVHeader); err != nil {
		return err
	}
	for _, row := range append(slices.Clip(r.Makers), r.Totals) {
		if err := cw.Write([]string{row.MakerID, row.DisplayName, row.Currency, strconv.Itoa(row.Sales),
			minor(row.Earned), minor(row.Pending), minor(row.Transferred), minor(row.Reversed), minor(row.Disbursed)}); err != nil {
			return err
		}
	}
	return cw.Flush()
}

func minor(n int64) string { return strconv.FormatInt(n, 10) }
