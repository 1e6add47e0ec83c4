package frontend_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
)

// web is a cookie-keeping client that reads pages as a browser without JavaScript would.
type web struct {
	t   testing.TB
	e   *apptest.Env
	c   *http.Client
	url string // the last page's address
}

func newWeb(t testing.TB, e *apptest.Env) *web {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &web{t: t, e: e, c: &http.Client{Jar: jar}}
}

// page is a fetched page.
type page struct {
	Status int
	Body   string
	URL    string
	Header http.Header
}

func (w *web) do(req *http.Request) page {
	w.t.Helper()
	res, err := w.c.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	w.url = res.Request.URL.Path
	return page{Status: res.StatusCode, Body: string(b), URL: res.Request.URL.RequestURI(), Header: res.Header}
}

func (w *web) get(path string, hdr ...string) page {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.e.Server.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return w.do(req)
}

// post submits a form as a same-origin browser would.
func (w *web) post(path string, form url.Values) page {
	w.t.Helper()
	req, _ := http.NewRequest("POST", w.e.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.e.Server.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return w.do(req)
}

func (w *web) login(login, password string) page {
	w.t.Helper()
	p := w.post("/login", url.Values{"login": {login}, "password": {password}})
	if p.Status != http.StatusOK {
		w.t.Fatalf("login %s: status %d\n%s", login, p.Status, p.Body)
	}
	return p
}

func must(t testing.TB, p page, status int, contains ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", p.URL, p.Status, status, p.Body)
	}
	for _, s := range contains {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: page lacks %q\n%s", p.URL, s, p.Body)
		}
	}
}

var inviteLinkRE = regexp.MustCompile(`id="invite-link">([^<]+)<`)

// inviteLink returns the path of the invitation link shown on a page.
func inviteLink(t testing.TB, p page) string {
	t.Helper()
	m := inviteLinkRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no invitation link on %s\n%s", p.URL, p.Body)
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func regexpFind(t testing.TB, body, expr string) string {
	t.Helper()
	m := regexp.MustCompile(expr).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no match for %s", expr)
	}
	return m[1]
}
