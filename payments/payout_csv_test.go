package payments

import (
	"bytes"
	"testing"
)

// The payout CSV has the JSON report's columns and minor units, a row per maker, the totals
// last, and a maker's chosen name cannot become a formula.
func TestPayoutReportCSV(t *testing.T) {
	r := PayoutReport{ProgramID: "p1", Currency: "INR",
		Makers: []PayoutRow{
			{MakerID: "m1", DisplayName: "Asha", Currency: "INR", Sales: 2, Earned: 123450, Pending: 23450, Transferred: 100000, Reversed: 5000, Disbursed: 100000},
			{MakerID: "m2", DisplayName: "=HYPERLINK(\"http://x\")", Currency: "INR"},
		},
		Totals: PayoutRow{DisplayName: "Total", Currency: "INR", Sales: 2, Earned: 123450, Pending: 23450, Transferred: 100000, Reversed: 5000, Disbursed: 100000}}
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := "makerId,displayName,currency,sales,earned,pending,transferred,reversed,disbursed\n" +
		"m1,Asha,INR,2,123450,23450,100000,5000,100000\n" +
		"m2,\"'=HYPERLINK(\"\"http://x\"\")\",INR,0,0,0,0,0,0\n" +
		",Total,INR,2,123450,23450,100000,5000,100000\n"
	if buf.String() != want {
		t.Fatalf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
	if len(r.Makers) != 2 || r.Makers[1].MakerID != "m2" {
		t.Fatalf("WriteCSV changed the report: %v", r.Makers)
	}
}
