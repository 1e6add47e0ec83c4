package notify

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// currencyFormat is how one currency is written: its symbol (or code), how many minor-unit
// digits it has, and whether it groups digits the Indian way (lakh, crore).
type currencyFormat struct {
	symbol string
	digits int
	indian bool
}

// currencyFormatFor knows the currencies the marketplace sells in; others are written with
// their ISO code and two decimals, which is right for most.
func currencyFormatFor(code string) currencyFormat {
	switch strings.ToUpper(code) {
	case "INR":
		return currencyFormat{symbol: "₹", digits: 2, indian: true}
	case "USD":
		return currencyFormat{symbol: "$", digits: 2}
	case "EUR":
		return currencyFormat{symbol: "€", digits: 2}
	case "GBP":
		return currencyFormat{symbol: "£", digits: 2}
	case "BDT":
		return currencyFormat{symbol: "৳", digits: 2, indian: true}
	case "NPR":
		return currencyFormat{symbol: "Rs ", digits: 2, indian: true}
	case "JPY", "KRW":
		return currencyFormat{symbol: strings.ToUpper(code) + " ", digits: 0}
	default:
		return currencyFormat{symbol: strings.ToUpper(code) + " ", digits: 2}
	}
}

// FormatMoney writes an amount of minor units for people: FormatMoney(12345600, "INR") is
// "₹1,23,456.00" (Indian grouping), FormatMoney(123456, "USD") is "$1,234.56".
func FormatMoney(minor int64, currency string) string {
	f := currencyFormatFor(currency)
	neg := minor < 0
	// Work on the magnitude as an unsigned number so the most negative int64 is safe.
	u := uint64(minor)
	if neg {
		u = -u
	}
	digits := strconv.FormatUint(u, 10)
	if len(digits) <= f.digits {
		digits = strings.Repeat("0", f.digits-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-f.digits], digits[len(digits)-f.digits:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(f.symbol)
	b.WriteString(group(whole, f.indian))
	if f.digits > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// group inserts thousands separators: every three digits, or for Indian grouping the last three
// and then every two (12,34,56,789).
func group(whole string, indian bool) string {
	if len(whole) <= 3 {
		return whole
	}
	head, tail := whole[:len(whole)-3], whole[len(whole)-3:]
	step := 3
	if indian {
		step = 2
	}
	var parts []string
	for len(head) > step {
		parts = append([]string{head[len(head)-step:]}, parts...)
		head = head[:len(head)-step]
	}
	parts = append([]string{head}, parts...)
	return strings.Join(parts, ",") + "," + tail
}

// moneyFunc is the templates' money function. It accepts any integer type, since callers build
// Data by hand, and refuses floats: money is never a float here.
func moneyFunc(amount any, currency string) (string, error) {
	v := reflect.ValueOf(amount)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return FormatMoney(v.Int(), currency), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() > 1<<63-1 {
			return "", fmt.Errorf("money amount %d is too large", v.Uint())
		}
		return FormatMoney(int64(v.Uint()), currency), nil
	default:
		return "", fmt.Errorf("money amount must be an integer of minor units, got %T", amount)
	}
}
