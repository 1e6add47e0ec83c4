package notify

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// devListLimit caps the listing; a demo that has written more shows the newest.
const devListLimit = 200

// emlName is what a mail file DevHandler serves may be called: no paths, no hidden files.
var emlName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*\.eml$`)

// ParsedMail is an e-mail read back from its RFC 5322 form: decoded headers and both parts as
// text. DevHandler shows it; tests use it to check what a server received.
type ParsedMail struct {
	Header  mail.Header
	From    string
	To      string
	Subject string
	Date    time.Time
	Text    string
	HTML    string
}

// ParseMail reads an e-mail as this package writes it (multipart/alternative, or a single
// text part), decoding RFC 2047 headers and quoted-printable or base64 bodies.
func ParseMail(r io.Reader) (ParsedMail, error) {
	msg, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return ParsedMail{}, fmt.Errorf("read mail: %w", err)
	}
	dec := new(mime.WordDecoder)
	decode := func(name string) string {
		v := msg.Header.Get(name)
		if d, err := dec.DecodeHeader(v); err == nil {
			return d
		}
		return v
	}
	p := ParsedMail{Header: msg.Header, From: decode("From"), To: decode("To"), Subject: decode("Subject")}
	p.Date, _ = msg.Header.Date()
	ctype, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return p, fmt.Errorf("read mail: content type: %w", err)
	}
	if !strings.HasPrefix(ctype, "multipart/") {
		body, err := decodeBody(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return p, err
		}
		if ctype == "text/html" {
			p.HTML = body
		} else {
			p.Text = body
		}
		return p, nil
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p, fmt.Errorf("read mail part: %w", err)
		}
		// multipart.Reader decodes quoted-printable itself and drops the header; base64 is ours.
		body, err := decodeBody(part, part.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return p, err
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			p.Text = body
		case "text/html":
			p.HTML = body
		}
	}
	return p, nil
}

// decodeBody reads a part in its transfer encoding, with line ends made "\n".
func decodeBody(r io.Reader, enc string) (string, error) {
	if strings.EqualFold(strings.TrimSpace(enc), "base64") {
		r = base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: r})
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("read mail body: %w", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}

// stripNewlines drops CR and LF so base64 lines decode as one stream.
type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// devEntry is one row of the listing.
type devEntry struct {
	Name    string
	Date    time.Time
	To      string
	Subject string
}

// DevHandler lists the .eml files a DirSender wrote into dir, newest first, and shows one
// (?file=NAME) with its headers and plain-text part, escaped. It is for development only: it
// shows buyers' addresses to whoever can reach it, so mount it (at /dev/mail) only in embedded
// demo mode. Links are relative, so it works under any prefix.
func DevHandler(dir string) http.Handler {
	pages := template.Must(template.New("list").Parse(devListPage))
	template.Must(pages.New("show").Parse(devShowPage))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if name := r.URL.Query().Get("file"); name != "" {
			devShow(w, pages, dir, name)
			return
		}
		entries, err := devList(dir)
		if err != nil {
			http.Error(w, "cannot list mail: "+err.Error(), http.StatusInternalServerError)
			return
		}
		_ = pages.ExecuteTemplate(w, "list", entries)
	})
}

// devList reads the headers of the newest mails in dir.
func devList(dir string) ([]devEntry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	type file struct {
		name string
		mod  time.Time
	}
	var files []file
	for _, de := range des {
		if de.IsDir() || !emlName.MatchString(de.Name()) {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		files = append(files, file{de.Name(), info.ModTime()})
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.After(files[j].mod)
		}
		return files[i].name > files[j].name
	})
	if len(files) > devListLimit {
		files = files[:devListLimit]
	}
	out := make([]devEntry, 0, len(files))
	for _, f := range files {
		e := devEntry{Name: f.name, Date: f.mod}
		if fh, err := os.Open(filepath.Join(dir, f.name)); err == nil {
			if msg, err := mail.ReadMessage(bufio.NewReader(fh)); err == nil {
				dec := new(mime.WordDecoder)
				e.To, _ = dec.DecodeHeader(msg.Header.Get("To"))
				e.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
				if d, err := msg.Header.Date(); err == nil {
					e.Date = d
				}
			}
			_ = fh.Close()
		}
		if e.Subject == "" {
			e.Subject = "(no subject)"
		}
		out = append(out, e)
	}
	return out, nil
}

// devShow renders one mail; names that are not plain .eml files in dir are not found.
func devShow(w http.ResponseWriter, pages *template.Template, dir, name string) {
	if !emlName.MatchString(name) {
		http.NotFound(w, nil)
		return
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	defer f.Close()
	p, err := ParseMail(f)
	if err != nil {
		http.Error(w, "cannot read this mail: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_ = pages.ExecuteTemplate(w, "show", struct {
		Name string
		Mail ParsedMail
	}{name, p})
}

const devStyle = `<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}
pre{white-space:pre-wrap;background:#f6f3ee;padding:1rem}.note{color:#6b4a2b}</style>`

const devListPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mail (development)</title>` + devStyle + `</head><body>
<h1>Mail</h1>
<p class="note">Development only: these e-mails were written to files, not sent.</p>
{{if .}}<table><tr><th>Date</th><th>To</th><th>Subject</th></tr>
{{range .}}<tr><td>{{.Date.Format "2006-01-02 15:04:05"}}</td><td>{{.To}}</td><td><a href="?file={{.Name}}">{{.Subject}}</a></td></tr>
{{end}}</table>{{else}}<p>No mail yet.</p>{{end}}
</body></html>`

const devShowPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Mail.Subject}}</title>` + devStyle + `</head><body>
<p><a href="?">All mail</a></p>
<h1>{{.Mail.Subject}}</h1>
<table>
<tr><th>From</th><td>{{.Mail.From}}</td></tr>
<tr><th>To</th><td>{{.Mail.To}}</td></tr>
<tr><th>Date</th><td>{{.Mail.Date.Format "2006-01-02 15:04:05 -0700"}}</td></tr>
<tr><th>File</th><td>{{.Name}}</td></tr>
</table>
<pre>{{.Mail.Text}}</pre>
</body></html>`
