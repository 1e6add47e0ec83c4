package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/app/apptest"
)

func TestAuthFlow(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)

	t.Run("register validates each field", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/auth/register", "", map[string]string{"email": "nope", "password": "x"})
		fields, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
		if fields["email"] == nil || fields["name"] == nil {
			t.Fatalf("want email and name named in fields, got %s", r.Body)
		}
	})
	t.Run("malformed JSON is a clear 400", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/auth/register", "", `{"email":`)
		if r.ErrCode() != "invalid_json" {
			t.Fatalf("code = %q", r.ErrCode())
		}
		r = e.Must(http.StatusBadRequest, "POST", "/api/v1/auth/login", "", `{"login":{"$gt":""},"password":"x"}`)
		if !strings.Contains(string(r.Body), "login") {
			t.Fatalf("operator object in login: %s", r.Body)
		}
	})

	_, token := e.Buyer()
	me := e.Must(http.StatusOK, "GET", "/api/v1/me", token, nil)
	if me.Str("role") != "buyer" {
		t.Fatalf("me.role = %q", me.Str("role"))
	}
	if strings.Contains(string(me.Body), "argon2") || strings.Contains(string(me.Body), "passwordHash") {
		t.Fatalf("/me leaks the password hash: %s", me.Body)
	}
	// A used e-mail gets the same answer as a new one (it was 409 email_taken, which told anyone
	// who has an account), and the account is not changed.
	t.Run("duplicate email", func(t *testing.T) {
		first := e.Must(http.StatusCreated, "POST", "/api/v1/auth/register", "", map[string]string{"email": "dup@test.example", "password": "long-enough", "name": "A"})
		again := e.Must(http.StatusCreated, "POST", "/api/v1/auth/register", "", map[string]string{"email": "DUP@test.example", "password": "other-password", "name": "A"})
		keys := func(m map[string]any) []string {
			var out []string
			for k := range m {
				if k != "id" {
					out = append(out, k)
				}
			}
			sort.Strings(out)
			return out
		}
		if fmt.Sprint(keys(first.JSON)) != fmt.Sprint(keys(again.JSON)) || first.Str("message") == "" ||
			first.Str("message") != again.Str("message") || first.Str("email") != again.Str("email") || first.Str("id") == again.Str("id") {
			t.Fatalf("answers differ:\n%s\n%s", first.Body, again.Body)
		}
		e.Login("dup@test.example", "long-enough")
		e.Must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]string{"login": "dup@test.example", "password": "other-password"})
	})
	t.Run("logout revokes the token server-side", func(t *testing.T) {
		e.Must(http.StatusOK, "POST", "/api/v1/auth/logout", token, nil)
		e.Must(http.StatusUnauthorized, "GET", "/api/v1/me", token, nil)
	})
	t.Run("logout everywhere revokes every session", func(t *testing.T) {
		e.Must(http.StatusCreated, "POST", "/api/v1/auth/register", "", map[string]string{"email": "two@test.example", "password": "long-enough", "name": "Two"})
		t1 := e.Login("two@test.example", "long-enough")
		t2 := e.Login("two@test.example", "long-enough")
		if t1 == t2 {
			t.Fatal("two logins gave the same token: sessions are not rotated")
		}
		e.Must(http.StatusOK, "POST", "/api/v1/auth/logout-all", t1, nil)
		e.Must(http.StatusUnauthorized, "GET", "/api/v1/me", t2, nil)
	})
	// Five wrong passwords throttle this client on that login (the account itself is never
	// locked: accounts.TestLoginThrottle signs in from another client), and a login that names
	// nobody answers exactly the same.
	t.Run("wrong password, unknown login, and throttling", func(t *testing.T) {
		e.Must(http.StatusCreated, "POST", "/api/v1/auth/register", "", map[string]string{"email": "lock@test.example", "password": "right-password", "name": "L"})
		for _, login := range []string{"lock@test.example", "nobody@test.example"} {
			for range 5 {
				r := e.Must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]string{"login": login, "password": "wrong-password"})
				if r.ErrCode() != "bad_credentials" {
					t.Fatalf("%s: code = %q", login, r.ErrCode())
				}
			}
			r := e.Must(http.StatusTooManyRequests, "POST", "/api/v1/auth/login", "", map[string]string{"login": login, "password": "right-password"})
			if r.ErrCode() != "rate_limited" {
				t.Fatalf("%s: code = %q", login, r.ErrCode())
			}
		}
	})
	t.Run("a garbage bearer token is 401", func(t *testing.T) {
		e.Must(http.StatusUnauthorized, "GET", "/api/v1/me", "not-a-token", nil)
		e.Must(http.StatusUnauthorized, "GET", "/api/v1/me", "", nil)
	})
}

func TestProgramsCoordinatorsMakers(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	ctx := context.Background()

	t.Run("program validation names each field", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/programs", e.AdminToken, map[string]any{"name": "X", "currency": "rupees", "livingWageHourly": -1})
		fields := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
		for _, f := range []string{"name", "city", "country", "currency", "livingWageHourly"} {
			if fields[f] == nil {
				t.Errorf("field %s not named: %s", f, r.Body)
			}
		}
		e.Must(http.StatusBadRequest, "POST", "/api/v1/programs", e.AdminToken, map[string]any{"name": "Workshop", "city": "Kolkata", "country": "IN", "currency": "INR", "livingWageHourly": 90.5})
	})

	p1 := e.Program("Kolkata Jewellery Workshop")
	p2 := e.Program("Mumbai Tailoring Workshop")
	c1ID, c1 := e.Coordinator(p1)
	_, c2 := e.Coordinator(p2)

	t.Run("program defaults", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+p1, c1, nil)
		if r.Num("programSharePercent") != 10 || r.Str("payeeModel") != "maker" || r.Num("holdDays") != 0 {
			t.Fatalf("defaults: %s", r.Body)
		}
	})
	t.Run("only admin creates programs and coordinators", func(t *testing.T) {
		e.Must(http.StatusForbidden, "POST", "/api/v1/programs", c1, map[string]any{"name": "Mine", "city": "Pune", "country": "IN", "currency": "INR", "livingWageHourly": 100})
		e.Must(http.StatusForbidden, "POST", "/api/v1/programs/"+p1+"/coordinators", c1, map[string]string{"name": "X", "email": "x@test.example"})
	})
	t.Run("a coordinator sees only their programs", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/programs", c1, nil)
		items := r.JSON["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["id"] != p1 {
			t.Fatalf("coordinator 1 programs: %s", r.Body)
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+p2, c1, nil)
		e.Must(http.StatusNotFound, "PATCH", "/api/v1/programs/"+p2, c1, map[string]any{"holdDays": 3})
		e.Must(http.StatusNotFound, "POST", "/api/v1/programs/"+p2+"/makers", c1, map[string]any{"displayName": "Z", "legalName": "Z Z", "consent": map[string]bool{}})
	})
	t.Run("settings", func(t *testing.T) {
		r := e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+p1, c1, map[string]any{"payeeModel": "program", "holdDays": 7, "programSharePercent": 12})
		if r.Str("payeeModel") != "program" || r.Num("holdDays") != 7 || r.Num("programSharePercent") != 12 {
			t.Fatalf("settings: %s", r.Body)
		}
		e.Must(http.StatusBadRequest, "PATCH", "/api/v1/programs/"+p1, c1, map[string]any{"payeeModel": "cash"})
	})
	t.Run("the public directory shows name and city only", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/programs", "", nil)
		if len(r.JSON["items"].([]any)) != 2 || strings.Contains(string(r.Body), "livingWage") {
			t.Fatalf("directory: %s", r.Body)
		}
		e.Must(http.StatusUnauthorized, "GET", "/api/v1/programs/"+p1, "", nil)
	})

	// A maker, invited by their coordinator.
	r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+p1+"/makers", c1, map[string]any{
		"displayName": "Tara", "legalName": "Secret Legal Name", "phone": "+91 98300 12345",
		"consent": map[string]bool{"publicProfile": true, "story": false}})
	makerID, invite := r.Str("id"), r.Str("inviteToken")
	if len(invite) < 32 {
		t.Fatalf("invite token too short: %q", invite)
	}

	t.Run("makers need no email; invite validates before it is used up", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/invites/"+invite+"/accept", "", map[string]string{"login": "x", "password": "short"})
		fields := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
		if fields["login"] == nil || fields["password"] == nil {
			t.Fatalf("fields: %s", r.Body)
		}
		e.Must(http.StatusOK, "POST", "/api/v1/invites/"+invite+"/accept", "", map[string]string{"login": "Tara.K", "password": "tara-password"})
		e.Must(http.StatusNotFound, "POST", "/api/v1/invites/"+invite+"/accept", "", map[string]string{"login": "tara2", "password": "tara-password"})
		e.Must(http.StatusNotFound, "POST", "/api/v1/invites/not-a-real-token/accept", "", map[string]string{"login": "tara3", "password": "tara-password"})
	})
	maker := e.Login("tara.k", "tara-password")

	t.Run("a taken login name is refused without burning the invite", func(t *testing.T) {
		r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+p1+"/makers", c1, map[string]any{
			"displayName": "Mitali", "legalName": "Other Name", "consent": map[string]bool{"publicProfile": true}})
		e.Must(http.StatusConflict, "POST", "/api/v1/invites/"+r.Str("inviteToken")+"/accept", "", map[string]string{"login": "tara.k", "password": "mitali-password"})
		e.Must(http.StatusOK, "POST", "/api/v1/invites/"+r.Str("inviteToken")+"/accept", "", map[string]string{"login": "mitali", "password": "mitali-password"})
	})

	t.Run("private profile: the maker and their coordinator only, and audited", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+makerID, maker, nil)
		if r.Str("legalName") != "Secret Legal Name" || r.Str("phone") != "+91 98300 12345" {
			t.Fatalf("maker's own profile: %s", r.Body)
		}
		e.Must(http.StatusOK, "GET", "/api/v1/makers/"+makerID, c1, nil)
		e.Must(http.StatusOK, "GET", "/api/v1/makers/"+makerID, e.AdminToken, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+makerID, c2, nil)
		_, buyer := e.Buyer()
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+makerID, buyer, nil)
		e.Must(http.StatusUnauthorized, "GET", "/api/v1/makers/"+makerID, "", nil)
		_, other := e.Maker(p1, c1)
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+makerID, other, nil)

		trail := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+p1+"/audit", c1, nil)
		reads := 0
		for _, it := range trail.JSON["items"].([]any) {
			en := it.(map[string]any)
			if en["action"] == "maker.read_private" && en["recordId"] == makerID {
				reads++
				if en["actorId"] == "" || en["at"] == nil {
					t.Fatalf("audit entry lacks who or when: %v", en)
				}
			}
		}
		if reads != 3 {
			t.Fatalf("audited reads = %d, want 3 (maker, coordinator, admin)", reads)
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+p1+"/audit", c2, nil)
		csv := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+p1+"/audit?format=csv", c1, nil)
		if !strings.HasPrefix(string(csv.Body), "at,actorId,actorRole,action") || !strings.Contains(string(csv.Body), "maker.read_private") {
			t.Fatalf("audit CSV: %s", csv.Body)
		}
		_ = c1ID
	})

	t.Run("legal name and phone are encrypted at rest", func(t *testing.T) {
		raw, err := e.DB.Read("makers").FindOne(ctx, bson.M{"_id": makerID}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		s := raw.String()
		if strings.Contains(s, "Secret Legal Name") || strings.Contains(s, "98300") {
			t.Fatalf("plaintext in the database: %s", s)
		}
	})

	t.Run("public face: display name only, with consent", func(t *testing.T) {
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+makerID+"/public", "", nil) // the account id is private
		r := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+e.PublicID(makerID)+"/public", "", nil)
		if r.Str("displayName") != "Tara" || strings.Contains(string(r.Body), "Legal") || strings.Contains(string(r.Body), "phone") {
			t.Fatalf("public maker: %s", r.Body)
		}
		r = e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+p1+"/makers", c1, map[string]any{
			"displayName": "Hidden", "legalName": "Hidden Legal", "consent": map[string]bool{"publicProfile": false}})
		pub := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+e.PublicID(r.Str("id"))+"/public", "", nil)
		if pub.Str("displayName") == "Hidden" {
			t.Fatalf("display name shown without consent: %s", pub.Body)
		}
	})
	t.Run("the display name may not be the legal name", func(t *testing.T) {
		e.Must(http.StatusBadRequest, "POST", "/api/v1/programs/"+p1+"/makers", c1, map[string]any{
			"displayName": "Same Name", "legalName": "same name", "consent": map[string]bool{}})
	})
}

func TestHealthAndErrors(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	e.Must(http.StatusOK, "GET", "/healthz", "", nil)
	e.Must(http.StatusOK, "GET", "/readyz", "", nil)
	r := e.Must(http.StatusNotFound, "GET", "/api/v1/nothing-here", "", nil)
	if r.ErrCode() != "route_not_found" {
		t.Fatalf("code = %q", r.ErrCode())
	}
	r = e.Do("GET", "/api/v1/me", "", nil)
	if r.Header.Get("X-Request-ID") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers: %v", r.Header)
	}
	big := `{"email":"` + strings.Repeat("a", 2<<20) + `"}`
	e.Must(http.StatusRequestEntityTooLarge, "POST", "/api/v1/auth/register", "", big)
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.WithRateLimits())
	limited := false
	for i := range 15 {
		r := e.Do("POST", "/api/v1/auth/login", "", map[string]string{"login": "nobody" + strings.Repeat("x", i) + "@test.example", "password": "whatever1"})
		if r.Status == http.StatusTooManyRequests {
			limited = true
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			break
		}
	}
	if !limited {
		t.Fatal("15 rapid logins from one client were never rate limited")
	}
	for _, path := range []string{"/api/v1/checkout", "/api/v1/auth/register"} {
		limited = false
		for range 40 {
			if r := e.Do("POST", path, "", `{}`); r.Status == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Errorf("40 rapid POST %s from one client were never rate limited", path)
		}
	}
}

func TestMetricsNeedTheToken(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, func(c *app.Config) { c.MetricsToken = "metrics-secret" })
	e.Must(http.StatusOK, "GET", "/readyz", "", nil)
	e.Must(http.StatusBadRequest, "POST", "/api/v1/checkout", "", map[string]any{"email": "m@test.example",
		"items":           []map[string]any{{"productId": "000000000000000000000000", "quantity": 1}},
		"shippingAddress": map[string]string{"name": "Mira", "line1": "1 Road", "city": "Leeds", "postalCode": "LS1 1AA", "country": "GB"}})
	e.Must(http.StatusUnauthorized, "GET", "/metrics", "", nil)
	r := e.Must(http.StatusOK, "GET", "/metrics", "metrics-secret", nil)
	body := string(r.Body)
	for _, want := range []string{`http_requests_total{method="GET",route="/readyz",status="200"}`, "db_ping_duration_seconds", "go_goroutines", `marketplace_events_total{event="checkout",outcome="invalid_fields"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestInviteRevoke: a coordinator withdraws a maker's pending link; a new link makes the old one
// useless; a coordinator of another program cannot touch it.
func TestInviteRevoke(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	pA, pB := e.Program("Revoke A"), e.Program("Revoke B")
	_, cA := e.Coordinator(pA)
	_, cB := e.Coordinator(pB)
	newMaker := func(name string) (string, string) {
		r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+pA+"/makers", cA, map[string]any{
			"displayName": name, "legalName": name + " Legal", "consent": map[string]bool{}})
		return r.Str("id"), r.Str("inviteToken")
	}
	accept := func(status int, token, login string) {
		t.Helper()
		e.Must(status, "POST", "/api/v1/invites/"+token+"/accept", "", map[string]string{"login": login, "password": "long-enough"})
	}

	id, token := newMaker("Rekha")
	e.Must(http.StatusNotFound, "POST", "/api/v1/makers/"+id+"/invite/revoke", cB, nil)
	r := e.Must(http.StatusOK, "POST", "/api/v1/makers/"+id+"/invite/revoke", cA, nil)
	if r.Num("revoked") != 1 {
		t.Fatalf("revoke: %s, want 1 link revoked", r.Body)
	}
	accept(http.StatusNotFound, token, "rekha.k")

	// An admin may revoke too.
	id2, first := newMaker("Mina")
	e.Must(http.StatusOK, "POST", "/api/v1/makers/"+id2+"/invite/revoke", e.AdminToken, nil)
	accept(http.StatusNotFound, first, "mina.k")
}
