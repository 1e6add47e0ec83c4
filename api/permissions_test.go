package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/payments/stripetest"
)

// The roles of the permission matrix. "maker" owns the resources under test, "otherMaker" is a
// maker of the same program, "coordinator" coordinates the resources' program, "otherCoordinator"
// another program.
var roles = []string{"anonymous", "buyer", "maker", "otherMaker", "coordinator", "otherCoordinator", "admin"}

// world is the people and programs every row of the matrix runs against.
type world struct {
	e                     *apptest.Env
	progA, progB          string
	makerID, otherMakerID string
	tokens                map[string]string
	coordAID              string
	buyerID               string
	fixtures              map[string]string // per-row resources made by setups, by name
}

func newWorld(t *testing.T) *world {
	e := apptest.New(t, withStripe(stripetest.Start(t)))
	w := &world{e: e, tokens: map[string]string{"admin": e.AdminToken}, fixtures: map[string]string{}}
	w.progA, w.progB = e.Program("Program A"), e.Program("Program B")
	w.coordAID, w.tokens["coordinator"] = e.Coordinator(w.progA)
	_, w.tokens["otherCoordinator"] = e.Coordinator(w.progB)
	w.makerID, w.tokens["maker"] = e.Maker(w.progA, w.tokens["coordinator"])
	w.otherMakerID, w.tokens["otherMaker"] = e.Maker(w.progA, w.tokens["coordinator"])
	w.buyerID, w.tokens["buyer"] = e.Buyer()
	return w
}

// multipartFile is a request body sent as multipart/form-data with one file field.
type multipartFile struct {
	field, name string
	data        []byte
}

// signedEvent is a Stripe event body sent with its Stripe-Signature header.
type signedEvent struct {
	payload   []byte
	signature string
}

// row is one route of the matrix: allow lists the roles that must succeed (2xx or a redirect
// that is not to the login page); every other role must be refused (401, 403 or 404).
type row struct {
	method, route string
	allow         []string
	// setup makes the resource the request acts on (fresh for each role) and returns the
	// concrete path and body; nil means the route with :id → program A.
	setup func(t *testing.T, w *world, role string) (path string, body any)
	// fresh runs each role in a new world, for routes that end a session or erase a person.
	fresh bool
}

var everyone = roles

func staffOfA() []string { return []string{"coordinator", "admin"} }

// staff is every coordinator and the admin.
func staff() []string { return []string{"coordinator", "otherCoordinator", "admin"} }

// foundationRows are the accounts, programs and makers routes.
func foundationRows() []row {
	progA := func(t *testing.T, w *world, role string) (string, any) { return "", nil }
	return []row{
		{method: "GET", route: "/healthz", allow: everyone},
		{method: "GET", route: "/readyz", allow: everyone},
		{method: "POST", route: "/api/v1/auth/register", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]string{"email": fmt.Sprintf("new-%s-%s@test.example", role, apptestSeq(w)), "password": "long-enough", "name": "New"}
		}},
		{method: "POST", route: "/api/v1/auth/login", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]string{"login": "admin@test.example", "password": apptest.Password}
		}},
		// Two-step sign-in: the code step is public (the pending token stands for the password);
		// the set-up is each staff member's own; the requirement is the admin's.
		{method: "POST", route: "/api/v1/auth/login/two-factor", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			_, tok := w.e.Coordinator(w.progB)
			login := w.e.Must(http.StatusOK, "GET", "/api/v1/me", tok, nil).Str("login")
			secret, _ := w.e.EnableTwoFactor(tok)
			return "", map[string]string{"pendingToken": w.e.PendingLogin(login, apptest.Password), "code": apptest.TOTP(t, secret, 30*time.Second)}
		}},
		{method: "GET", route: "/api/v1/account/two-factor", allow: staff()},
		{method: "POST", route: "/api/v1/account/two-factor/setup", allow: staff()},
		{method: "POST", route: "/api/v1/account/two-factor/confirm", allow: staff(), fresh: true, setup: func(t *testing.T, w *world, role string) (string, any) {
			if !slices.Contains(staff(), role) {
				return "", map[string]string{"code": "123456"}
			}
			secret := w.e.Must(http.StatusOK, "POST", "/api/v1/account/two-factor/setup", w.tokens[role], nil).Str("secret")
			return "", map[string]string{"code": apptest.TOTP(t, secret, 0)}
		}},
		{method: "POST", route: "/api/v1/account/two-factor/disable", allow: staff(), fresh: true, setup: func(t *testing.T, w *world, role string) (string, any) {
			if !slices.Contains(staff(), role) {
				return "", map[string]string{"code": "123456"}
			}
			_, codes := w.e.EnableTwoFactor(w.tokens[role])
			return "", map[string]string{"code": codes[0]}
		}},
		{method: "GET", route: "/api/v1/settings/security", allow: []string{"admin"}},
		{method: "PUT", route: "/api/v1/settings/security", allow: []string{"admin"}, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]bool{"staffTwoFactor": false} // the shared world's staff stay as they are
		}},
		{method: "POST", route: "/api/v1/auth/logout", allow: without(everyone, "anonymous"), fresh: true},
		{method: "POST", route: "/api/v1/auth/logout-all", allow: without(everyone, "anonymous"), fresh: true},
		{method: "GET", route: "/api/v1/me", allow: without(everyone, "anonymous")},
		{method: "POST", route: "/api/v1/programs", allow: []string{"admin"}, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]any{"name": "New Program", "city": "Pune", "country": "IN", "currency": "INR", "livingWageHourly": 8000}
		}},
		{method: "GET", route: "/api/v1/programs", allow: everyone},
		{method: "GET", route: "/api/v1/programs/:id", allow: []string{"maker", "otherMaker", "coordinator", "admin"}, setup: progA},
		{method: "PATCH", route: "/api/v1/programs/:id", allow: staffOfA(), setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]any{"holdDays": 1}
		}},
		{method: "POST", route: "/api/v1/programs/:id/coordinators", allow: []string{"admin"}, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]string{"name": "Another", "email": fmt.Sprintf("c-%s-%s@test.example", role, apptestSeq(w))}
		}},
		{method: "POST", route: "/api/v1/programs/:id/makers", allow: staffOfA(), setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]any{"displayName": "Newcomer", "legalName": "Private Person", "consent": map[string]bool{"publicProfile": true}}
		}},
		{method: "GET", route: "/api/v1/programs/:id/makers", allow: staffOfA()},
		{method: "GET", route: "/api/v1/programs/:id/audit", allow: staffOfA()},
		{method: "POST", route: "/api/v1/invites/:token/accept", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			r := w.e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+w.progA+"/makers", w.tokens["coordinator"], map[string]any{
				"displayName": "Invitee", "legalName": "Invitee Legal", "consent": map[string]bool{}})
			return "/api/v1/invites/" + r.Str("inviteToken") + "/accept", map[string]string{"login": "inv-" + apptestSeq(w), "password": "long-enough"}
		}},
		{method: "GET", route: "/api/v1/makers/:id", allow: []string{"maker", "coordinator", "admin"}, setup: makerPath("")},
		{method: "GET", route: "/api/v1/makers/:id/public", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "/api/v1/makers/" + w.e.PublicID(w.makerID) + "/public", nil
		}},
		{method: "PUT", route: "/api/v1/makers/:id/consent", allow: []string{"maker", "coordinator", "admin"}, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "/api/v1/makers/" + w.makerID + "/consent", map[string]bool{"story": true}
		}},
		{method: "POST", route: "/api/v1/makers/:id/erase", allow: []string{"maker", "coordinator", "admin"}, fresh: true, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "/api/v1/makers/" + w.makerID + "/erase", map[string]string{"confirm": "ERASE"}
		}},
		{method: "GET", route: "/api/v1/makers/:id/export", allow: []string{"maker", "coordinator", "admin"}, setup: makerPath("/export")},
		{method: "POST", route: "/api/v1/makers/:id/invite/revoke", allow: staffOfA(), setup: func(t *testing.T, w *world, role string) (string, any) {
			r := w.e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+w.progA+"/makers", w.tokens["coordinator"], map[string]any{
				"displayName": "Pending " + apptestSeq(w), "legalName": "Pending Legal", "consent": map[string]bool{}})
			return "/api/v1/makers/" + r.Str("id") + "/invite/revoke", nil
		}},
	}
}

func makerPath(suffix string) func(t *testing.T, w *world, role string) (string, any) {
	return func(t *testing.T, w *world, role string) (string, any) {
		return "/api/v1/makers/" + w.makerID + suffix, nil
	}
}

func without(list []string, drop ...string) []string {
	var out []string
	for _, r := range list {
		if !slices.Contains(drop, r) {
			out = append(out, r)
		}
	}
	return out
}

func apptestSeq(w *world) string {
	w.fixtures["seq"] += "x"
	return fmt.Sprint(len(w.fixtures["seq"]))
}

// allRows is the whole matrix; each domain's rows are appended here.
func allRows() []row {
	var rows []row
	rows = append(rows, foundationRows()...)
	rows = append(rows, extraRows()...)
	return rows
}

// TestPermissionMatrix runs every route as every role. A route that is registered but missing
// from the table fails the test, so nobody can add an endpoint without deciding who may use it.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	shared := newWorld(t)
	rows := allRows()

	listed := map[string]bool{}
	for _, r := range rows {
		listed[r.method+" "+r.route] = true
	}
	var missing []string
	for _, ri := range shared.e.App.Engine.Routes() {
		if ri.Method == "HEAD" || !matrixCovers(ri.Path) {
			continue
		}
		if !listed[ri.Method+" "+ri.Path] {
			missing = append(missing, ri.Method+" "+ri.Path)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes missing from the permission matrix (add a row saying who may use each):\n  %s", strings.Join(missing, "\n  "))
	}

	checked := 0
	for _, r := range rows {
		for _, role := range roles {
			w := shared
			if r.fresh {
				w = newWorld(t)
			}
			path, body := r.route, any(nil)
			if r.setup != nil {
				p, b := r.setup(t, w, role)
				if p != "" {
					path = p
				}
				body = b
			}
			path = strings.ReplaceAll(path, ":id", w.progA)
			res := send(t, w, r.method, path, w.tokens[role], body)
			allowed := slices.Contains(r.allow, role)
			ok := res.Status < 300 || (res.Status < 400 && !strings.Contains(res.Header.Get("Location"), "/login"))
			denied := res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden || res.Status == http.StatusNotFound ||
				(res.Status == http.StatusSeeOther && strings.Contains(res.Header.Get("Location"), "/login"))
			switch {
			case allowed && !ok:
				t.Errorf("%s %s as %s: status %d, want success; body %.300s", r.method, r.route, role, res.Status, res.Body)
			case !allowed && !denied:
				t.Errorf("%s %s as %s: status %d, want refusal (401/403/404); body %.300s", r.method, r.route, role, res.Status, res.Body)
			}
			checked++
		}
	}
	t.Logf("permission matrix: %d routes × %d roles = %d requests checked", len(rows), len(roles), checked)
}

func send(t *testing.T, w *world, method, path, token string, body any) apptest.Response {
	t.Helper()
	if ev, ok := body.(signedEvent); ok {
		req, _ := http.NewRequest(method, w.e.Server.URL+path, bytes.NewReader(ev.payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", ev.signature)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return w.e.Send(req)
	}
	mf, ok := body.(multipartFile)
	if !ok {
		return w.e.Do(method, path, token, body)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(mf.field, mf.name)
	fw.Write(mf.data)
	mw.Close()
	req, _ := http.NewRequest(method, w.e.Server.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return w.e.Send(req)
}
