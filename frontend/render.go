package frontend

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/httpserver"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// state is what the pages know about the request: who is asking and in which language.
type state struct {
	User     accounts.User
	LoggedIn bool
	Actor    accounts.Actor
	Token    string
	Lang     string
	L        *Loc
	// authErr is why a session could not be checked (the database is down): pages that need a
	// signed-in person answer it instead of sending her to the login page.
	authErr error
}

const (
	ctxState   = "frontend.state"
	langCookie = "lang"
	yearLong   = 365 * 24 * time.Hour
)

func (s *Site) now() time.Time { return time.Now().UTC() }

// begin resolves the session cookie and the language for every page request.
func (s *Site) begin(c *gin.Context) {
	s.resolve(c)
	c.Next()
}

// resolve works out who is asking and in which language, once per request.
func (s *Site) resolve(c *gin.Context) *state {
	if v, ok := c.Get(ctxState); ok {
		return v.(*state)
	}
	st := &state{Actor: accounts.Actor{IP: c.ClientIP()}}
	if tok, err := c.Cookie(httpserver.SessionCookie); err == nil && tok != "" {
		if u, err := s.Accounts.Authenticate(c.Request.Context(), tok); err == nil {
			st.User, st.LoggedIn, st.Token = u, true, tok
			st.Actor = accounts.ActorOf(u, c.ClientIP())
		} else if fault.KindOf(err) == fault.Unauthorized {
			s.clearSession(c) // a revoked or expired session: forget it quietly
		} else {
			st.authErr = err
		}
	}
	st.Lang = s.chooseLanguage(c, st)
	st.L = s.tr.loc(st.Lang)
	c.Set(ctxState, st)
	c.Header("Vary", "Cookie, Accept-Language, Accept-Encoding")
	return st
}

// chooseLanguage applies the order the pages promise: ?lang= (remembered in a cookie on this
// device), else the cookie, else the account's choice, else Accept-Language, else English.
// A link with ?lang= never changes the account: anyone can send such a link, and a GET must not
// change what is stored. The account's language is saved only by the form on the account page.
func (s *Site) chooseLanguage(c *gin.Context, st *state) string {
	if q := c.Query("lang"); supported(q) {
		s.setCookie(c, langCookie, q, yearLong, false)
		return q
	}
	if ck, err := c.Cookie(langCookie); err == nil && supported(ck) {
		return ck
	}
	if st.LoggedIn && supported(st.User.Lang) {
		return st.User.Lang
	}
	if l := s.tr.fromAcceptLanguage(c.GetHeader("Accept-Language")); l != "" {
		return l
	}
	return "en"
}

func stateOf(c *gin.Context) *state {
	if v, ok := c.Get(ctxState); ok {
		return v.(*state)
	}
	return &state{Lang: "en"}
}

// need lets only signed-in people with one of roles through (any role when none are given).
// Anonymous visitors go to the login page and come back; a wrong role sees "not found", as the
// API answers, so the pages reveal nothing about what exists.
func (s *Site) need(roles ...accounts.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		st := stateOf(c)
		if !st.LoggedIn && st.authErr != nil {
			s.fail(c, st.authErr)
			c.Abort()
			return
		}
		if !st.LoggedIn {
			c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
			c.Abort()
			return
		}
		if len(roles) > 0 {
			ok := false
			for _, r := range roles {
				ok = ok || st.User.Role == r
			}
			if !ok {
				s.notFound(c)
				c.Abort()
				return
			}
		}
		if s.mustSetUpTwoFactor(c, st.User) {
			c.Abort()
			return
		}
		c.Next()
	}
}

func (s *Site) setCookie(c *gin.Context, name, value string, maxAge time.Duration, httpOnly bool) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: httpOnly, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Site) clearSession(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: httpserver.SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// Page is what every template receives: the translator, the person, the language links, and the
// page's own data in D.
type Page struct {
	L           *Loc
	Lang        string
	Title       string
	Description string
	Canonical   string
	User        accounts.User
	LoggedIn    bool
	Role        string
	Path        string
	LangLinks   []LangLink
	CSS, JS     string
	// Maker switches on the large-target layout for makers' pages.
	Maker     bool
	CartCount int
	Flash     string
	Errors    map[string]string
	Form      map[string]string
	D         any
}

// LangLink is one entry of the language switch: the same page in another language.
type LangLink struct {
	Code, Name, Href string
	Current          bool
}

// page starts the template data for a request.
func (s *Site) page(c *gin.Context, title string) *Page {
	st := stateOf(c)
	p := &Page{L: st.L, Lang: st.Lang, Title: title, User: st.User, LoggedIn: st.LoggedIn,
		Role: string(st.User.Role), Path: c.Request.URL.Path,
		CSS: s.assetURL("app.css"), JS: s.assetURL("app.js"), Errors: map[string]string{}, Form: map[string]string{}}
	p.CartCount = s.readCart(c).count()
	// Language links lead to a page a browser can open: the same page for a GET; for the answer
	// to a form (a POST, which a link cannot repeat), the page the form was on, or home.
	path, q := c.Request.URL.Path, c.Request.URL.Query()
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		path, q = homeFor(st.User.Role), url.Values{}
		if ref, err := url.Parse(c.Request.Referer()); err == nil && ref.Path != "" && strings.HasPrefix(ref.Path, "/") &&
			(ref.Host == "" || ref.Host == c.Request.Host) && safeNext(ref.Path) != "" {
			path, q = ref.Path, ref.Query()
		}
	}
	for _, l := range Languages {
		q.Set("lang", l.Code)
		p.LangLinks = append(p.LangLinks, LangLink{Code: l.Code, Name: l.Name, Current: l.Code == st.Lang,
			Href: path + "?" + q.Encode()})
	}
	if f, err := c.Cookie("flash"); err == nil && f != "" {
		if p.L.Has("flash_" + f) {
			p.Flash = p.L.T("flash_" + f)
		}
		http.SetCookie(c.Writer, &http.Cookie{Name: "flash", Path: "/", MaxAge: -1, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	}
	return p
}

// redirectFlash redirects after a successful form post (post/redirect/get) with a short message
// for the next page; the message is a catalogue key, so it shows in the reader's language.
func (s *Site) redirectFlash(c *gin.Context, to, flash string) {
	if flash != "" {
		http.SetCookie(c.Writer, &http.Cookie{Name: "flash", Value: flash, Path: "/", MaxAge: 60,
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	}
	c.Redirect(http.StatusSeeOther, to)
}

// pageTemplate is a page parsed together with the layout and partials.
type pageTemplate struct{ t *template.Template }

var funcs = template.FuncMap{
	"ref": shortRef,
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
	"itoa":  strconv.Itoa,
	"lower": strings.ToLower,
	"query": url.QueryEscape,
	"money": minorToInput,
}

func parseTemplates(s *Site) (map[string]*pageTemplate, error) {
	base := template.New("").Funcs(funcs)
	shared, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	if base, err = base.ParseFS(templateFS, shared...); err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*pageTemplate{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(templateFS, f); err != nil {
			return nil, err
		}
		out[name] = &pageTemplate{t: t}
	}
	return out, nil
}

// render executes a page inside the layout and writes it, gzipped when the browser accepts it
// (the storefront's 60 KB budget is measured compressed).
func (s *Site) render(c *gin.Context, status int, name string, p *Page) {
	pt, ok := s.pages[name]
	if !ok {
		s.Logger.Error("missing template", "name", name)
		c.Status(http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.Logger.Error("render page", "page", name, "err", err.Error())
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("Something went wrong on our side. Please try again."))
		return
	}
	c.Header("Cache-Control", "no-store")
	s.write(c, status, "text/html; charset=utf-8", buf.Bytes())
}

// write sends a body, gzipped for browsers that accept it.
func (s *Site) write(c *gin.Context, status int, contentType string, body []byte) {
	if len(body) > 512 && strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		c.Header("Content-Encoding", "gzip")
		c.Header("Vary", "Cookie, Accept-Language, Accept-Encoding")
		body = z.Bytes()
	}
	c.Data(status, contentType, body)
}

// notFound renders the HTML 404 page.
func (s *Site) notFound(c *gin.Context) { s.ErrorPage(c, http.StatusNotFound) }

// ErrorPage renders the site's error page for status in the reader's language. The HTTP shell
// calls it for web paths no route matched (404), a method a route does not take (405) and a
// panic (500); the pages call it for their own failures.
func (s *Site) ErrorPage(c *gin.Context, status int) {
	st := s.resolve(c)
	title, msg := st.L.T("error_title"), ""
	switch status {
	case http.StatusNotFound:
		title = st.L.T("notfound_title")
	case http.StatusMethodNotAllowed:
		msg = st.L.T("error_method")
	case http.StatusTooManyRequests:
		msg = st.L.T("err_rate_limited")
	case http.StatusServiceUnavailable:
		msg = st.L.T("error_unavailable")
		c.Header("Retry-After", "5")
	default:
		msg = st.L.T("error_internal")
	}
	p := s.page(c, title)
	if msg != "" {
		p.D = map[string]any{"Message": msg}
	}
	s.render(c, status, "error", p)
}

// fail renders an error from a domain call with the status the shell's one table gives it: its
// own page for not-found, a "try again" page when the database is down, the generic one for
// our faults (logged; the person sees a plain message), and the error's own words otherwise.
func (s *Site) fail(c *gin.Context, err error) {
	st := stateOf(c)
	status, _, _ := httpserver.Classify(err)
	switch {
	case status == http.StatusNotFound || status == http.StatusForbidden:
		s.notFound(c)
		return
	case status >= 500:
		httpserver.Logger(c).Error("page failed", "route", c.FullPath(), "err", err.Error())
		s.ErrorPage(c, status)
		return
	}
	p := s.page(c, st.L.T("error_title"))
	p.D = map[string]any{"Message": s.errText(st.L, err)}
	s.render(c, status, "error", p)
}

// errText says what went wrong in the reader's language: a catalogue message for the error's code
// when there is one ("err_<code>"), else the domain's own English message.
func (s *Site) errText(l *Loc, err error) string {
	fe, ok := fault.As(err)
	if !ok {
		return l.T("error_internal")
	}
	if l.Has("err_" + fe.Code) {
		return l.T("err_" + fe.Code)
	}
	if len(fe.Fields) > 0 {
		keys := make([]string, 0, len(fe.Fields))
		for k := range fe.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, translateFieldMsg(l, fe.Fields[k]))
		}
		return strings.Join(parts, " ")
	}
	return fe.Message
}

// fieldErrors turns a validation error into per-field messages for the form, and a general
// message when the error is not about fields. Known field messages are translated.
func (s *Site) fieldErrors(l *Loc, p *Page, err error) {
	fe, ok := fault.As(err)
	if !ok || fault.KindOf(err) == fault.Internal {
		s.Logger.Error("form failed", "err", errString(err))
		p.Errors["_"] = l.T("error_internal")
		return
	}
	if len(fe.Fields) == 0 {
		p.Errors["_"] = s.errText(l, err)
		return
	}
	for f, msg := range fe.Fields {
		p.Errors[f] = translateFieldMsg(l, msg)
	}
	p.Errors["_"] = l.T("error_fix_fields")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fieldMsgs match the validation messages the domains use most (fault.Check's wording), so they
// can be shown in the reader's language; anything else is shown as the domain wrote it.
var fieldMsgs = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^is required`), "ferr_required"},
	{regexp.MustCompile(`^must be an email address$`), "ferr_email"},
	{regexp.MustCompile(`^must be at least (\d+) characters$`), "ferr_min_chars"},
	{regexp.MustCompile(`^must be at most (\d+) characters$`), "ferr_max_chars"},
	{regexp.MustCompile(`^must be greater than (\S+)$`), "ferr_gt"},
	{regexp.MustCompile(`^must be at least (\S+)$`), "ferr_min"},
	{regexp.MustCompile(`^must be at most (\S+)$`), "ferr_max"},
	{regexp.MustCompile(`^must be a three-letter currency code`), "ferr_currency"},
	{regexp.MustCompile(`^must be a two-letter country code`), "ferr_country"},
}

func translateFieldMsg(l *Loc, msg string) string {
	for _, m := range fieldMsgs {
		if sub := m.re.FindStringSubmatch(msg); sub != nil {
			if len(sub) > 1 {
				return l.T(m.key, "N", sub[1])
			}
			return l.T(m.key)
		}
	}
	return msg
}

// asset is an embedded static file, with its gzipped form and content hash.
type asset struct {
	body, gz    []byte
	contentType string
	hash        string
}

func loadStatic() (map[string]*asset, error) {
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, err
	}
	out := map[string]*asset{}
	for _, e := range entries {
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		a := &asset{body: b, hash: hex.EncodeToString(sum[:6]), contentType: mime.TypeByExtension(path.Ext(e.Name()))}
		if a.contentType == "" {
			a.contentType = "application/octet-stream"
		}
		if strings.HasSuffix(e.Name(), ".css") || strings.HasSuffix(e.Name(), ".js") || strings.HasSuffix(e.Name(), ".svg") {
			var z bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
			_, _ = zw.Write(b)
			_ = zw.Close()
			a.gz = z.Bytes()
		}
		out[e.Name()] = a
	}
	return out, nil
}

// assetURL is a static file's address with its content hash, so it can be cached for a year.
func (s *Site) assetURL(name string) string {
	if a, ok := s.static[name]; ok {
		return "/static/" + name + "?v=" + a.hash
	}
	return "/static/" + name
}

func (s *Site) serveStatic(c *gin.Context) {
	a, ok := s.static[c.Param("name")]
	if !ok {
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("not found"))
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Header("ETag", `"`+a.hash+`"`)
	c.Header("Vary", "Accept-Encoding")
	if c.GetHeader("If-None-Match") == `"`+a.hash+`"` {
		c.Status(http.StatusNotModified)
		return
	}
	if a.gz != nil && strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Header("Content-Encoding", "gzip")
		c.Data(http.StatusOK, a.contentType, a.gz)
		return
	}
	c.Data(http.StatusOK, a.contentType, a.body)
}

func (s *Site) favicon(c *gin.Context) {
	c.Redirect(http.StatusMovedPermanently, s.assetURL("icon.svg"))
}

func (s *Site) robots(c *gin.Context) {
	body := "User-agent: *\nDisallow: /maker\nDisallow: /coordinator\nDisallow: /admin\nDisallow: /orders/\nDisallow: /invite/\nDisallow: /cart\nDisallow: /account\n"
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(body))
}

// safeNext keeps a post-login redirect on this site: a path with one leading slash, no
// backslash anywhere (browsers read "\" as "/", so "/\evil.test" leaves the site), no scheme or
// host, no control characters, cleaned of "." and ".." (the redirect cleans it too, and
// "/./\evil.test" would become "/\evil.test"), with its query kept and any fragment dropped.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.ContainsRune(u.Path, '\\') {
		return ""
	}
	clean := path.Clean(u.Path)
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return ""
	}
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
}

// errBadForm answers a form that lacks what every honest submission of it carries.
var errBadForm = fault.New(fault.Invalid, "bad_form", "the form is incomplete: please go back and try again")
