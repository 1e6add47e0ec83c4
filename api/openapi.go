package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// openapiJSON is the OpenAPI 3.1 description of every /api/v1 endpoint. The test harness
// (app/apptest) checks every request and response of the test suite against it, so an endpoint
// that changes without it fails the tests that exercise it.
//
//go:embed openapi.json
var openapiJSON []byte

// OpenAPISpec returns the OpenAPI 3.1 description of the JSON API (a copy: callers may keep it).
func OpenAPISpec() []byte { return bytes.Clone(openapiJSON) }

// Paths of the API's own description.
const (
	OpenAPIPath = "/api/v1/openapi.json"
	DocsPath    = "/api/docs"
	docsCSSPath = "/api/docs.css"
)

// openapiRoutes serves the description as JSON and as a browsable page rendered on the server
// (the CSP allows no inline script or style, and the page needs neither).
func (s *Server) openapiRoutes(r *gin.Engine) {
	etag := func(b []byte) string {
		sum := sha256.Sum256(b)
		return `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	specTag := etag(openapiJSON)
	r.GET(OpenAPIPath, func(c *gin.Context) {
		serveCached(c, specTag, "application/json; charset=utf-8", openapiJSON)
	})
	r.GET(docsCSSPath, func(c *gin.Context) {
		serveCached(c, etag([]byte(docsCSS)), "text/css; charset=utf-8", []byte(docsCSS))
	})
	r.GET(DocsPath, func(c *gin.Context) {
		page, err := docsHTML()
		if err != nil {
			Fail(c, err)
			return
		}
		serveCached(c, etag(page), "text/html; charset=utf-8", page)
	})
}

// serveCached answers body with an ETag that clients revalidate (the description changes with
// every release, so nothing may keep it for long unchecked).
func serveCached(c *gin.Context, etag, contentType string, body []byte) {
	c.Header("ETag", etag)
	c.Header("Cache-Control", "no-cache")
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, contentType, body)
}

// docsHTML renders the page once: the description is embedded, so it never changes while the
// process runs.
var docsHTML = sync.OnceValues(func() ([]byte, error) {
	doc, err := decodeOrdered(openapiJSON)
	if err != nil {
		return nil, fmt.Errorf("read openapi.json: %w", err)
	}
	page := buildDocs(doc)
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, page); err != nil {
		return nil, fmt.Errorf("render API docs: %w", err)
	}
	return buf.Bytes(), nil
})

// ---- a JSON object that keeps its keys in document order, so the page lists fields as written

type jsonObject struct {
	keys []string
	vals map[string]any
}

func (o *jsonObject) get(key string) any {
	if o == nil {
		return nil
	}
	return o.vals[key]
}

// names lists the keys in document order.
func (o *jsonObject) names() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

func (o *jsonObject) obj(key string) *jsonObject { v, _ := o.get(key).(*jsonObject); return v }
func (o *jsonObject) str(key string) string      { v, _ := o.get(key).(string); return v }
func (o *jsonObject) list(key string) []any      { v, _ := o.get(key).([]any); return v }

func decodeOrdered(b []byte) (*jsonObject, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*jsonObject)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	return o, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		o := &jsonObject{vals: map[string]any{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, k)
			o.vals[k] = v
		}
		_, err := dec.Token() // '}'
		return o, err
	case json.Delim('['):
		var l []any
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := dec.Token() // ']'
		return l, err
	}
	return t, nil
}

// ---- the page's model

type docsPage struct {
	Title, Version, Base string
	Intro                []template.HTML
	Groups               []docsGroup
	Schemas              []docsSchema
	Operations           int
}

type docsGroup struct {
	Name, Anchor string
	Description  template.HTML
	Ops          []docsOp
}

type docsOp struct {
	Anchor, Method, Path, Summary string
	Description                   []template.HTML
	Params                        []docsField
	Body                          []docsContent
	BodyRequired                  bool
	Responses                     []docsResponse
}

type docsField struct {
	Name, In    string
	Required    bool
	Type        template.HTML
	Description template.HTML
}

type docsContent struct {
	MediaType string
	Type      template.HTML
	Fields    []docsField // a request body's fields, listed where the operation is
}

type docsResponse struct {
	Status      string
	Description template.HTML
	Content     []docsContent
}

type docsSchema struct {
	Name, Anchor string
	Description  template.HTML
	Type         template.HTML
	Fields       []docsField
}

var methodOrder = []string{"get", "post", "put", "patch", "delete"}

func buildDocs(doc *jsonObject) docsPage {
	info := doc.obj("info")
	p := docsPage{Title: info.str("title"), Version: info.str("version"), Intro: paragraphs(info.str("description"))}
	if servers := doc.list("servers"); len(servers) > 0 {
		if s, ok := servers[0].(*jsonObject); ok {
			p.Base = strings.TrimSuffix(s.str("url"), "/")
		}
	}
	comps := doc.obj("components")
	groups := map[string]*docsGroup{}
	var order []string
	for _, t := range doc.list("tags") {
		if to, ok := t.(*jsonObject); ok {
			name := to.str("name")
			groups[name] = &docsGroup{Name: name, Anchor: "tag-" + anchor(name), Description: inline(to.str("description"))}
			order = append(order, name)
		}
	}
	paths := doc.obj("paths")
	for _, path := range paths.names() {
		item := paths.obj(path)
		for _, m := range methodOrder {
			o := item.obj(m)
			if o == nil {
				continue
			}
			op := docsOp{Anchor: "op-" + anchor(o.str("operationId")), Method: strings.ToUpper(m), Path: p.Base + path,
				Summary: o.str("summary"), Description: paragraphs(o.str("description"))}
			for _, pv := range o.list("parameters") {
				po, _ := pv.(*jsonObject)
				req, _ := po.get("required").(bool)
				op.Params = append(op.Params, docsField{Name: po.str("name"), In: po.str("in"), Required: req,
					Type: typeHTML(po.obj("schema"), 0), Description: inline(po.str("description"))})
			}
			if rb := o.obj("requestBody"); rb != nil {
				op.BodyRequired, _ = rb.get("required").(bool)
				op.Body = contents(rb.obj("content"))
				for i, c := range op.Body {
					if s := rb.obj("content").obj(c.MediaType).obj("schema"); s != nil {
						op.Body[i].Fields = fields(resolve(comps, s))
					}
				}
			}
			resps := o.obj("responses")
			for _, status := range resps.names() {
				r := resolve(comps, resps.obj(status))
				op.Responses = append(op.Responses, docsResponse{Status: status, Description: inline(r.str("description")),
					Content: contents(r.obj("content"))})
			}
			tag := "Other"
			if tags := o.list("tags"); len(tags) > 0 {
				tag, _ = tags[0].(string)
			}
			g := groups[tag]
			if g == nil {
				g = &docsGroup{Name: tag, Anchor: "tag-" + anchor(tag)}
				groups[tag] = g
				order = append(order, tag)
			}
			g.Ops = append(g.Ops, op)
			p.Operations++
		}
	}
	for _, name := range order {
		if len(groups[name].Ops) > 0 {
			p.Groups = append(p.Groups, *groups[name])
		}
	}
	schemas := comps.obj("schemas")
	names := slices.Clone(schemas.names())
	slices.Sort(names)
	for _, name := range names {
		s := schemas.obj(name)
		ds := docsSchema{Name: name, Anchor: "schema-" + anchor(name), Description: inline(s.str("description")), Type: typeHTML(s, 1)}
		ds.Fields = fields(s)
		p.Schemas = append(p.Schemas, ds)
	}
	return p
}

// resolve follows a $ref to a component.
func resolve(comps, o *jsonObject) *jsonObject {
	ref := o.str("$ref")
	if ref == "" {
		return o
	}
	parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
	if len(parts) != 2 {
		return o
	}
	if r := comps.obj(parts[0]).obj(parts[1]); r != nil {
		return r
	}
	return o
}

func contents(c *jsonObject) []docsContent {
	if c == nil {
		return nil
	}
	var out []docsContent
	for _, mt := range c.names() {
		m := c.obj(mt)
		t := template.HTML("<em>binary</em>")
		if s := m.obj("schema"); s != nil {
			t = typeHTML(s, 0)
		}
		out = append(out, docsContent{MediaType: mt, Type: t})
	}
	return out
}

func fields(s *jsonObject) []docsField {
	props := s.obj("properties")
	if props == nil {
		return nil
	}
	var required []string
	for _, r := range s.list("required") {
		if n, ok := r.(string); ok {
			required = append(required, n)
		}
	}
	var out []docsField
	for _, name := range props.names() {
		ps := props.obj(name)
		out = append(out, docsField{Name: name, Required: slices.Contains(required, name), Type: typeHTML(ps, 0),
			Description: inline(ps.str("description"))})
	}
	return out
}

// typeHTML writes a schema as a short type expression with links to named schemas. Objects
// written inline (not components) are spelled out up to a small depth; components get their own
// table further down. top > 0 means the schema is a component's own: its fields are listed in
// the table, so only the kind is given.
func typeHTML(s *jsonObject, top int) template.HTML {
	var b strings.Builder
	writeType(&b, s, 0, top > 0)
	return template.HTML(b.String())
}

func writeType(b *strings.Builder, s *jsonObject, depth int, bare bool) {
	esc := template.HTMLEscapeString
	if s == nil {
		b.WriteString("any")
		return
	}
	if ref := s.str("$ref"); ref != "" {
		name := ref[strings.LastIndex(ref, "/")+1:]
		fmt.Fprintf(b, `<a href="#schema-%s">%s</a>`, esc(anchor(name)), esc(name))
		return
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if alts := s.list(k); len(alts) > 0 {
			b.WriteString("one of ")
			for i, a := range alts {
				if i > 0 {
					b.WriteString(" | ")
				}
				ao, _ := a.(*jsonObject)
				writeType(b, ao, depth+1, false)
			}
			return
		}
	}
	var types []string
	switch t := s.get("type").(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if n, ok := x.(string); ok {
				types = append(types, n)
			}
		}
	}
	nullable := slices.Contains(types, "null")
	types = slices.DeleteFunc(types, func(t string) bool { return t == "null" })
	kind := strings.Join(types, " or ")
	switch {
	case kind == "array":
		b.WriteString("array of ")
		items, _ := s.get("items").(*jsonObject)
		writeType(b, items, depth+1, false)
	case kind == "object" && !bare && s.obj("properties") != nil && depth < 3:
		b.WriteString("{")
		props := s.obj("properties")
		req := s.list("required")
		for i, name := range props.names() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("<code>" + esc(name) + "</code>")
			if !slices.Contains(req, any(name)) {
				b.WriteString("?")
			}
			b.WriteString(": ")
			writeType(b, props.obj(name), depth+1, false)
		}
		b.WriteString("}")
	case kind == "object":
		b.WriteString("object")
		if ap := s.obj("additionalProperties"); ap != nil {
			b.WriteString(" of ")
			writeType(b, ap, depth+1, false)
		}
	case kind == "":
		if mt := s.str("contentMediaType"); mt != "" {
			b.WriteString("file (" + esc(mt) + ")")
		} else {
			b.WriteString("any")
		}
	default:
		b.WriteString(esc(kind))
	}
	var notes []string
	if f := s.str("format"); f != "" {
		notes = append(notes, f)
	}
	if mt := s.str("contentMediaType"); mt != "" && kind != "" {
		notes = append(notes, "file, "+mt)
	}
	if enum := s.list("enum"); len(enum) > 0 {
		var vs []string
		for _, e := range enum {
			vs = append(vs, strconv.Quote(fmt.Sprint(e)))
		}
		notes = append(notes, "one of "+strings.Join(vs, ", "))
	}
	for _, c := range []struct{ key, label string }{
		{"minLength", "min length"}, {"maxLength", "max length"}, {"minimum", "≥"}, {"exclusiveMinimum", ">"},
		{"maximum", "≤"}, {"minItems", "min items"}, {"maxItems", "max items"}, {"pattern", "pattern"},
	} {
		if v := s.get(c.key); v != nil {
			notes = append(notes, fmt.Sprintf("%s %v", c.label, v))
		}
	}
	if len(notes) > 0 {
		b.WriteString(" <span class=\"note\">(" + esc(strings.Join(notes, "; ")) + ")</span>")
	}
	if nullable {
		b.WriteString(" or null")
	}
}

var nonAnchor = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func anchor(s string) string { return nonAnchor.ReplaceAllString(s, "-") }

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	boldSpan = regexp.MustCompile(`\*\*([^*]+)\*\*`)
)

// inline renders the little Markdown the description uses (`code` and **bold**) after escaping
// everything else.
func inline(s string) template.HTML {
	h := template.HTMLEscapeString(s)
	h = codeSpan.ReplaceAllString(h, "<code>$1</code>")
	h = boldSpan.ReplaceAllString(h, "<strong>$1</strong>")
	return template.HTML(h)
}

func paragraphs(s string) []template.HTML {
	var out []template.HTML
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, inline(p))
		}
	}
	return out
}

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — reference</title>
<link rel="stylesheet" href="/api/docs.css">
</head>
<body>
<header>
<h1>{{.Title}} <small>version {{.Version}}</small></h1>
{{range .Intro}}<p>{{.}}</p>
{{end}}<p>Base path <code>{{.Base}}</code>. {{.Operations}} operations. The same description, machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
</header>
<nav aria-label="Operations">
<h2>Contents</h2>
{{range .Groups}}<h3><a href="#{{.Anchor}}">{{.Name}}</a></h3>
<ul>
{{range .Ops}}<li><a href="#{{.Anchor}}"><span class="method {{lower .Method}}">{{.Method}}</span> <code>{{.Path}}</code></a> {{.Summary}}</li>
{{end}}</ul>
{{end}}<h3><a href="#schemas">Schemas</a></h3>
</nav>
<main>
{{range .Groups}}<section class="group">
<h2 id="{{.Anchor}}">{{.Name}}</h2>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{range .Ops}}<section class="op" id="{{.Anchor}}">
<h3><span class="method {{lower .Method}}">{{.Method}}</span> <code>{{.Path}}</code></h3>
<p class="summary">{{.Summary}}</p>
{{range .Description}}<p>{{.}}</p>
{{end}}{{if .Params}}<h4>Parameters</h4>
<table>
<thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
<tbody>
{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody>
</table>
{{end}}{{if .Body}}<h4>Request body{{if not .BodyRequired}} (optional){{end}}</h4>
{{range .Body}}<p><code>{{.MediaType}}</code>: {{.Type}}</p>
{{if .Fields}}<table>
<thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
<tbody>
{{range .Fields}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody>
</table>
{{end}}{{end}}{{end}}<h4>Responses</h4>
<table>
<thead><tr><th scope="col">Status</th><th scope="col">Description</th><th scope="col">Body</th></tr></thead>
<tbody>
{{range .Responses}}<tr><td>{{.Status}}</td><td>{{.Description}}</td><td>{{range .Content}}<code>{{.MediaType}}</code>: {{.Type}}<br>{{else}}—{{end}}</td></tr>
{{end}}</tbody>
</table>
</section>
{{end}}</section>
{{end}}<section class="group">
<h2 id="schemas">Schemas</h2>
{{range .Schemas}}<section class="schema" id="{{.Anchor}}">
<h3>{{.Name}}</h3>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Fields}}<table>
<thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
<tbody>
{{range .Fields}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">always</span>{{end}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p>{{.Type}}</p>{{end}}
</section>
{{end}}</section>
</main>
</body>
</html>
`))

// docsCSS is the page's whole stylesheet, served from our origin as the CSP requires.
const docsCSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#1b1b1b}
h1 small{font-size:1rem;color:#555;font-weight:normal}
nav ul{list-style:none;padding-left:0}
nav li{margin:.15rem 0}
code{font-family:ui-monospace,monospace;font-size:.92em}
.method{display:inline-block;min-width:4.2em;font:bold .8rem ui-monospace,monospace;padding:.1em .3em;border-radius:3px;background:#e8e8e8;text-align:center}
.method.get{background:#d7ebff}.method.post{background:#d8f3dc}.method.put,.method.patch{background:#fff1c2}.method.delete{background:#ffd9d6}
.op,.schema{border-top:1px solid #ccc;padding-top:.5rem;margin-top:1.5rem}
.summary{font-weight:600}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}
.req{font-size:.75rem;color:#8a1c00}
.note{color:#555;font-size:.9em}
a{color:#0b57d0}
`
