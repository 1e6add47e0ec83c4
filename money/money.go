// Package money writes and reads amounts of money held as integer minor units (paise, cents)
// with an ISO 4217 currency code: the one place that knows each currency's symbol, how many
// minor digits it has and how its digits are grouped, for pages, e-mails, messages and forms.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid is returned by Parse for text that is not an amount in the currency.
var ErrInvalid = errors.New("not an amount of money")

// maxWhole bounds the whole units Parse accepts, far above any price or wage here and far
// below overflow for every currency's minor digits.
const maxWhole = 1_000_000_000_000

// symbols are the signs written before amounts. Currencies not listed are written with their
// code. The Nepalese rupee is रु, as Nepal writes it ("Rs" would be read as any rupee).
var symbols = map[string]string{
	"INR": "₹", "NPR": "रु", "BDT": "৳",
	"USD": "$", "EUR": "€", "GBP": "£",
}

// indian lists currencies whose amounts are grouped in lakh and crore (12,34,56,789): India's,
// Nepal's and Bangladesh's, as people there write them.
var indian = map[string]bool{"INR": true, "NPR": true, "BDT": true}

// minorDigits lists the ISO 4217 currencies whose minor unit is not 1/100. Stripe agrees on
// all of them but MGA, which ISO gives 2 digits and Stripe none: it is not listed here, so
// it keeps 2, and is not a currency to enable for Stripe payments without converting.
var minorDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// Digits is how many minor-unit digits the currency has under ISO 4217: 0 for JPY, KRW and
// VND, 3 for KWD, BHD, OMR, JOD and TND, 2 for INR, USD and most others. The code is
// case-insensitive.
func Digits(currency string) int {
	if d, ok := minorDigits[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// Symbol is the currency's sign (₹ for INR), or its upper-case code when it has none here
// (CHF), as form labels show it.
func Symbol(currency string) string {
	c := strings.ToUpper(currency)
	if s, ok := symbols[c]; ok {
		return s
	}
	return c
}

// Format writes minor units of a currency for people: Format(12345600, "INR") is
// "₹1,23,456.00" (lakh and crore for INR, NPR and BDT), Format(123456789, "USD") is
// "$1,234,567.89", Format(1500, "JPY") is "JPY 1,500" and Format(-250000, "INR") is
// "-₹2,500.00". A sign made of letters (a code, रु) is followed by a space.
func Format(minor int64, currency string) string {
	sym := Symbol(currency)
	if r, _ := utf8.DecodeLastRuneInString(sym); unicode.IsLetter(r) || unicode.IsMark(r) {
		sym += " "
	}
	whole, frac, neg := split(minor, Digits(currency))
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(sym)
	b.WriteString(group(whole, indian[strings.ToUpper(currency)]))
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Input writes minor units as a form field's value, without sign or grouping so that Parse
// reads it back: "1250.50", or "1250" when the amount is whole.
func Input(minor int64, currency string) string {
	whole, frac, neg := split(minor, Digits(currency))
	if strings.Trim(frac, "0") == "" {
		frac = ""
	}
	s := whole
	if frac != "" {
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Parse reads an amount a person typed into minor units of the currency: "1,250", "1250.5",
// "₹ 90" and "INR 90" for INR. Commas may group the whole part in any way; the fraction may
// have at most Digits(currency) digits (none for JPY). Negative amounts, other signs and
// currencies, and amounts over a trillion whole units are ErrInvalid.
func Parse(s, currency string) (int64, error) {
	in := s
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, Symbol(currency)); ok {
		s = rest
	} else if len(s) >= 3 && strings.EqualFold(s[:3], currency) {
		s = s[3:]
	}
	s = strings.TrimSpace(s)
	whole, frac, hasFrac := strings.Cut(s, ".")
	whole = strings.ReplaceAll(whole, ",", "")
	if (whole == "" && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%q: %w", in, ErrInvalid)
	}
	digits := Digits(currency)
	if hasFrac && (frac == "" || len(frac) > digits) {
		return 0, fmt.Errorf("%q has more than %d decimals for %s: %w", in, digits, strings.ToUpper(currency), ErrInvalid)
	}
	w := int64(0)
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > maxWhole {
			return 0, fmt.Errorf("%q is too large: %w", in, ErrInvalid)
		}
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", digits-len(frac)), 10, 64)
	}
	return w*pow10(digits) + f, nil
}

// split cuts minor units into whole and fraction digits and a sign. It works on the magnitude
// as an unsigned number, so the most negative int64 is safe.
func split(minor int64, digits int) (whole, frac string, neg bool) {
	u := uint64(minor)
	if minor < 0 {
		neg, u = true, -u
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return s[:len(s)-digits], s[len(s)-digits:], neg
}

// group puts commas into a string of digits: every three, or for Indian grouping the last
// three and then every two (12,34,56,789).
func group(whole string, indian bool) string {
	if len(whole) <= 3 {
		return whole
	}
	head, tail := whole[:len(whole)-3], whole[len(whole)-3:]
	step := 3
	if indian {
		step = 2
	}
	var b strings.Builder
	first := len(head) % step
	if first == 0 {
		first = step
	}
	b.WriteString(head[:first])
	for i := first; i < len(head); i += step {
		b.WriteByte(',')
		b.WriteString(head[i : i+step])
	}
	b.WriteByte(',')
	b.WriteString(tail)
	return b.String()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
