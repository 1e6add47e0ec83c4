package api

import "testing"

func TestFormatMoneyAndCSVSafety(t *testing.T) {
	for _, c := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{120000, "INR", "INR 1,200.00"}, {5, "usd", "USD 0.05"}, {-123456789, "INR", "INR -1,234,567.89"},
		{1500, "JPY", "JPY 1,500"}, {0, "EUR", "EUR 0.00"},
	} {
		if got := formatMoney(c.amount, c.currency); got != c.want {
			t.Errorf("formatMoney(%d, %s) = %q, want %q", c.amount, c.currency, got, c.want)
		}
	}
	for in, want := range map[string]string{"=HYPERLINK(1)": "'=HYPERLINK(1)", "+1": "'+1", "Tara": "Tara", "": ""} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
