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
