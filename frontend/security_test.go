package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
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
