package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/audit"
)

func TestTwoFactorLogin(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	prog := e.Program("Two-step Program")
	_, coord := e.Coordinator(prog)
	login := e.Must(http.StatusOK, "GET", "/api/v1/me", coord, nil).Str("login")

	st := e.Must(http.StatusOK, "GET", "/api/v1/account/two-factor", coord, nil)
	if st.JSON["enabled"] != false || st.JSON["required"] != false {
		t.Fatalf("state before set-up: %s", st.Body)
	}
	// Set up, but not confirmed: the password alone still signs in.
	setup := e.Must(http.StatusOK, "POST", "/api/v1/account/two-factor/setup", coord, nil)
	if setup.Header.Get("Cache-Control") != "no-store" || setup.Str("secret") == "" {
		t.Fatalf("set-up answer: %v %s", setup.Header, setup.Body)
	}
	e.Login(login, apptest.Password)
	if r := e.Do("POST", "/api/v1/account/two-factor/confirm", coord, map[string]string{"code": "000000"}); r.Status != http.StatusBadRequest || r.ErrCode() != "invalid_fields" {
		t.Fatalf("wrong first code: %d %s", r.Status, r.Body)
	}

	secret, codes := e.EnableTwoFactor(coord)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	if r := e.Must(http.StatusOK, "GET", "/api/v1/account/two-factor", coord, nil); r.JSON["enabled"] != true || r.Num("recoveryCodesLeft") != 10 {
		t.Fatalf("state after set-up: %s", r.Body)
	}

	// The password opens no session now: 401 two_factor_required with a pending token.
	r := e.Do("POST", "/api/v1/auth/login", "", map[string]string{"login": login, "password": apptest.Password})
	if r.Status != http.StatusUnauthorized || r.ErrCode() != "two_factor_required" || r.Str("token") != "" {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	pending := e.PendingLogin(login, apptest.Password)
	for _, tc := range []struct {
		name, code, want string
	}{
		{"wrong code", "123456", "bad_two_factor_code"},
		// One step back is the step that switched it on, or an earlier one: used either way.
		{"the code of a used step", apptest.TOTP(t, secret, -30*time.Second), "two_factor_code_used"},
		{"three steps away", apptest.TOTP(t, secret, 90*time.Second), "bad_two_factor_code"},
	} {
		r := e.Do("POST", "/api/v1/auth/login/two-factor", "", map[string]string{"pendingToken": pending, "code": tc.code})
		if r.Status != http.StatusUnauthorized || r.ErrCode() != tc.want {
			t.Errorf("%s: %d %s, want 401 %s", tc.name, r.Status, r.Body, tc.want)
		}
	}
	if r := e.Do("POST", "/api/v1/auth/login/two-factor", "", map[string]string{"pendingToken": pending}); r.Status != http.StatusBadRequest {
		t.Errorf("no code: %d %s", r.Status, r.Body)
	}
	code := apptest.TOTP(t, secret, 30*time.Second)
	done := e.Must(http.StatusOK, "POST", "/api/v1/auth/login/two-factor", "", map[string]string{"pendingToken": pending, "code": code})
	e.Must(http.StatusOK, "GET", "/api/v1/programs/"+prog+"/makers", done.Str("token"), nil)
	// Single use, and the code too.
	if r := e.Do("POST", "/api/v1/auth/login/two-factor", "", map[string]string{"pendingToken": pending, "code": code}); r.ErrCode() != "two_factor_expired" {
		t.Errorf("pending token reused: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/api/v1/auth/login/two-factor", "", map[string]string{"pendingToken": e.PendingLogin(login, apptest.Password), "code": code}); r.ErrCode() != "two_factor_code_used" {
		t.Errorf("code replayed: %d %s", r.Status, r.Body)
	}

	// A recovery code signs in once.
	e.Must(http.StatusOK, "POST", "/api/v1/auth/login/two-factor", "", map[string]string{"pendingToken": e.PendingLogin(login, apptest.Password), "code": codes[0]})
	if r := e.Do("POST", "/api/v1/auth/login/two-factor", "", map[string]string{"pendingToken": e.PendingLogin(login, apptest.Password), "code": codes[0]}); r.ErrCode() != "bad_two_factor_code" {
		t.Errorf("recovery code reused: %d %s", r.Status, r.Body)
	}

	// Everyone else's login keeps its contract.
	_, _ = e.Buyer()
	e.Login("admin@test.example", apptest.Password)

	// Off with a recovery code (every current step's code is used up by now); then the password is enough.
	if r := e.Do("POST", "/api/v1/account/two-factor/disable", coord, map[string]string{"code": "000000"}); r.Status != http.StatusBadRequest {
		t.Errorf("turn off with a wrong code: %d %s", r.Status, r.Body)
	}
	e.Must(http.StatusOK, "POST", "/api/v1/account/two-factor/disable", coord, map[string]string{"code": codes[1]})
	e.Login(login, apptest.Password)
}

func TestTwoFactorRequiredForStaff(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	prog := e.Program("Required Program")
	_, coord := e.Coordinator(prog)
	_, maker := e.Maker(prog, coord)
	_, buyer := e.Buyer()

	if r := e.Do("PUT", "/api/v1/settings/security", coord, map[string]bool{"staffTwoFactor": true}); r.Status != http.StatusForbidden {
		t.Fatalf("a coordinator sets the requirement: %d %s", r.Status, r.Body)
	}
	if r := e.Do("PUT", "/api/v1/settings/security", e.AdminToken, map[string]any{}); r.Status != http.StatusBadRequest {
		t.Fatalf("no value: %d %s", r.Status, r.Body)
	}
	e.Must(http.StatusOK, "PUT", "/api/v1/settings/security", e.AdminToken, map[string]bool{"staffTwoFactor": true})

	// Staff without two-step sign-in may only set it up (or log out).
	for _, tok := range []string{coord, e.AdminToken} {
		for _, path := range []string{"/api/v1/programs/" + prog + "/makers", "/api/v1/me", "/api/v1/settings/security"} {
			if r := e.Do("GET", path, tok, nil); r.Status != http.StatusForbidden || r.ErrCode() != "two_factor_setup_required" {
				t.Errorf("GET %s: %d %s, want 403 two_factor_setup_required", path, r.Status, r.Body)
			}
		}
		if r := e.Must(http.StatusOK, "GET", "/api/v1/account/two-factor", tok, nil); r.JSON["required"] != true {
			t.Errorf("state: %s", r.Body)
		}
	}
	// Makers and buyers are not asked.
	e.Must(http.StatusOK, "GET", "/api/v1/me", maker, nil)
	e.Must(http.StatusOK, "GET", "/api/v1/me", buyer, nil)

	e.EnableTwoFactor(coord)
	e.Must(http.StatusOK, "GET", "/api/v1/programs/"+prog+"/makers", coord, nil)
	adminSecret, _ := e.EnableTwoFactor(e.AdminToken)
	e.Must(http.StatusOK, "GET", "/api/v1/settings/security", e.AdminToken, nil)

	// The admin signs in with a code, and can lift the requirement.
	pending := e.PendingLogin("admin@test.example", apptest.Password)
	admin := e.Must(http.StatusOK, "POST", "/api/v1/auth/login/two-factor", "", map[string]string{"pendingToken": pending, "code": apptest.TOTP(t, adminSecret, 30*time.Second)}).Str("token")
	e.Must(http.StatusOK, "PUT", "/api/v1/settings/security", admin, map[string]bool{"staffTwoFactor": false})

	// Both changes and the set-ups are in the admin's audit trail of the app.
	entries, err := e.App.Audit.List(t.Context(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, en := range entries {
		got[en.Action]++
	}
	if got["settings.staff_two_factor"] != 2 || got["account.two_factor_on"] < 2 {
		t.Errorf("audit actions %v", got)
	}
}
