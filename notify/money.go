package notify

import (
	"fmt"
	"reflect"

	"github.com/fairhands/marketplace/money"
)

// moneyFunc is the templates' money function. It accepts any integer type, since callers build
// Data by hand, and refuses floats: money is never a float here.
func moneyFunc(amount any, currency string) (string, error) {
	v := reflect.ValueOf(amount)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return money.Format(v.Int(), currency), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() > 1<<63-1 {
			return "", fmt.Errorf("money amount %d is too large", v.Uint())
		}
		return money.Format(int64(v.Uint()), currency), nil
	default:
		return "", fmt.Errorf("money amount must be an integer of minor units, got %T", amount)
	}
}
