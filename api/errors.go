package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/httpserver"
)

// Fail writes err as the JSON error body with the status its kind maps to (the shell's one
// table). Errors without a kind are ours: they are logged in full and the caller sees a plain
// message.
func Fail(c *gin.Context, err error) { httpserver.JSONError(c, err) }

// bindJSON decodes the request body into v, answering 400 with a message that says what is wrong.
// Typed fields mean an operator object such as {"$gt": ""} can never reach a query as a value.
func bindJSON(c *gin.Context, v any) bool {
	dec := json.NewDecoder(c.Request.Body)
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			err = errors.New("extra data after the JSON object")
		} else {
			return true
		}
	}
	Fail(c, jsonError(err))
	return false
}

// bindOptionalJSON is bindJSON for endpoints whose body may be left out entirely (shared by the
// domains' handlers: one definition for the package).
func bindOptionalJSON(c *gin.Context, v any) bool {
	if c.Request.Body == nil || c.Request.ContentLength == 0 {
		return true
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil || errors.Is(err, io.EOF) {
		if err == nil && dec.More() {
			Fail(c, jsonError(errors.New("extra data after the JSON object")))
			return false
		}
		return true
	}
	Fail(c, jsonError(err))
	return false
}

func jsonError(err error) error {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return fault.New(fault.Invalid, "empty_body", "the request body is empty: send a JSON object")
	case errors.As(err, &mbe):
		return fault.New(fault.TooLarge, "body_too_large", "the request body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			return fault.New(fault.Invalid, "invalid_json", "the request body must be a JSON object")
		}
		return &fault.Error{Kind: fault.Invalid, Code: "invalid_fields", Message: "some fields are not valid",
			Fields: map[string]string{field: fmt.Sprintf("must be %s", describeType(ute.Type.String()))}}
	case errors.As(err, &se):
		return fault.New(fault.Invalid, "invalid_json", "the request body is not valid JSON (at byte %d)", se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.New(fault.Invalid, "invalid_json", "the request body is cut short: it is not complete JSON")
	}
	return fault.New(fault.Invalid, "invalid_json", "the request body is not valid JSON: %s", err.Error())
}

func describeType(t string) string {
	t = strings.TrimPrefix(t, "*")
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "time.Time"):
		return "a date (RFC 3339)"
	}
	return "an object of the right shape"
}

func logger(c *gin.Context) *slog.Logger { return httpserver.Logger(c) }

// Error codes for routes and auth that are not a domain's.
var (
	errLoginRequired = fault.New(fault.Unauthorized, "unauthenticated", "log in first: send Authorization: Bearer <token>")
	errForbidden     = fault.New(fault.Forbidden, "forbidden", "your role may not do this")
	errRateLimited   = fault.New(fault.TooMany, "rate_limited", "too many requests: wait a minute and try again")
)
