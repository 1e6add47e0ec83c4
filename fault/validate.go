package fault

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

// validate is built once: the validator caches struct metadata and is safe for concurrent use.
var validate = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	return v
})

// Check validates s by its `validate` struct tags and returns a fault.Invalid error naming each
// bad field by its JSON name, or nil.
func Check(s any) error {
	err := validate().Struct(s)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return fmt.Errorf("validate: %w", err)
	}
	fields := make(map[string]string, len(ves))
	for _, fe := range ves {
		name := fieldPath(fe.Namespace())
		if _, seen := fields[name]; !seen {
			fields[name] = message(fe)
		}
	}
	return Fields(fields)
}

// fieldPath drops the struct name from a validator namespace: "req.items[0].quantity" → "items[0].quantity".
func fieldPath(ns string) string {
	if i := strings.IndexByte(ns, '.'); i >= 0 {
		return ns[i+1:]
	}
	return ns
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required", "required_without", "required_if":
		return "is required"
	case "email":
		return "must be an email address"
	case "min":
		if fe.Kind() == reflect.String {
			return "must be at least " + fe.Param() + " characters"
		}
		if fe.Kind() == reflect.Slice {
			return "must have at least " + fe.Param() + " entries"
		}
		return "must be at least " + fe.Param()
	case "max":
		if fe.Kind() == reflect.String {
			return "must be at most " + fe.Param() + " characters"
		}
		if fe.Kind() == reflect.Slice {
			return "must have at most " + fe.Param() + " entries"
		}
		return "must be at most " + fe.Param()
	case "gt":
		return "must be greater than " + fe.Param()
	case "gte":
		return "must be at least " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "len":
		return "must be exactly " + fe.Param() + " characters"
	case "iso4217":
		return "must be a three-letter currency code such as INR"
	case "iso3166_1_alpha2":
		return "must be a two-letter country code such as IN"
	case "alphanum":
		return "may contain only letters and digits"
	case "url":
		return "must be a URL"
	case "datetime":
		return "must be a date like " + fe.Param()
	default:
		return "is not valid (" + fe.Tag() + ")"
	}
}
