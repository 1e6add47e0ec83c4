package notify

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

// buildMessage writes m as an RFC 5322 message: the usual headers, then a multipart/alternative
// body with the plain-text part first and the HTML part last (the one clients prefer), each
// quoted-printable when mostly ASCII and base64 otherwise (Hindi and Bengali text is far
// shorter in base64). Lines end in CRLF, as SMTP requires.
func buildMessage(from mail.Address, m Mail) ([]byte, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("build mail: recipient %q: %w", m.To, err)
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	var body bytes.Buffer
	mp := multipart.NewWriter(&body)
	for _, part := range []struct{ ctype, content string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		enc := transferEncoding(part.content)
		w, err := mp.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {enc},
		})
		if err != nil {
			return nil, fmt.Errorf("build mail: %w", err)
		}
		if err := writeEncoded(w, enc, part.content); err != nil {
			return nil, fmt.Errorf("build mail: %w", err)
		}
	}
	if err := mp.Close(); err != nil {
		return nil, fmt.Errorf("build mail: %w", err)
	}

	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", messageID(m.ID, from.Address))
	header("From", from.String())
	header("To", to.String())
	header("Subject", encodeHeader(m.Subject))
	header("MIME-Version", "1.0")
	header("Content-Type", "multipart/alternative;\r\n boundary=\""+mp.Boundary()+"\"")
	// Auto-Submitted keeps out-of-office replies and mail loops away (RFC 3834).
	header("Auto-Submitted", "auto-generated")
	if m.Template != "" {
		header("X-Fairhands-Template", m.Template)
	}
	b.WriteString("\r\n")
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// messageID makes a Message-ID from the outbox id and the sender's domain, so every retry of one
// message carries the same id.
func messageID(id, fromAddr string) string {
	domain := "localhost"
	if at := strings.LastIndexByte(fromAddr, '@'); at >= 0 && at < len(fromAddr)-1 {
		domain = fromAddr[at+1:]
	}
	if id == "" {
		id = fmt.Sprintf("%d", time.Now().UnixNano())
	}
	return "<" + id + "@" + domain + ">"
}

// encodeHeader encodes a header value as RFC 2047 words when it is not plain ASCII, folding
// between words so no line runs past the 78 characters RFC 5322 recommends.
func encodeHeader(s string) string {
	enc := mime.BEncoding.Encode("utf-8", s)
	if enc == s {
		return s
	}
	// Whitespace between adjacent encoded words is not part of the text, so folding there is safe.
	return strings.ReplaceAll(enc, " =?utf-8?", "\r\n =?utf-8?")
}

// transferEncoding picks quoted-printable for mostly-ASCII text and base64 otherwise.
func transferEncoding(s string) string {
	nonASCII := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			nonASCII++
		}
	}
	if nonASCII*4 > len(s) {
		return "base64"
	}
	return "quoted-printable"
}

// writeEncoded writes s to w in the given transfer encoding, with CRLF line ends.
func writeEncoded(w io.Writer, enc, s string) error {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if enc == "base64" {
		s = strings.ReplaceAll(s, "\n", "\r\n")
		e := base64.StdEncoding.EncodeToString([]byte(s))
		for len(e) > 76 {
			if _, err := io.WriteString(w, e[:76]+"\r\n"); err != nil {
				return err
			}
			e = e[76:]
		}
		_, err := io.WriteString(w, e+"\r\n")
		return err
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, s); err != nil {
		return err
	}
	return qp.Close()
}
