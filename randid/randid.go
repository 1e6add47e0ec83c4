// Package randid makes identifiers that say nothing: 128 random bits, so an id reveals neither
// when its record was made nor how many came before it (ObjectIDs carry a timestamp and a
// counter), and cannot be guessed from another one.
package randid

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns 32 lower-case hex characters of crypto/rand.
func New() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return short)
	return hex.EncodeToString(b)
}
