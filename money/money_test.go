package money

import (
	"errors"
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		name     string
		minor    int64
		currency string
		want     string
	}{
		{"rupees", 12345600, "INR", "₹1,23,456.00"},
		{"lakh", 1234567890, "INR", "₹1,23,45,678.90"},
		{"crore", 12345678901, "INR", "₹12,34,56,789.01"},
		{"ten lakh", 100000000, "INR", "₹10,00,000.00"},
		{"hundreds", 99900, "INR", "₹999.00"},
		{"thousand", 100000, "INR", "₹1,000.00"},
		{"paise", 99, "INR", "₹0.99"},
		{"a paisa", 5, "INR", "₹0.05"},
		{"zero", 0, "INR", "₹0.00"},
		{"negative", -250000, "INR", "-₹2,500.00"},
		{"negative paise", -150050, "INR", "-₹1,500.50"},
		{"lower-case code", 5, "inr", "₹0.05"},
		{"Nepal", 12345678, "NPR", "रु 1,23,456.78"},
		{"Nepal negative", -100, "NPR", "-रु 1.00"},
		{"Bangladesh", 1234567890, "BDT", "৳1,23,45,678.90"},
		{"dollars", 123456789, "USD", "$1,234,567.89"},
		{"dollars millions", 123456789012, "USD", "$1,234,567,890.12"},
		{"cents", 5, "usd", "$0.05"},
		{"dollars zero", 0, "USD", "$0.00"},
		{"dollars negative", -123456, "USD", "-$1,234.56"},
		{"euro", 123456789, "EUR", "€1,234,567.89"},
		{"pound", 100, "GBP", "£1.00"},
		{"yen", 1500, "JPY", "JPY 1,500"},
		{"yen zero", 0, "JPY", "JPY 0"},
		{"yen negative", -1234567, "JPY", "-JPY 1,234,567"},
		{"won", 500, "KRW", "KRW 500"},
		{"dinar", 1234567, "KWD", "KWD 1,234.567"},
		{"dinar fils", 5, "BHD", "BHD 0.005"},
		{"code only", 123456, "CHF", "CHF 1,234.56"},
		{"most negative", math.MinInt64, "USD", "-$92,233,720,368,547,758.08"},
		{"largest", math.MaxInt64, "INR", "₹92,23,37,20,36,85,47,758.07"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Format(tc.minor, tc.currency); got != tc.want {
				t.Errorf("Format(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
			}
		})
	}
}

func TestDigits(t *testing.T) {
	for _, tc := range []struct {
		currency string
		want     int
	}{
		{"INR", 2}, {"NPR", 2}, {"USD", 2}, {"EUR", 2}, {"MGA", 2}, {"XYZ", 2},
		{"JPY", 0}, {"jpy", 0}, {"KRW", 0}, {"VND", 0}, {"CLP", 0}, {"ISK", 0}, {"UGX", 0},
		{"KWD", 3}, {"BHD", 3}, {"OMR", 3}, {"JOD", 3}, {"TND", 3},
		{"CLF", 4},
	} {
		if got := Digits(tc.currency); got != tc.want {
			t.Errorf("Digits(%s) = %d, want %d", tc.currency, got, tc.want)
		}
	}
}

func TestSymbol(t *testing.T) {
	for cur, want := range map[string]string{"INR": "₹", "inr": "₹", "NPR": "रु", "BDT": "৳", "USD": "$", "chf": "CHF", "JPY": "JPY"} {
		if got := Symbol(cur); got != want {
			t.Errorf("Symbol(%s) = %q, want %q", cur, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in       string
		currency string
		want     int64
		ok       bool
	}{
		{"250", "INR", 25000, true},
		{"250.5", "INR", 25050, true},
		{"250.05", "INR", 25005, true},
		{"1,23,456.75", "INR", 12345675, true},
		{"1,234,567.89", "USD", 123456789, true},
		{"₹ 90", "INR", 9000, true},
		{"₹90", "INR", 9000, true},
		{"INR 90", "INR", 9000, true},
		{"inr90", "INR", 9000, true},
		{" 90 ", "INR", 9000, true},
		{".5", "INR", 50, true},
		{"0", "INR", 0, true},
		{"रु 1,000", "NPR", 100000, true},
		{"$12.34", "USD", 1234, true},
		{"1,500", "JPY", 1500, true},
		{"1.5", "KWD", 1500, true},
		{"1.234", "KWD", 1234, true},
		{"1000000000000", "INR", 100000000000000, true},

		{"", "INR", 0, false},
		{" ", "INR", 0, false},
		{".", "INR", 0, false},
		{"abc", "INR", 0, false},
		{"1.234", "INR", 0, false},
		{"250.", "INR", 0, false},
		{"1.5", "JPY", 0, false},
		{"1.2345", "KWD", 0, false},
		{"-5", "INR", 0, false},
		{"+5", "INR", 0, false},
		{"1.+5", "INR", 0, false},
		{"1.-5", "INR", 0, false},
		{"1.2.3", "INR", 0, false},
		{"1 000", "INR", 0, false},
		{"1e3", "INR", 0, false},
		{"$90", "INR", 0, false},
		{"1000000000001", "INR", 0, false},
		{"99999999999999999999", "INR", 0, false},
	} {
		t.Run(tc.currency+" "+tc.in, func(t *testing.T) {
			got, err := Parse(tc.in, tc.currency)
			if tc.ok && (err != nil || got != tc.want) {
				t.Fatalf("Parse(%q, %s) = %d, %v; want %d", tc.in, tc.currency, got, err, tc.want)
			}
			if !tc.ok && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q, %s) = %d, %v; want ErrInvalid", tc.in, tc.currency, got, err)
			}
		})
	}
}

// What Input writes, and what Format shows, Parse reads back as the same minor units.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		minor     int64
		currency  string
		wantInput string
	}{
		{0, "INR", "0"},
		{5, "INR", "0.05"},
		{50, "INR", "0.50"},
		{125050, "INR", "1250.50"},
		{125000, "INR", "1250"},
		{12345678901, "INR", "123456789.01"},
		{12345678, "NPR", "123456.78"},
		{123456789, "USD", "1234567.89"},
		{1500, "JPY", "1500"},
		{1234567, "KWD", "1234.567"},
		{1500, "KWD", "1.500"},
		{1000, "KWD", "1"},
	} {
		t.Run(tc.currency+" "+tc.wantInput, func(t *testing.T) {
			in := Input(tc.minor, tc.currency)
			if in != tc.wantInput {
				t.Errorf("Input(%d, %s) = %q, want %q", tc.minor, tc.currency, in, tc.wantInput)
			}
			for _, s := range []string{in, Format(tc.minor, tc.currency)} {
				if got, err := Parse(s, tc.currency); err != nil || got != tc.minor {
					t.Errorf("Parse(%q, %s) = %d, %v; want %d", s, tc.currency, got, err, tc.minor)
				}
			}
		})
	}
}
