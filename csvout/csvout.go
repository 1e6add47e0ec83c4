// Package csvout writes CSV for spreadsheets: the downloads coordinators and funders open in
// Excel, LibreOffice or Google Sheets. Every cell a spreadsheet would run as a formula is
// defused, since names and notes in them are typed by other people (OWASP "CSV injection").
package csvout

import (
	"encoding/csv"
	"io"
)

// Writer writes records as CSV (RFC 4180 quoting, as encoding/csv does) with every cell
// passed through Defuse.
type Writer struct {
	cw  *csv.Writer
	rec []string
}

// NewWriter returns a Writer that writes to w. Call Flush when done.
func NewWriter(w io.Writer) *Writer {
	return &Writer{cw: csv.NewWriter(w)}
}

// Write writes one record, each cell defused. The caller's slice is not changed.
func (w *Writer) Write(record []string) error {
	w.rec = w.rec[:0]
	for _, cell := range record {
		w.rec = append(w.rec, Defuse(cell))
	}
	return w.cw.Write(w.rec)
}

// Flush writes what is buffered and returns the first error writing met.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}

// Defuse puts an apostrophe before a cell that starts with = + - @, a tab or a carriage
// return, which spreadsheets read as the start of a formula; the apostrophe makes the cell
// text and is not shown. A plain number such as "-1250" or "-12.50" is left alone: it cannot
// run anything, and a spreadsheet must still add it up.
func Defuse(cell string) string {
	if cell == "" || isNumber(cell) {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}

// isNumber reports whether s is an optional minus, digits, and optionally a point and digits.
func isNumber(s string) bool {
	if s[0] == '-' {
		s = s[1:]
	}
	seenDigit, seenPoint := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			seenDigit = true
		case c == '.' && !seenPoint && seenDigit && i < len(s)-1:
			seenPoint = true
		default:
			return false
		}
	}
	return seenDigit
}
