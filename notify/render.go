package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"
)

// templateFS holds the e-mail templates: for each template and language a .txt file (which
// defines "subject" and whose body is the plain-text part) and a .html file (which defines
// "content", placed inside layout.html).
//
//go:embed templates
var templateFS embed.FS

// view is what every template executes on: .Data is the message's data, .Lang its language and
// .Subject the rendered subject (empty while the subject itself is rendered).
type view struct {
	Lang    string
	Subject string
	Data    map[string]any
}

// Content is a rendered e-mail: subject line, plain-text part and HTML part.
type Content struct {
	Subject string
	Text    string
	HTML    string
}

// templates is every template parsed once, keyed by name and then language.
type templates struct {
	text map[string]map[string]*texttemplate.Template
	html map[string]map[string]*htmltemplate.Template
}

// funcs are the helpers templates may call.
func funcs() map[string]any {
	return map[string]any{
		"money": moneyFunc,
		"date":  func(t time.Time) string { return t.Format("Mon 2 Jan 2006") },
		// numdate is a date in numerals only (2/12/2026), for mail in Hindi and Bengali, whose
		// readers need no English month names.
		"numdate": func(t time.Time) string { return t.Format("2/1/2006") },
		// link bundles a URL and its label for the layout's "button" template.
		"link": func(url, label string) map[string]string { return map[string]string{"URL": url, "Label": label} },
	}
}

// fileName is "<template>.<lang>.<ext>".
var fileName = regexp.MustCompile(`^([a-z_]+)\.([a-z]{2})\.(txt|html)$`)

// parseTemplates reads and checks every embedded template: each must have both parts, each text
// part a subject, and each template an English version to fall back on.
func parseTemplates() (*templates, error) {
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("read mail layout: %w", err)
	}
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, fmt.Errorf("list mail templates: %w", err)
	}
	ts := &templates{text: map[string]map[string]*texttemplate.Template{}, html: map[string]map[string]*htmltemplate.Template{}}
	for _, e := range entries {
		if e.Name() == "layout.html" {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("mail template %s: name is not <template>.<lang>.txt|html", e.Name())
		}
		name, lang, ext := m[1], m[2], m[3]
		src, err := fs.ReadFile(templateFS, "templates/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read mail template %s: %w", e.Name(), err)
		}
		switch ext {
		case "txt":
			t, err := texttemplate.New(name).Funcs(funcs()).Option("missingkey=error").Parse(string(src))
			if err != nil {
				return nil, fmt.Errorf("parse mail template %s: %w", e.Name(), err)
			}
			if t.Lookup("subject") == nil {
				return nil, fmt.Errorf("mail template %s defines no subject", e.Name())
			}
			if ts.text[name] == nil {
				ts.text[name] = map[string]*texttemplate.Template{}
			}
			ts.text[name][lang] = t
		case "html":
			t, err := htmltemplate.New("layout").Funcs(funcs()).Option("missingkey=error").Parse(string(layout))
			if err == nil {
				_, err = t.New(e.Name()).Parse(string(src))
			}
			if err != nil {
				return nil, fmt.Errorf("parse mail template %s: %w", e.Name(), err)
			}
			if t.Lookup("content") == nil {
				return nil, fmt.Errorf("mail template %s defines no content", e.Name())
			}
			if ts.html[name] == nil {
				ts.html[name] = map[string]*htmltemplate.Template{}
			}
			ts.html[name][lang] = t
		}
	}
	for name, langs := range ts.text {
		if langs[English] == nil {
			return nil, fmt.Errorf("mail template %s has no English version", name)
		}
		for lang := range langs {
			if ts.html[name][lang] == nil {
				return nil, fmt.Errorf("mail template %s.%s has no HTML part", name, lang)
			}
		}
	}
	for name, langs := range ts.html {
		for lang := range langs {
			if ts.text[name][lang] == nil {
				return nil, fmt.Errorf("mail template %s.%s has no text part", name, lang)
			}
		}
	}
	return ts, nil
}

// names lists the templates, sorted.
func (ts *templates) names() []string {
	out := make([]string, 0, len(ts.text))
	for n := range ts.text {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// language picks the language a template is rendered in: the one asked for when the template
// has it, otherwise English.
func (ts *templates) language(name, lang string) string {
	if _, ok := ts.text[name][lang]; ok {
		return lang
	}
	return English
}

// render executes a template on data in lang (falling back to English).
func (ts *templates) render(name, lang string, data map[string]any) (Content, error) {
	if _, ok := ts.text[name]; !ok {
		return Content{}, fmt.Errorf("unknown mail template %q", name)
	}
	lang = ts.language(name, lang)
	v := view{Lang: lang, Data: data}
	var b bytes.Buffer
	txt := ts.text[name][lang]
	if err := txt.ExecuteTemplate(&b, "subject", v); err != nil {
		return Content{}, fmt.Errorf("render %s.%s subject: %w", name, lang, err)
	}
	subject := strings.Join(strings.Fields(b.String()), " ")
	if subject == "" {
		return Content{}, fmt.Errorf("render %s.%s: empty subject", name, lang)
	}
	v.Subject = subject
	b.Reset()
	if err := txt.Execute(&b, v); err != nil {
		return Content{}, fmt.Errorf("render %s.%s text: %w", name, lang, err)
	}
	text := tidyText(b.String())
	b.Reset()
	if err := ts.html[name][lang].ExecuteTemplate(&b, "layout", v); err != nil {
		return Content{}, fmt.Errorf("render %s.%s HTML: %w", name, lang, err)
	}
	return Content{Subject: subject, Text: text, HTML: b.String()}, nil
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// tidyText trims trailing spaces from lines and collapses runs of blank lines the template's
// conditionals leave behind, so the plain part reads as if written by hand.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Join(lines, "\n")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s) + "\n"
}
