package training

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/fairhands/marketplace/fault"
)

// ErrPDFUnavailable answers a PDF request for a certificate whose text needs letters the PDF's
// built-in fonts lack (Bengali, Devanagari…): the printable page shows every script.
var ErrPDFUnavailable = fault.New(fault.Unprocessable, "pdf_unavailable",
	"this certificate uses letters the PDF cannot show yet: print the certificate page instead (format=html)")

// certificatePage is a self-contained printable page: no scripts, no external fonts, one inline
// style block allowed by the nonce the caller puts in its Content-Security-Policy.
var certificatePage = template.Must(template.New("certificate").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate – {{.TrackName}}</title>
<style nonce="{{.Nonce}}">
@page { size: A4 landscape; margin: 12mm; }
body { font-family: Georgia, "Times New Roman", serif; color: #1d2b36; margin: 0; }
.cert { border: 6px double #24506b; padding: 36px 48px; margin: 16px auto; max-width: 960px; text-align: center; }
h1 { font-size: 2.2rem; letter-spacing: .04em; margin: 0 0 24px; }
.name { font-size: 2.1rem; font-weight: bold; margin: 8px 0 20px; }
.track { font-size: 1.6rem; font-weight: bold; margin: 8px 0; }
.small { font-size: .95rem; color: #3c5364; }
.verify { margin-top: 36px; font-family: Arial, sans-serif; font-size: .9rem; }
.code { font-family: "Courier New", monospace; font-size: 1.2rem; font-weight: bold; letter-spacing: .08em; }
</style></head>
<body><main class="cert">
<h1>Certificate of Completion</h1>
<p>This certifies that</p>
<p class="name">{{.Name}}</p>
<p>has completed the training</p>
<p class="track">{{.TrackName}}</p>
{{if .Qualification}}<p class="small">Qualification Pack {{.Qualification}}</p>{{end}}
<p>at {{.ProgramName}}</p>
<p>on {{.Date}}</p>
<p class="verify">Check this certificate at {{.VerifyURL}}<br>Verification code <span class="code">{{.Code}}</span></p>
</main></body></html>
`))

// WriteCertificateHTML writes the printable certificate page. nonce must also appear in the
// response's Content-Security-Policy as style-src 'nonce-…'.
func WriteCertificateHTML(w io.Writer, c CertificateDetail, nonce string) error {
	return certificatePage.Execute(w, struct {
		CertificateDetail
		Date, Nonce string
	}{c, longDate(c.CompletedOn), nonce})
}

func longDate(d Day) string {
	if d.IsZero() {
		return ""
	}
	return d.Format("2 January 2006")
}

// CertificatePDF renders the certificate as a one-page A4 landscape PDF with the standard
// Helvetica fonts, so nothing needs embedding and the file stays a few kilobytes.
func CertificatePDF(c CertificateDetail) ([]byte, error) {
	type line struct {
		text string
		bold bool
		size float64
		y    float64
	}
	lines := []line{
		{"Certificate of Completion", true, 30, 480},
		{"This certifies that", false, 14, 430},
		{c.Name, true, 28, 385},
		{"has completed the training", false, 14, 345},
		{c.TrackName, true, 22, 308},
	}
	if c.Qualification != "" {
		lines = append(lines, line{"Qualification Pack " + c.Qualification, false, 13, 280})
	}
	lines = append(lines,
		line{"at " + c.ProgramName, false, 14, 245},
		line{"on " + longDate(c.CompletedOn), false, 14, 220},
		line{"Check this certificate at " + c.VerifyURL, false, 10, 100},
		line{"Verification code " + c.Code, true, 13, 78},
	)
	var content bytes.Buffer
	content.WriteString("0.14 0.31 0.42 RG 4 w 28 28 786 539 re S 1 w 38 38 766 519 re S\n0.11 0.17 0.21 rg\n")
	for _, l := range lines {
		enc, ok := winAnsi(l.text)
		if !ok {
			return nil, ErrPDFUnavailable
		}
		size := l.size
		width := textWidth(enc, l.bold) * size / 1000
		if maxWidth := 720.0; width > maxWidth { // shrink a long name or track to fit the page
			size, width = size*maxWidth/width, maxWidth
		}
		font := "F1"
		if l.bold {
			font = "F2"
		}
		fmt.Fprintf(&content, "BT /%s %.2f Tf %.2f %.2f Td (%s) Tj ET\n", font, size, (842-width)/2, l.y, pdfEscape(enc))
	}
	title, _ := winAnsi("Certificate " + c.Code)
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Title (" + pdfEscape(title) + ") /Producer (Fair Hands marketplace) >>",
	}
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, len(objects), xref)
	return out.Bytes(), nil
}

// winAnsiExtra maps the characters of Windows-1252 outside Latin-1 that names and titles use.
var winAnsiExtra = map[rune]byte{'€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92,
	'“': 0x93, '”': 0x94, '–': 0x96, '—': 0x97}

// winAnsi encodes s for the standard PDF fonts; ok is false when s needs other letters.
func winAnsi(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xff:
			out = append(out, byte(r))
		case winAnsiExtra[r] != 0:
			out = append(out, winAnsiExtra[r])
		default:
			return nil, false
		}
	}
	return out, true
}

func pdfEscape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\\' || c == '(' || c == ')':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&sb, "\\%03o", c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// Glyph widths (per 1000 units of font size) of Helvetica and Helvetica-Bold for ASCII 32–126,
// from Adobe's font metrics, to centre lines; other characters count as 600.
var helveticaWidths = [95]int{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
}

var helveticaBoldWidths = [95]int{
	278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
	975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
	333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
	611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
}

func textWidth(b []byte, bold bool) float64 {
	table := &helveticaWidths
	if bold {
		table = &helveticaBoldWidths
	}
	w := 0
	for _, c := range b {
		if c >= 32 && c <= 126 {
			w += table[c-32]
		} else {
			w += 600
		}
	}
	return float64(w)
}
