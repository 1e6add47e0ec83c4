package training

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCertificateCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := newCertificateCode()
		if len(c) != codeLen || normalizeCode(c) != c {
			t.Fatalf("code %q is not normalised", c)
		}
		if seen[c] {
			t.Fatalf("duplicate code %q", c)
		}
		seen[c] = true
	}
	if codeLen*5 < 80 {
		t.Fatalf("codes carry %d bits, want at least 80", codeLen*5)
	}
	for _, tc := range []struct{ in, want string }{
		{"7KQ2-M9XD-4TWB-H3RA", "7KQ2M9XD4TWBH3RA"},
		{"7kq2 m9xd 4twb h3ra", "7KQ2M9XD4TWBH3RA"},
		{"OKQ2-M9XD-4TWB-H3RI", "0KQ2M9XD4TWBH3R1"}, // O→0, I→1 as people misread them
		{"7KQ2-M9XD-4TWB-H3R", ""},                  // too short
		{"7KQ2-M9XD-4TWB-H3RU", ""},                 // U is not in the alphabet
		{"7KQ2-M9XD-4TWB-H3R$", ""},
		{`{"$gt":""}`, ""},
	} {
		if got := normalizeCode(tc.in); got != tc.want {
			t.Errorf("normalizeCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := formatCode("7KQ2M9XD4TWBH3RA"); got != "7KQ2-M9XD-4TWB-H3RA" {
		t.Errorf("formatCode = %q", got)
	}
}

func TestAttendanceRate(t *testing.T) {
	ss := []Session{
		{Expected: []string{"a", "b"}, Attended: []string{"a", "b"}, Date: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Expected: []string{"a", "b"}, Attended: []string{"a"}, Date: time.Date(2025, 1, 8, 0, 0, 0, 0, time.UTC)},
		{Expected: []string{"a"}, Attended: []string{}, Date: time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range []struct {
		id             string
		attended, held int
		rate           string
		last           string
	}{
		{"a", 2, 3, "0.67", "2025-01-08"},
		{"b", 1, 2, "0.50", "2025-01-01"},
		{"c", 0, 0, "", ""},
	} {
		a, h, last := attendance(ss, tc.id)
		r := ""
		if p := rate(a, h); p != nil {
			r = strconv.FormatFloat(*p, 'f', 2, 64)
		}
		if a != tc.attended || h != tc.held || r != tc.rate || DayOf(last).String() != tc.last {
			t.Errorf("%s: %d/%d rate %q last %q", tc.id, a, h, r, DayOf(last))
		}
	}
}

func TestFollowUps(t *testing.T) {
	done := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	e := Enrollment{ID: "e", MakerID: "m", Status: StatusCompleted, CompletedOn: done}
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name     string
		now      time.Time
		outcomes []Outcome
		want     string // statuses at 3, 6, 12 months
	}{
		{"just completed", at(2025, 1, 20), nil, "upcoming,upcoming,upcoming"},
		{"three months on", at(2025, 4, 12), nil, "due,upcoming,upcoming"},
		{"five months on, nobody called", at(2025, 6, 20), nil, "overdue,due,upcoming"},
		{"an outcome settles its window only", at(2025, 6, 20), []Outcome{{Date: at(2025, 4, 1), Status: OutcomeEmployed}}, "done,due,upcoming"},
		{"a year on, all recorded", at(2026, 1, 20), []Outcome{{Date: at(2025, 4, 10)}, {Date: at(2025, 7, 1)}, {Date: at(2026, 1, 5)}}, "done,done,done"},
	} {
		var got []string
		for _, f := range followUps(e, "Track", tc.outcomes, tc.now) {
			got = append(got, f.Status)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}

func TestNeedsAttention(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status string
		last   time.Time
		want   bool
	}{
		{StatusActive, now.AddDate(0, 0, -29), false},
		{StatusActive, now.AddDate(0, 0, -31), true},
		{StatusCompleted, now.AddDate(0, 0, -90), false},
		{StatusWithdrawn, now.AddDate(0, 0, -90), false},
	} {
		if got := needsAttention(Enrollment{Status: tc.status}, tc.last, now); got != tc.want {
			t.Errorf("%s, last %s: %v", tc.status, DayOf(tc.last), got)
		}
	}
}

func TestCertificatePDF(t *testing.T) {
	d := CertificateDetail{Certificate: Certificate{Code: "7KQ2-M9XD-4TWB-H3RA", Name: "Tara (Tora) Dévi",
		TrackName: "Goldsmithing foundations", Qualification: "G&J/Q0603", ProgramName: "Kolkata Jewellery Workshop",
		CompletedOn: DayOf(time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC))}, VerifyURL: "https://example.org/verify/7KQ2-M9XD-4TWB-H3RA"}
	pdf, err := CertificatePDF(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"%PDF-1.4", `(Tara \(Tora\) D\351vi) Tj`, "(on 14 March 2025) Tj", "/BaseFont /Helvetica-Bold", "%%EOF"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	// Every xref offset points at its object, and startxref at the table: readers depend on it.
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[xref:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the table", xref)
	}
	offsets := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(pdf[xref:], -1)
	if len(offsets) != 7 {
		t.Fatalf("%d objects in xref", len(offsets))
	}
	for i, o := range offsets {
		off, _ := strconv.Atoi(string(o[1]))
		if !bytes.HasPrefix(pdf[off:], []byte(fmt.Sprintf("%d 0 obj", i+1))) {
			t.Errorf("object %d is not at offset %d", i+1, off)
		}
	}
	// A stream's declared length matches its bytes.
	sm := regexp.MustCompile(`(?s)<< /Length (\d+) >>\nstream\n(.*?)endstream`).FindSubmatch(pdf)
	if n, _ := strconv.Atoi(string(sm[1])); n != len(sm[2]) {
		t.Errorf("stream length %d, actual %d", n, len(sm[2]))
	}

	d.Name = "তারা"
	if _, err := CertificatePDF(d); err != ErrPDFUnavailable {
		t.Fatalf("Bengali name: err = %v, want ErrPDFUnavailable", err)
	}
	var page bytes.Buffer
	if err := WriteCertificateHTML(&page, d, "n0nce"); err != nil || !strings.Contains(page.String(), "তারা") ||
		!strings.Contains(page.String(), `nonce="n0nce"`) {
		t.Fatalf("the printable page shows every script: %v", err)
	}
}

func TestFontWidthTablesComplete(t *testing.T) {
	for i := range helveticaWidths {
		if helveticaWidths[i] == 0 || helveticaBoldWidths[i] == 0 {
			t.Fatalf("width of %q missing", rune(i+32))
		}
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	r := Report{ProgramName: "P", Currency: "INR",
		Tracks: []TrackReport{{Name: "T", Rows: []ReportRow{{MakerID: "m", DisplayName: "=HYPERLINK(\"http://x\")", Status: StatusActive}}}},
		Makers: []MakerReport{{MakerID: "m"}}}
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `'=HYPERLINK`) {
		t.Fatalf("formula not defused: %s", buf.String())
	}
}

func TestDayField(t *testing.T) {
	now := time.Date(2025, 3, 14, 22, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ in, want, err string }{
		{"", "2025-03-14", ""},
		{"2025-03-01", "2025-03-01", ""},
		{"2025-03-15", "2025-03-15", ""}, // a coordinator a time zone ahead
		{"2025-03-01T10:00:00+05:30", "2025-03-01", ""},
		{"2025-03-17", "", "cannot be in the future"},
		{"1999-12-31", "", "must be after the year 2000"},
		{"14/03/2025", "", "must be a date like 2025-03-14"},
	} {
		fields := map[string]string{}
		got := dayField(fields, "d", tc.in, now)
		if fields["d"] != tc.err || (tc.err == "" && DayOf(got).String() != tc.want) {
			t.Errorf("%q: %s, %q", tc.in, DayOf(got), fields["d"])
		}
	}
}

// TestFollowUpWindow: an outcome dated on either end of a follow-up's window settles it, a day
// outside does not, and Window names those ends.
func TestFollowUpWindow(t *testing.T) {
	done := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	e := Enrollment{ID: "e1", MakerID: "m1", CompletedOn: done}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	first := followUps(e, "T", nil, now)[0]
	from, to := first.Window()
	if first.Months != 3 || first.Status != FollowUpOverdue || from.String() != "2025-03-11" || to.String() != "2025-05-10" {
		t.Fatalf("3-month follow-up %+v, window %s..%s", first, from, to)
	}
	for _, tc := range []struct {
		day  time.Time
		want string
	}{
		{from.Time, FollowUpDone},
		{to.Time, FollowUpDone},
		{from.AddDate(0, 0, -1), FollowUpOverdue},
		{to.AddDate(0, 0, 1), FollowUpOverdue},
	} {
		got := followUps(e, "T", []Outcome{{Date: tc.day, Status: "employed"}}, now)[0].Status
		if got != tc.want {
			t.Errorf("outcome on %s: follow-up %s, want %s", tc.day.Format(time.DateOnly), got, tc.want)
		}
	}
}
