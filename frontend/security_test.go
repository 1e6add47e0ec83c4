package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/audit"
)

// mustStaffWeb signs a coordinator of a new program in through the login page.
func mustStaffWeb(t *testing.T, e *apptest.Env, program string) (*web, string) {
	t.Helper()
	pid := e.Program(program)
	coordID, _ := e.Coordinator(pid)
	u, err := e.App.Accounts.User(context.Background(), coordID)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, e)
	w.login(u.Login, apptest.Password)
	return w, pid
}

// TestInviteRevokePage: the coordinator's maker page cancels a pending link next to the
// re-invite; a new link leaves the old one dead.
func TestInviteRevokePage(t *testing.T) {
	e := apptest.New(t)
	coord, pid := mustStaffWeb(t, e, "Revoke Workshop")
	p := coord.post("/coordinator/programs/"+pid+"/makers", url.Values{
		"displayName": {"Lata"}, "legalName": {"Private Lata"}, "consentPublic": {"1"}})
	must(t, p, http.StatusCreated, "Lata")
	first := inviteLink(t, p)
	makerPath := regexpFind(t, p.Body, `href="(/coordinator/makers/[^"/]+)"`)

	p = coord.post(makerPath+"/invite", nil)
	must(t, p, http.StatusCreated, "Cancel the invitation link")
	second := inviteLink(t, p)
	must(t, newWeb(t, e).get(first), http.StatusNotFound)
	must(t, newWeb(t, e).get(second), http.StatusOK)

	p = coord.post(makerPath+"/invite/revoke", nil)
	must(t, p, http.StatusOK, "The invitation link is cancelled")
	if coord.url != makerPath {
		t.Fatalf("after revoking landed on %s, want %s", coord.url, makerPath)
	}
	must(t, newWeb(t, e).get(second), http.StatusNotFound)

	// Another program's coordinator cannot cancel it.
	other, _ := mustStaffWeb(t, e, "Other Workshop")
	must(t, other.post(makerPath+"/invite/revoke", nil), http.StatusNotFound)
}

// TestInvitePasswordRules: the invitation page says, next to the field and in the reader's
// language, how long a password the role needs and that a common one is refused.
func TestInvitePasswordRules(t *testing.T) {
	e := apptest.New(t)
	pid := e.Program("Password Workshop")
	r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+pid+"/coordinators", e.AdminToken,
		map[string]string{"name": "Nila", "email": "nila@test.example"})
	link := "/invite/" + r.Str("inviteToken")
	w := newWeb(t, e)
	must(t, w.get(link+"?lang=hi"), http.StatusOK, "कम से कम 12 अक्षर")
	p := w.post(link, url.Values{"password": {"eleven-char"}, "password2": {"eleven-char"}})
	must(t, p, http.StatusBadRequest, `id="e-password"`, "पासवर्ड में कम से कम 12 अक्षर")
	p = w.post(link, url.Values{"password": {"password@123"}, "password2": {"password@123"}})
	must(t, p, http.StatusBadRequest, `id="e-password"`, "बहुत लोग इस्तेमाल करते हैं")

	_, coordTok := e.Coordinator(pid)
	mr := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+pid+"/makers", coordTok, map[string]any{
		"displayName": "Puja", "legalName": "Puja Legal", "consent": map[string]bool{}})
	mlink := "/invite/" + mr.Str("inviteToken")
	m := newWeb(t, e)
	must(t, m.get(mlink+"?lang=bn"), http.StatusOK, "অন্তত 10টি")
	p = m.post(mlink, url.Values{"login": {"puja.k"}, "password": {"qwertyuiop"}, "password2": {"qwertyuiop"}})
	must(t, p, http.StatusBadRequest, `id="e-password"`, "অনেকে ব্যবহার করেন")
	p = m.post(mlink, url.Values{"login": {"puja.k"}, "password": {"nine-char"}, "password2": {"nine-char"}})
	must(t, p, http.StatusBadRequest, "অন্তত 10টি")
}

// TestLoginAttackNotice: many wrong passwords on a maker's login from several places leave her
// account working, put an entry in the program's audit trail and a notice on her coordinator's
// page; the sign-in page answers the guessing client in her language without locking her out.
func TestLoginAttackNotice(t *testing.T) {
	e := apptest.New(t)
	coord, pid := mustStaffWeb(t, e, "Attack Workshop")
	_, coordTok := e.Coordinator(pid)
	makerID, _ := e.Maker(pid, coordTok)
	u, err := e.App.Accounts.User(context.Background(), makerID)
	if err != nil {
		t.Fatal(err)
	}
	must(t, coord.get("/coordinator/makers/"+makerID), http.StatusOK)
	if p := coord.get("/coordinator/makers/" + makerID); strings.Contains(p.Body, `id="login-attack"`) {
		t.Fatal("notice shown before any attack")
	}
	for i := range 20 {
		ip := "198.51.100." + strconv.Itoa(i/5)
		_, _, _ = e.App.Accounts.Login(context.Background(), u.Login, "wrong-password", accounts.SessionMeta{IP: ip})
	}
	must(t, coord.get("/coordinator/makers/"+makerID), http.StatusOK, `id="login-attack"`, "tried many wrong passwords")
	entries, err := e.App.Audit.List(context.Background(), audit.Query{ProgramIDs: []string{pid}})
	if err != nil {
		t.Fatal(err)
	}
	if !hasAction(entries, "account.login_attack") {
		t.Fatal("the attack is not in the program's audit trail")
	}

	// The sign-in page: five wrong passwords from this browser, then it is told to wait, in Hindi.
	w := newWeb(t, e)
	w.get("/login?lang=hi")
	for range 5 {
		must(t, w.post("/login", url.Values{"login": {u.Login}, "password": {"wrong-password"}}), http.StatusUnauthorized)
	}
	must(t, w.post("/login", url.Values{"login": {u.Login}, "password": {apptest.Password}}), http.StatusTooManyRequests, "15 मिनट")
	// Her own phone (another address) still signs in.
	if _, _, err := e.App.Accounts.Login(context.Background(), u.Login, apptest.Password, accounts.SessionMeta{IP: "203.0.113.5"}); err != nil {
		t.Fatalf("the maker is locked out: %v", err)
	}
}
