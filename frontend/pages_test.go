package frontend_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
)

// shop is an apptest marketplace with one program, its coordinator, two makers and a published
// product each.
type shop struct {
	e            *apptest.Env
	programID    string
	coord, maker accounts.Actor
	products     []catalog.Product
}

func newShop(t *testing.T) *shop {
	t.Helper()
	e := apptest.New(t)
	pid := e.Program("Kolkata Beads")
	coordID, coordTok := e.Coordinator(pid)
	s := &shop{e: e, programID: pid, coord: e.Actor(coordID)}
	ctx := context.Background()
	prog, err := e.App.Programs.Registry().Program(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"Brass jhumka earrings", "Terracotta bead necklace"} {
		makerID, _ := e.Maker(pid, coordTok)
		m := e.Actor(makerID)
		if i == 0 {
			s.maker = m
		}
		p, err := e.App.Catalog.Create(ctx, m, catalog.CreateInput{Title: title, Description: "Made by hand.", Category: "jewellery",
			Price: catalog.LowestFairPrice(5000, 2, prog, e.App.Catalog.Fees) + 5000, Currency: "INR", Stock: 5, HoursOfWork: 2, MaterialsCost: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Catalog.AddImage(ctx, m, p.ID, bytes.NewReader(testJPEG(t, 800, 600))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Catalog.Submit(ctx, m, p.ID); err != nil {
			t.Fatal(err)
		}
		if p, err = e.App.Catalog.Approve(ctx, s.coord, p.ID, catalog.ReviewInput{}); err != nil {
			t.Fatal(err)
		}
		s.products = append(s.products, p)
	}
	return s
}

// gzipped fetches a path as a browser would and returns the bytes on the wire.
func gzipped(t *testing.T, e *apptest.Env, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.Server.URL+path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	body := raw
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(zr)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, res.StatusCode)
	}
	return len(raw), string(body)
}

var assetRE = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// TestStorefrontWeight: home, search and product pages stay under 60 KB over the wire before
// images (HTML, CSS and JS, compressed), and load nothing from another site.
func TestStorefrontWeight(t *testing.T) {
	s := newShop(t)
	for _, path := range []string{"/", "/products?q=earrings", "/products/" + s.products[0].ID} {
		n, html := gzipped(t, s.e, path)
		total := n
		for _, m := range assetRE.FindAllStringSubmatch(html, -1) {
			an, _ := gzipped(t, s.e, strings.ReplaceAll(m[1], "&amp;", "&"))
			total += an
		}
		t.Logf("%s: %d bytes HTML, %d bytes with CSS and JS (compressed)", path, n, total)
		if total > 60*1024 {
			t.Errorf("%s weighs %d bytes before images, over the 60 KB budget", path, total)
		}
		// Anything fetched (scripts, styles, images, icons) is ours; the canonical link is only an address.
		fetched := regexp.MustCompile(`<link rel="canonical"[^>]*>|<a [^>]*>`).ReplaceAllString(html, "")
		if regexp.MustCompile(`(?i)(src|href|srcset)="(https?:)?//`).MatchString(fetched) {
			t.Errorf("%s loads something from another site", path)
		}
		if regexp.MustCompile(`(?i)<script>|<script [^>]*>[^<]|\sstyle="|\son[a-z]+="`).MatchString(html) {
			t.Errorf("%s has inline script, style or event handler (the CSP forbids them)", path)
		}
		// Images are lazy below the fold and always carry their size.
		for _, img := range regexp.MustCompile(`<img [^>]+>`).FindAllString(html, -1) {
			if !strings.Contains(img, `width="`) || !strings.Contains(img, `height="`) || !strings.Contains(img, `alt="`) {
				t.Errorf("%s: image without width, height or alt: %s", path, img)
			}
		}
	}
}

// TestPublicPagesKeepMakersPrivate: no legal name or phone reaches any public page, and the pages
// carry the security headers.
func TestPublicPagesKeepMakersPrivate(t *testing.T) {
	s := newShop(t)
	w := newWeb(t, s.e)
	for _, path := range []string{"/", "/products", "/products/" + s.products[0].ID, "/makers/" + s.e.PublicID(s.maker.MakerID), "/impact"} {
		p := w.get(path)
		must(t, p, http.StatusOK)
		if strings.Contains(p.Body, "Legal Name") || strings.Contains(p.Body, "+91") {
			t.Errorf("%s shows private maker data", path)
		}
		if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	p := w.get("/products/" + s.products[0].ID)
	must(t, p, http.StatusOK, "Brass jhumka earrings", "Maker", "Materials", "Workshop", "Payment fees", `class="maker"`)
	// A product that does not exist gets the HTML 404 page.
	p = w.get("/products/nope")
	must(t, p, http.StatusNotFound, "Page not found")
	if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("404 content type %q", p.Header.Get("Content-Type"))
	}
}

// TestCartCookie: the cart lives in a signed cookie; a forged cookie is an empty cart.
func TestCartCookie(t *testing.T) {
	s := newShop(t)
	w := newWeb(t, s.e)
	for _, p := range s.products {
		w.post("/cart", url.Values{"product": {p.ID}, "qty": {"2"}, "mode": {"add"}})
	}
	p := w.get("/cart")
	must(t, p, http.StatusOK, "Brass jhumka earrings", "Terracotta bead necklace")
	u, _ := url.Parse(s.e.Server.URL)
	var ck *http.Cookie
	for _, c := range w.c.Jar.Cookies(u) {
		if c.Name == "cart" {
			ck = c
		}
	}
	if ck == nil {
		t.Fatal("no cart cookie")
	}
	forged := newWeb(t, s.e)
	payload, _, _ := strings.Cut(ck.Value, ".")
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: "cart", Value: payload + ".forged", Path: "/"}})
	p = forged.get("/cart")
	must(t, p, http.StatusOK, "Your cart is empty")
	// Removing a line.
	w.post("/cart", url.Values{"product": {s.products[0].ID}, "remove": {"1"}, "mode": {"set"}})
	p = w.get("/cart")
	if strings.Contains(p.Body, "Brass jhumka earrings") {
		t.Fatal("removed line still in the cart")
	}
}

// TestLanguageChoice: ?lang wins and is remembered; then the account's choice; then
// Accept-Language; English otherwise.
func TestLanguageChoice(t *testing.T) {
	e := apptest.New(t)
	tests := []struct {
		name, path, accept, want string
	}{
		{"default", "/login", "", `<html lang="en">`},
		{"accept-language", "/login", "bn-IN,bn;q=0.9", `<html lang="bn">`},
		{"query wins", "/login?lang=hi", "bn", `<html lang="hi">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWeb(t, e)
			p := w.get(tt.path, "Accept-Language", tt.accept)
			must(t, p, http.StatusOK, tt.want)
		})
	}
	w := newWeb(t, e)
	w.get("/login?lang=bn")
	must(t, w.get("/login"), http.StatusOK, `<html lang="bn">`, "লগ ইন")
	// A signed-in person's choice on the account page is kept on the account and used on a new
	// device.
	w.login("admin@test.example", apptest.Password)
	w.post("/account/language", url.Values{"lang": {"hi"}})
	fresh := newWeb(t, e)
	fresh.login("admin@test.example", apptest.Password)
	must(t, fresh.get("/account"), http.StatusOK, `<html lang="hi">`, "मेरा खाता")
}

// TestLanguageLinkDoesNotChangeTheAccount: ?lang= while signed in changes this device's language
// only; a link anyone can send must not rewrite the account.
func TestLanguageLinkDoesNotChangeTheAccount(t *testing.T) {
	e := apptest.New(t)
	w := newWeb(t, e)
	w.login("admin@test.example", apptest.Password)
	must(t, w.get("/account?lang=bn"), http.StatusOK, `<html lang="bn">`)
	must(t, w.get("/account"), http.StatusOK, `<html lang="bn">`) // the cookie remembers it here
	u, err := e.App.Accounts.UserByLogin(context.Background(), "admin@test.example")
	if err != nil {
		t.Fatal(err)
	}
	if u.Lang == "bn" {
		t.Fatal("a ?lang= link changed the account's saved language")
	}
	fresh := newWeb(t, e)
	fresh.login("admin@test.example", apptest.Password)
	must(t, fresh.get("/account"), http.StatusOK, `<html lang="en">`)
}

// TestLoginAndLogout: the form sets the API's session cookie (HttpOnly, SameSite=Lax), a wrong
// password says so, and logging out revokes the session.
func TestLoginAndLogout(t *testing.T) {
	e := apptest.New(t)
	w := newWeb(t, e)
	p := w.post("/login", url.Values{"login": {"admin@test.example"}, "password": {"wrong-password"}})
	must(t, p, http.StatusUnauthorized, "not right")
	req, _ := http.NewRequest("POST", e.Server.URL+"/login", strings.NewReader(url.Values{"login": {"admin@test.example"}, "password": {apptest.Password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie %+v", session)
	}
	// The same cookie works for the JSON API.
	r := e.Send(withCookie(t, e, "GET", "/api/v1/me", session))
	if r.Status != http.StatusOK {
		t.Fatalf("API with the page's cookie: %d", r.Status)
	}
	w.login("admin@test.example", apptest.Password)
	p = w.post("/logout", nil)
	must(t, p, http.StatusOK, "You are logged out")
	must(t, w.get("/admin"), http.StatusOK, `action="/login"`)
	// A cross-site form post is refused before any handler runs.
	req, _ = http.NewRequest("POST", e.Server.URL+"/login", strings.NewReader("login=a&password=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", res.StatusCode)
	}
}

func withCookie(t *testing.T, e *apptest.Env, method, path string, c *http.Cookie) *http.Request {
	req, err := http.NewRequest(method, e.Server.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(c)
	return req
}
