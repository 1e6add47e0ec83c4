package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/audit"
)

// A coordinator sets up two-step sign-in on her account page and signs in with a code, all
// through plain forms.
func TestTwoFactorPages(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	prog := e.Program("Two-step Workshop")
	_, tok := e.Coordinator(prog)
	login := e.Must(http.StatusOK, "GET", "/api/v1/me", tok, nil).Str("login")

	w := newWeb(t, e)
	w.login(login, apptest.Password)
	must(t, w.get("/account"), http.StatusOK, "Two-step sign-in", "Two-step sign-in is off.", `href="/account/two-factor"`)
	p := w.post("/account/two-factor/start", url.Values{})
	must(t, p, http.StatusOK, `src="data:image/png;base64,`, `id="tf-secret"`, `autocomplete="one-time-code"`)
	if w.url != "/account/two-factor" {
		t.Fatalf("set-up shown at %s", w.url)
	}
	secret := strings.ReplaceAll(regexpFind(t, p.Body, `id="tf-secret">([A-Z2-7 ]+)<`), " ", "")

	// A wrong first code: the same key again, the message next to the field.
	p = w.post("/account/two-factor/confirm", url.Values{"code": {"000000"}})
	must(t, p, http.StatusBadRequest, `id="e-code"`, "This code is not right", `aria-invalid="true"`)
	if !strings.Contains(strings.ReplaceAll(p.Body, " ", ""), secret) {
		t.Fatal("a wrong first code changed the key")
	}
	// Pasted with spaces around it, as it is copied from an app.
	p = w.post("/account/two-factor/confirm", url.Values{"code": {" " + apptest.TOTP(t, secret, 0) + " "}})
	must(t, p, http.StatusOK, "Your recovery codes", `id="recovery-codes"`)
	if n := len(regexp.MustCompile(`<li><code>[a-z2-9-]{19}</code></li>`).FindAllString(p.Body, -1)); n != 10 {
		t.Fatalf("%d recovery codes shown\n%s", n, p.Body)
	}
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("recovery codes page Cache-Control %q", cc)
	}
	codes := regexp.MustCompile(`<li><code>([a-z2-9-]{19})</code></li>`).FindAllStringSubmatch(p.Body, -1)
	must(t, w.get("/account"), http.StatusOK, "Two-step sign-in is on. You have 10 recovery codes left.")
	w.post("/logout", url.Values{})

	// The password alone opens no session: the code step asks for the code.
	w = newWeb(t, e)
	p = w.post("/login", url.Values{"login": {login}, "password": {apptest.Password}, "next": {"/coordinator"}})
	must(t, p, http.StatusOK, "Type your code", `action="/login/code"`, `name="next" value="/coordinator"`)
	if strings.Contains(p.Body, apptest.Password) {
		t.Fatal("the password is carried into the code step")
	}
	if r := w.get("/coordinator"); r.URL != "/login?next=%2Fcoordinator" {
		t.Fatalf("signed in before the code: landed on %s", r.URL)
	}
	p = w.post("/login/code", url.Values{"code": {"123456"}, "login": {login}, "next": {"/coordinator"}})
	must(t, p, http.StatusUnauthorized, `id="e-code"`, "This code is not right", `name="next" value="/coordinator"`)
	p = w.post("/login/code", url.Values{"code": {apptest.TOTP(t, secret, 30*time.Second)}, "login": {login}, "next": {"/coordinator"}})
	must(t, p, http.StatusOK)
	if w.url != "/coordinator" && !strings.HasPrefix(w.url, "/coordinator/programs/") {
		t.Fatalf("after the code landed on %s", w.url)
	}
	// The step was used up: its cookie is gone, and going back asks for the password.
	if r := w.get("/login/code"); r.URL == "/login/code" {
		t.Fatalf("code step still open after signing in")
	}

	// An expired or used step sends her back to the password, her login kept, in her language.
	w2 := newWeb(t, e)
	w2.get("/?lang=hi")
	must(t, w2.post("/login", url.Values{"login": {login}, "password": {apptest.Password}}), http.StatusOK, "अपना कोड लिखें")
	if _, err := e.DB.Write("signin_pending").DeleteMany(context.Background(), bson.M{}); err != nil {
		t.Fatal(err)
	}
	p = w2.post("/login/code", url.Values{"code": {codes[0][1]}, "login": {login}})
	must(t, p, http.StatusUnauthorized, "इस चरण में बहुत देर हो गई", `value="`+login+`"`, `name="password"`)

	// A recovery code signs in, once.
	w3 := newWeb(t, e)
	w3.post("/login", url.Values{"login": {login}, "password": {apptest.Password}})
	must(t, w3.post("/login/code", url.Values{"code": {strings.ToUpper(codes[0][1])}}), http.StatusOK)
	must(t, w3.get("/account"), http.StatusOK, "You have 9 recovery codes left.")

	// Turning off needs a code: a wrong one is refused next to the field.
	p = w3.post("/account/two-factor/disable", url.Values{"code": {"000000"}})
	must(t, p, http.StatusBadRequest, `id="e-code"`, "This code is not right")
	p = w3.post("/account/two-factor/disable", url.Values{"code": {codes[1][1]}})
	must(t, p, http.StatusOK, "Two-step sign-in is off.")
}

// When the admin requires two-step sign-in, staff without it are sent to the set-up and can open
// nothing else until it is on.
func TestTwoFactorRequiredPages(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	prog := e.Program("Required Workshop")
	_, tok := e.Coordinator(prog)
	login := e.Must(http.StatusOK, "GET", "/api/v1/me", tok, nil).Str("login")

	admin := newWeb(t, e)
	admin.login("admin@test.example", apptest.Password)
	must(t, admin.get("/admin"), http.StatusOK, `name="staffTwoFactor"`, "Two-step sign-in for staff")
	p := admin.post("/admin/security", url.Values{"staffTwoFactor": {"on"}})
	// The admin has no second factor either: the set-up is the only page now.
	must(t, p, http.StatusOK, "Set up two-step sign-in", "The admin asks all staff")
	if admin.url != "/account/two-factor" {
		t.Fatalf("admin landed on %s", admin.url)
	}
	if r := admin.get("/admin"); r.URL != "/account/two-factor" {
		t.Fatalf("admin page opened without two-step sign-in: %s", r.URL)
	}

	coord := newWeb(t, e)
	coord.login(login, apptest.Password)
	if coord.url != "/account/two-factor" {
		t.Fatalf("coordinator landed on %s after sign-in", coord.url)
	}
	for _, path := range []string{"/coordinator", "/coordinator/programs/" + prog, "/account"} {
		if r := coord.get(path); r.URL != "/account/two-factor" {
			t.Errorf("%s opened without two-step sign-in: %s", path, r.URL)
		}
	}
	p = coord.post("/account/two-factor/start", url.Values{})
	secret := strings.ReplaceAll(regexpFind(t, p.Body, `id="tf-secret">([A-Z2-7 ]+)<`), " ", "")
	must(t, coord.post("/account/two-factor/confirm", url.Values{"code": {apptest.TOTP(t, secret, 0)}}), http.StatusOK, "Your recovery codes")
	must(t, coord.get("/coordinator/programs/"+prog), http.StatusOK)
	if coord.url != "/coordinator/programs/"+prog {
		t.Fatalf("after set-up landed on %s", coord.url)
	}
}

// A coordinator who lost her phone and her recovery codes is let back in by the admin, from the
// program's page: her two-step sign-in is reset (recorded), and only the admin can do it.
func TestAdminResetsTwoFactor(t *testing.T) {
	e := apptest.New(t)
	pid := e.Program("Kolkata Jewellery Workshop")
	coordID, coordTok := e.Coordinator(pid)
	e.EnableTwoFactor(coordTok)
	u, err := e.App.Accounts.User(t.Context(), coordID)
	if err != nil || !u.TwoFactorOn() {
		t.Fatalf("two-step sign-in not on: %v", err)
	}

	// Another coordinator cannot.
	_, otherTok := e.Coordinator(pid)
	other := newWeb(t, e)
	otherUser, _ := e.App.Accounts.User(t.Context(), mustUserID(t, e, otherTok))
	other.login(otherUser.Login, apptest.Password)
	must(t, other.post("/admin/programs/"+pid+"/two-factor/reset", url.Values{"user": {coordID}}), http.StatusNotFound)

	admin := newWeb(t, e)
	admin.login("admin@test.example", apptest.Password)
	p := admin.get("/admin/programs/" + pid)
	must(t, p, http.StatusOK, "Reset two-step sign-in", `name="user" value="`+coordID+`"`)
	p = admin.post("/admin/programs/"+pid+"/two-factor/reset", url.Values{"user": {coordID}})
	must(t, p, http.StatusOK, "Two-step sign-in is reset")
	if u, _ := e.App.Accounts.User(t.Context(), coordID); u.TwoFactorOn() {
		t.Fatal("two-step sign-in still on after the reset")
	}
	trail, err := e.App.Audit.List(t.Context(), audit.Query{RecordID: coordID, Limit: 50})
	found := false
	for _, en := range trail {
		found = found || en.Action == "account.two_factor_reset"
	}
	if err != nil || !found {
		t.Fatalf("the reset is not in the audit trail: %v %+v", err, trail)
	}
	// She signs in with her password alone now.
	e.Login(u.Login, apptest.Password)
	// A second reset says there is nothing to reset, on the page.
	must(t, admin.post("/admin/programs/"+pid+"/two-factor/reset", url.Values{"user": {coordID}}), http.StatusConflict)
}

func mustUserID(t *testing.T, e *apptest.Env, token string) string {
	t.Helper()
	return e.Must(http.StatusOK, "GET", "/api/v1/me", token, nil).Str("id")
}
