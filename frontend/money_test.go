package frontend

import (
	"testing"

	"github.com/fairhands/marketplace/payments"
)

// The maker's figures, worked out in one place for her home and her coordinator's report.
func TestMoneyOf(t *testing.T) {
	tests := []struct {
		name string
		in   moneyParts
		want moneyView
	}{
		// The case: ₹444.39 earned at a fair (the workshop took the cash), ₹200 handed to her.
		{"cash at a fair, part handed over", moneyParts{ToWorkshop: 44439, Disbursed: 20000},
			moneyView{Earned: 44439, PaidToHer: 20000, Held: 24439}},
		{"straight to her own account", moneyParts{ToHer: 30000, Pending: 5000, AwaitingDispatch: 5000},
			moneyView{Earned: 35000, PaidToHer: 30000, OnItsWay: 5000, AwaitingDispatch: 5000}},
		{"both, and more handed over than held (an advance)", moneyParts{ToHer: 1000, ToWorkshop: 2000, Disbursed: 5000},
			moneyView{Earned: 3000, PaidToHer: 6000, Held: 0}},
		{"nothing yet", moneyParts{}, moneyView{}},
	}
	for _, tc := range tests {
		tc.want.Currency = "INR"
		if got := moneyOf(tc.in, "INR"); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// partsOfEarnings tells her own account from the workshop's: a maker payee's transfer reached
// her, a program payee's transfer or a fair's collected cash reached the workshop.
func TestPartsOfEarnings(t *testing.T) {
	e := payments.Earnings{
		Balance: payments.Balance{Currency: "INR", Pending: 700, AwaitingDispatch: 300, Transferred: 100 + 200 + 400, Disbursed: 50},
		Entries: []payments.EntryView{
			{Kind: payments.KindEarning, Currency: "INR", Amount: 100, Status: payments.EntryTransferred, PayeeType: payments.PayeeMaker},
			{Kind: payments.KindEarning, Currency: "INR", Amount: 200, Status: payments.EntryTransferred, PayeeType: payments.PayeeProgram},
			{Kind: payments.KindEarning, Currency: "INR", Amount: 400, Status: payments.EntryCollected, PayeeType: payments.PayeeMaker},
			{Kind: payments.KindEarning, Currency: "INR", Amount: 400, Status: payments.EntryPending, PayeeType: payments.PayeeMaker},
			{Kind: payments.KindEarning, Currency: "INR", Amount: 300, Status: payments.EntryAwaitingDispatch, PayeeType: payments.PayeeMaker},
			{Kind: payments.KindEarning, Currency: "USD", Amount: 999, Status: payments.EntryTransferred, PayeeType: payments.PayeeMaker},
			{Kind: payments.KindReversal, Currency: "INR", Amount: -5, Status: payments.EntryTransferred, PayeeType: payments.PayeeMaker},
		},
	}
	want := moneyParts{ToHer: 100, ToWorkshop: 600, Pending: 700, AwaitingDispatch: 300, Disbursed: 50}
	if got := partsOfEarnings(e); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	row := payments.PayoutRow{Pending: 700, Transferred: 700, ToMaker: 100, ToProgram: 600, Disbursed: 50}
	if got := partsOfRow(row); got != (moneyParts{ToHer: 100, ToWorkshop: 600, Pending: 700, Disbursed: 50}) {
		t.Fatalf("row: got %+v", got)
	}
}
