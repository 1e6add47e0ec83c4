package api

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// The conventions of list endpoints and query strings, in one place: a list is always an array
// (never null), and a query parameter with a value the endpoint cannot use is a 400 that names
// the parameter and says what is allowed, never silently read as its default.

// jsonList returns items for a JSON answer, with a nil slice as an empty one: a list with
// nothing in it is [] to a client, never null (which breaks code that iterates over it).
func jsonList(items any) any {
	if v := reflect.ValueOf(items); v.Kind() == reflect.Slice && v.IsNil() {
		return []struct{}{}
	}
	return items
}

// itemsBody is the body of a list answer: {"items": [...]}.
func itemsBody(items any) gin.H { return gin.H{"items": jsonList(items)} }

// queryInt reads an optional whole-number query parameter that must lie in [lo, hi]; absent or
// empty, it is def. A bad value is noted in bad under the parameter's name. An hi of
// math.MaxInt32 or more is no real bound, and the message does not mention it.
func queryInt(c *gin.Context, name string, def, lo, hi int64, bad map[string]string) int64 {
	v := c.Query(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		if hi >= math.MaxInt32 {
			bad[name] = fmt.Sprintf("must be a whole number of at least %d", lo)
		} else {
			bad[name] = fmt.Sprintf("must be a whole number from %d to %d", lo, hi)
		}
		return def
	}
	return n
}

// queryOneOf reads an optional query parameter that must be one of allowed; absent or empty, it
// is def. A bad value is noted in bad under the parameter's name.
func queryOneOf(c *gin.Context, name, def string, allowed []string, bad map[string]string) string {
	v := c.Query(name)
	if v == "" {
		return def
	}
	if !slices.Contains(allowed, v) {
		bad[name] = "must be one of: " + strings.Join(allowed, ", ")
		return def
	}
	return v
}
