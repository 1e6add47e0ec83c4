package store

import (
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
)

// Matches reports whether doc (as decoded into a bson.M) matches filter, and whether it could
// tell exactly: known is false for any operator, value or shape it does not handle as MongoDB
// does (arrays on the path, null, nested operators), and the caller then asks the server.
// Handled: equality on scalars, $eq $ne $in $nin $lt $lte $gt $gte $exists, dotted paths through
// embedded documents; scalars are strings, booleans, numbers (compared across int and float),
// times and ObjectIDs.
func Matches(doc bson.M, filter bson.M) (ok, known bool) {
	ok = true
	for path, cond := range filter {
		if strings.HasPrefix(path, "$") {
			return false, false
		}
		v, present, k := lookup(doc, path)
		if !k {
			return false, false
		}
		m, k := matchCond(v, present, cond)
		if !k {
			return false, false
		}
		ok = ok && m
	}
	return ok, true
}

func lookup(doc bson.M, path string) (v any, present, known bool) {
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		switch d := cur.(type) {
		case bson.M:
			cur, present = d[part]
		case bson.D:
			present = false
			for _, e := range d {
				if e.Key == part {
					cur, present = e.Value, true
					break
				}
			}
		case bson.A, []any:
			return nil, false, false // MongoDB would look into every element
		default:
			return nil, false, true // a scalar has no fields: the path is missing
		}
		if !present {
			return nil, false, true
		}
	}
	switch cur.(type) {
	case bson.A, []any, nil:
		return nil, false, false
	}
	return cur, true, true
}

func matchCond(v any, present bool, cond any) (ok, known bool) {
	ops, isOps := operators(cond)
	if !isOps {
		return equal(v, present, cond)
	}
	ok = true
	for op, arg := range ops {
		var m, k bool
		switch op {
		case "$eq":
			m, k = equal(v, present, arg)
		case "$ne":
			m, k = equal(v, present, arg)
			m = !m
		case "$in", "$nin":
			list, isList := asList(arg)
			if !isList {
				return false, false
			}
			k = true
			for _, x := range list {
				e, ek := equal(v, present, x)
				if !ek {
					return false, false
				}
				m = m || e
			}
			if op == "$nin" {
				m = !m
			}
		case "$lt", "$lte", "$gt", "$gte":
			if !present {
				m, k = false, scalar(arg)
				break
			}
			c, comparable, ck := compare(v, arg)
			if !ck {
				return false, false
			}
			k = true
			if comparable {
				switch op {
				case "$lt":
					m = c < 0
				case "$lte":
					m = c <= 0
				case "$gt":
					m = c > 0
				case "$gte":
					m = c >= 0
				}
			}
		case "$exists":
			want, isBool := arg.(bool)
			if !isBool {
				return false, false
			}
			m, k = present == want, true
		default:
			return false, false
		}
		if !k {
			return false, false
		}
		ok = ok && m
	}
	return ok, true
}

// operators returns cond's operators when cond is an operator document ({$gte: 3}).
func operators(cond any) (map[string]any, bool) {
	out := map[string]any{}
	switch c := cond.(type) {
	case bson.M:
		for k, v := range c {
			out[k] = v
		}
	case map[string]any:
		for k, v := range c {
			out[k] = v
		}
	case bson.D:
		for _, e := range c {
			out[e.Key] = e.Value
		}
	default:
		return nil, false
	}
	for k := range out {
		if !strings.HasPrefix(k, "$") {
			return nil, false
		}
	}
	return out, len(out) > 0
}

func asList(arg any) ([]any, bool) {
	switch l := arg.(type) {
	case bson.A:
		return l, true
	case []any:
		return l, true
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// equal is MongoDB's equality of a stored scalar with a filter value (a missing field equals
// nothing here: null in a filter is left to the server).
func equal(v any, present bool, want any) (ok, known bool) {
	if !scalar(want) {
		return false, false
	}
	if !present {
		return false, true
	}
	c, comparable, k := compare(v, want)
	if !k {
		return false, false
	}
	return comparable && c == 0, true
}

func scalar(x any) bool {
	switch x.(type) {
	case string, bool, int, int32, int64, float64, time.Time, primitive.DateTime, primitive.ObjectID:
		return true
	}
	return false
}

// compare orders a stored value against a filter value of the same kind; comparable is false
// across kinds (MongoDB's range operators then match nothing).
func compare(v, w any) (c int, comparable, known bool) {
	if !scalar(v) || !scalar(w) {
		return 0, false, false
	}
	if a, ok := number(v); ok {
		b, ok := number(w)
		if !ok {
			return 0, false, true
		}
		return a.cmp(b), true, true
	}
	if a, ok := instant(v); ok {
		b, ok := instant(w)
		if !ok {
			return 0, false, true
		}
		return a.Compare(b), true, true
	}
	switch a := v.(type) {
	case string:
		b, ok := w.(string)
		if !ok {
			return 0, false, true
		}
		return strings.Compare(a, b), true, true
	case bool:
		b, ok := w.(bool)
		if !ok {
			return 0, false, true
		}
		switch {
		case a == b:
			return 0, true, true
		case !a:
			return -1, true, true
		}
		return 1, true, true
	case primitive.ObjectID:
		b, ok := w.(primitive.ObjectID)
		if !ok {
			return 0, false, true
		}
		return strings.Compare(a.Hex(), b.Hex()), true, true
	}
	return 0, false, false
}

type num struct {
	i       int64
	f       float64
	isFloat bool
}

func (a num) cmp(b num) int {
	if !a.isFloat && !b.isFloat {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	x, y := a.f, b.f
	if !a.isFloat {
		x = float64(a.i)
	}
	if !b.isFloat {
		y = float64(b.i)
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func number(x any) (num, bool) {
	switch n := x.(type) {
	case int:
		return num{i: int64(n)}, true
	case int32:
		return num{i: int64(n)}, true
	case int64:
		return num{i: n}, true
	case float64:
		return num{f: n, isFloat: true}, true
	}
	return num{}, false
}

// instant is a time at MongoDB's precision (milliseconds).
func instant(x any) (time.Time, bool) {
	switch t := x.(type) {
	case time.Time:
		return primitive.NewDateTimeFromTime(t).Time(), true
	case primitive.DateTime:
		return t.Time(), true
	}
	return time.Time{}, false
}
