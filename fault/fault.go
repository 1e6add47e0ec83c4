// Package fault gives domain errors a kind, a stable code and a message a person can act on,
// so the HTTP layers can map every error to a status in one table without knowing each domain.
package fault

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds of error the domains report. Internal is the zero value, so an error that carries no
// kind is treated as our fault, never the user's.
const (
	Internal      Kind = iota
	Invalid            // the request is malformed or a field is wrong
	Unauthorized       // no valid credentials
	Forbidden          // authenticated, but not allowed
	NotFound           // missing, or outside the caller's scope (no existence leak)
	Conflict           // clashes with current state (duplicate, already used, out of stock)
	Unprocessable      // well-formed, but a business rule refuses it
	TooMany            // rate limited
	Unavailable        // a dependency is down; try again later
	TooLarge           // body or upload too large
)

// Error is a domain error with a kind, a machine-readable code and a human message.
// Fields names each bad input field with what is wrong with it.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  map[string]string
	Details map[string]any
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// New returns an error of the given kind.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fields returns a validation error naming each bad field; nil when fields is empty, so callers
// can write `if err := fault.Fields(f); err != nil`.
func Fields(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: "invalid_fields", Message: "some fields are not valid", Fields: fields}
}

// KindOf reports the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return Internal
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var fe *Error
	ok := errors.As(err, &fe)
	return fe, ok
}
