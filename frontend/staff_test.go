package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/audit"
)

// TestStaffPages walks the admin, coordinator and invitation pages with plain form posts (no
// JavaScript): an admin creates a program and invites a coordinator, who sets a password through
// the link, registers a maker and hands over the invitation; the maker chooses a login.
func TestStaffPages(t *testing.T) {
	e := apptest.New(t)
	admin := newWeb(t, e)
	p := admin.login("admin@test.example", apptest.Password)
	if admin.url != "/admin" {
		t.Fatalf("admin landed on %s", admin.url)
	}

	// A bad program form is shown again with the input and the messages next to the fields.
	p = admin.post("/admin/programs", url.Values{"name": {"Kolkata Beads"}, "city": {""}, "country": {"IN"}, "currency": {"INR"}, "livingWageHourly": {"90"}})
	must(t, p, http.StatusBadRequest, `value="Kolkata Beads"`, `id="e-city"`, `aria-invalid="true"`)

	p = admin.post("/admin/programs", url.Values{"name": {"Kolkata Beads"}, "city": {"Kolkata"}, "country": {"IN"}, "currency": {"INR"}, "livingWageHourly": {"90"}})
	must(t, p, http.StatusOK, "Kolkata Beads", "₹90.00")
	programPath := admin.url
	programID := strings.TrimPrefix(programPath, "/admin/programs/")

	p = admin.post(programPath+"/coordinators", url.Values{"name": {"Asha"}, "email": {"asha@test.example"}})
	must(t, p, http.StatusCreated, "asha@test.example")
	coordInvite := inviteLink(t, p)

	coord := newWeb(t, e)
	p = coord.get(coordInvite)
	must(t, p, http.StatusOK, "asha@test.example")
	p = coord.post(coordInvite, url.Values{"password": {"short"}, "password2": {"short"}})
	must(t, p, http.StatusBadRequest, `id="e-password"`)
	p = coord.post(coordInvite, url.Values{"password": {"coordinator-pass"}, "password2": {"coordinator-pass"}})
	must(t, p, http.StatusOK, "Makers")
	if coord.url != "/coordinator/programs/"+programID {
		t.Fatalf("coordinator landed on %s", coord.url)
	}
	// The link works once.
	must(t, newWeb(t, e).get(coordInvite), http.StatusNotFound)
	// The admin sees the program's coordinators with their state.
	must(t, admin.get(programPath), http.StatusOK, "Asha · asha@test.example", "Active")

	// Register a maker; the invitation is shown with its QR code, inline (no token in any URL fetched).
	p = coord.post("/coordinator/programs/"+programID+"/makers", url.Values{
		"displayName": {"Tara"}, "legalName": {"Private Person"}, "phone": {"+91 90000 00001"},
		"consentPublic": {"1"}, "consentPhotos": {"1"}})
	must(t, p, http.StatusCreated, "Tara", `src="data:image/png;base64,`)
	makerInvite := inviteLink(t, p)
	// The language links of a form's answer lead to a page a link can open, never the POST-only URL.
	if strings.Contains(p.Body, `href="/coordinator/programs/`+programID+`/makers?lang=`) {
		t.Fatal("a language link repeats the form's POST address")
	}
	for _, lang := range []string{"hi", "bn"} {
		href := regexpFind(t, p.Body, `href="([^"]*lang=`+lang+`[^"]*)"`)
		must(t, coord.get(strings.ReplaceAll(href, "&amp;", "&")), http.StatusOK)
	}
	coord.get("/coordinator?lang=en")

	// The legal name is not on the dashboard; it shows only on request, and that read is audited.
	p = coord.get("/coordinator/programs/" + programID)
	must(t, p, http.StatusOK, "Tara", "Has not set up the account")
	if strings.Contains(p.Body, "Private Person") {
		t.Fatal("dashboard shows a legal name")
	}
	makerPath := regexpFind(t, p.Body, `href="(/coordinator/makers/[^"]+)"`)
	p = coord.get(makerPath)
	must(t, p, http.StatusOK, "Show private details")
	if strings.Contains(p.Body, "Private Person") {
		t.Fatal("maker page shows the legal name before it is asked for")
	}
	p = coord.post(makerPath+"/private", nil)
	must(t, p, http.StatusOK, "Private Person", "90000 00001")
	entries, err := e.App.Audit.List(context.Background(), audit.Query{ProgramIDs: []string{programID}})
	if err != nil {
		t.Fatal(err)
	}
	if !hasAction(entries, "maker.read_private") {
		t.Fatal("private read not audited")
	}

	// Another coordinator's program is invisible: 404, not 403.
	other := e.Program("Other Program")
	must(t, coord.get("/coordinator/programs/"+other), http.StatusNotFound)
	// A coordinator is not an admin.
	must(t, coord.get("/admin"), http.StatusNotFound)

	// The maker chooses a login in their language.
	maker := newWeb(t, e)
	p = maker.get(makerInvite + "?lang=hi")
	must(t, p, http.StatusOK, `<html lang="hi">`)
	p = maker.post(makerInvite, url.Values{"login": {"tara"}, "password": {"maker-password"}, "password2": {"maker-password"}})
	if maker.url != "/maker" {
		t.Fatalf("maker landed on %s (%d)", maker.url, p.Status)
	}
	u, err := e.App.Accounts.UserByLogin(context.Background(), "tara")
	if err != nil || u.Lang != "hi" {
		t.Fatalf("maker account %+v, %v: want language hi", u, err)
	}
}

func hasAction(es []audit.Entry, action string) bool {
	for _, e := range es {
		if e.Action == action {
			return true
		}
	}
	return false
}
