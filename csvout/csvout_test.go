package csvout

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"testing"
)

func TestDefuse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Tara", "Tara"},
		{"=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"},
		{"+1", "'+1"},
		{"+91 98300 00000", "'+91 98300 00000"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"-", "'-"},
		{"-.5", "'-.5"},
		{"-5.", "'-5."},
		{"-1e3", "'-1e3"},
		{"-1250", "-1250"},
		{"-12.50", "-12.50"},
		{"1250", "1250"},
		{"0.75", "0.75"},
		{"a=b", "a=b"},
		{" =1", " =1"},
		{"'quoted", "'quoted"},
	} {
		if got := Defuse(tc.in); got != tc.want {
			t.Errorf("Defuse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// What a spreadsheet reads back: every cell as written, formulas defused, quoting intact.
func TestWriter(t *testing.T) {
	rows := [][]string{
		{"makerId", "displayName", "note"},
		{"m1", "=cmd|' /C calc'!A0", "a, b"},
		{"m2", `Asha "Didi"`, "two\nlines"},
		{"m3", "আশা", "-1250"},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if rows[1][1] != "=cmd|' /C calc'!A0" {
		t.Fatalf("Write changed the caller's record: %q", rows[1])
	}
	want := "makerId,displayName,note\n" +
		"m1,'=cmd|' /C calc'!A0,\"a, b\"\n" +
		"m2,\"Asha \"\"Didi\"\"\",\"two\nlines\"\n" +
		"m3,আশা,-1250\n"
	if buf.String() != want {
		t.Fatalf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows[1][1] = "'" + rows[1][1]
	if !slices.EqualFunc(got, rows, slices.Equal) {
		t.Fatalf("read back %q, want %q", got, rows)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestFlushReportsWriteErrors(t *testing.T) {
	w := NewWriter(failingWriter{})
	_ = w.Write([]string{"a"})
	if err := w.Flush(); !errors.Is(err, errDiskFull) {
		t.Fatalf("Flush() = %v, want %v", err, errDiskFull)
	}
}
