package accounts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/store/storetest"
)

// clock is a settable time source for Service.Now. It starts far from the real time on purpose,
// so anything that reads the wall clock instead of Now shows up in the tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2031, 3, 14, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

type world struct {
	svc   *accounts.Service
	db    *store.DB
	clock *clock
	audit *audit.Log
}

// mustDeps builds what the account service needs: a field-encryption box with a fresh key and
// the audit trail, on db.
func mustDeps(tb testing.TB, db *store.DB) accounts.Deps {
	tb.Helper()
	key, err := fieldcrypt.ParseKey(fieldcrypt.NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	box, err := fieldcrypt.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	log, err := audit.NewLog(context.Background(), db)
	if err != nil {
		tb.Fatal(err)
	}
	return accounts.Deps{Box: box, Audit: log}
}

// mustWorld opens accounts on a fresh embedded store, with an injected clock and a failed-login
// delay short enough for tests.
func mustWorld(tb testing.TB) world {
	tb.Helper()
	db := storetest.New(tb)
	deps := mustDeps(tb, db)
	svc, err := accounts.NewService(context.Background(), db, deps)
	if err != nil {
		tb.Fatalf("accounts.NewService: %v", err)
	}
	c := newClock()
	svc.Now = c.Now
	svc.FailureDelay = time.Millisecond
	return world{svc: svc, db: db, clock: c, audit: deps.Audit.(*audit.Log)}
}

func mustRegister(tb testing.TB, w world, email, password string) accounts.User {
	tb.Helper()
	u, err := w.svc.Register(context.Background(), accounts.RegisterInput{Email: email, Password: password, Name: "Buyer"})
	if err != nil {
		tb.Fatalf("register %s: %v", email, err)
	}
	return u
}

func mustLogin(tb testing.TB, w world, login, password string) string {
	tb.Helper()
	token, _, err := w.svc.Login(context.Background(), login, password, accounts.SessionMeta{IP: "127.0.0.1", UserAgent: "test"})
	if err != nil {
		tb.Fatalf("login %s: %v", login, err)
	}
	return token
}

// mustInvited stores a person who was invited but has not set a login yet (what programs does
// when it registers a maker or invites a coordinator) and returns them with their invite token.
func mustInvited(tb testing.TB, w world, u accounts.User) (accounts.User, string) {
	tb.Helper()
	ctx := context.Background()
	users, err := accounts.NewUserStore(ctx, w.db)
	if err != nil {
		tb.Fatal(err)
	}
	u.Status = accounts.StatusInvited
	if err := users.Create(ctx, &u); err != nil {
		tb.Fatalf("create invited user: %v", err)
	}
	token, err := w.svc.Invite(ctx, u.ID, "admin-1")
	if err != nil {
		tb.Fatalf("invite: %v", err)
	}
	return u, token
}

func wantKind(tb testing.TB, err error, kind fault.Kind, field string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error, want kind %v", kind)
	}
	if got := fault.KindOf(err); got != kind {
		tb.Fatalf("error %v has kind %v, want %v", err, got, kind)
	}
	if field != "" {
		fe, _ := fault.As(err)
		if _, ok := fe.Fields[field]; !ok {
			tb.Fatalf("error %v does not name the field %q", err, field)
		}
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	first := mustRegister(t, w, "Asha@Example.org", "a long passphrase")
	if first.Role != accounts.RoleBuyer || first.Status != accounts.StatusActive || first.Login != "asha@example.org" {
		t.Fatalf("registered user: %+v", first)
	}

	tests := []struct {
		name  string
		in    accounts.RegisterInput
		is    error
		kind  fault.Kind
		field string
	}{
		{name: "short password", in: accounts.RegisterInput{Email: "b@example.org", Password: "short", Name: "B"}, kind: fault.Invalid, field: "password"},
		{name: "not an email", in: accounts.RegisterInput{Email: "not-an-email", Password: "long enough", Name: "C"}, kind: fault.Invalid, field: "email"},
		{name: "no name", in: accounts.RegisterInput{Email: "d@example.org", Password: "long enough", Name: "  "}, kind: fault.Invalid, field: "name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.svc.Register(ctx, tc.in)
			if tc.is != nil {
				if !errors.Is(err, tc.is) {
					t.Fatalf("err = %v, want %v", err, tc.is)
				}
				return
			}
			wantKind(t, err, tc.kind, tc.field)
		})
	}

	t.Run("the password is stored only as an argon2id hash", func(t *testing.T) {
		raw, err := w.db.Read("users").FindOne(ctx, bson.M{"_id": first.ID}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		if s := raw.String(); strings.Contains(s, "a long passphrase") || !strings.Contains(s, "$argon2id$") {
			t.Fatalf("stored user: %s", s)
		}
		if n, err := w.db.Read("users").CountDocuments(ctx, bson.M{}); err != nil || n != 1 {
			t.Fatalf("%d users stored (%v), want 1: a refused sign-up must store nothing", n, err)
		}
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	u := mustRegister(t, w, "tara@example.org", "right-password")

	tests := []struct {
		name, login, password string
		wantErr               error
	}{
		{name: "right password", login: "tara@example.org", password: "right-password"},
		{name: "login is case-insensitive", login: " TARA@example.org", password: "right-password"},
		{name: "wrong password", login: "tara@example.org", password: "wrong-password", wantErr: accounts.ErrBadCredentials},
		{name: "password is case-sensitive", login: "tara@example.org", password: "RIGHT-PASSWORD", wantErr: accounts.ErrBadCredentials},
		{name: "unknown login", login: "nobody@example.org", password: "right-password", wantErr: accounts.ErrBadCredentials},
		{name: "empty password", login: "tara@example.org", password: "", wantErr: accounts.ErrBadCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, got, err := w.svc.Login(ctx, tc.login, tc.password, accounts.SessionMeta{})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || token != "" {
					t.Fatalf("login: token %q, err %v; want no token and %v", token, err, tc.wantErr)
				}
				return
			}
			if err != nil || token == "" || got.ID != u.ID {
				t.Fatalf("login: token %q, user %s, err %v", token, got.ID, err)
			}
			if who, err := w.svc.Authenticate(ctx, token); err != nil || who.ID != u.ID {
				t.Fatalf("the new session does not resolve to the user: %s %v", who.ID, err)
			}
		})
	}

	t.Run("every login opens a new session", func(t *testing.T) {
		t1 := mustLogin(t, w, "tara@example.org", "right-password")
		t2 := mustLogin(t, w, "tara@example.org", "right-password")
		if t1 == t2 {
			t.Fatal("two logins gave the same token: sessions are not rotated")
		}
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	u := mustRegister(t, w, "s@example.org", "right-password")
	mustRegister(t, w, "other@example.org", "right-password")
	authOK := func(t *testing.T, token string) {
		t.Helper()
		if got, err := w.svc.Authenticate(ctx, token); err != nil || got.ID == "" {
			t.Fatalf("session %.8s… does not resolve: %v", token, err)
		}
	}
	authGone := func(t *testing.T, token string) {
		t.Helper()
		if got, err := w.svc.Authenticate(ctx, token); !errors.Is(err, accounts.ErrUnauthenticated) {
			t.Fatalf("session %.8s… still resolves to %q (%v)", token, got.ID, err)
		}
	}

	t.Run("tokens that were never issued", func(t *testing.T) {
		for _, tok := range []string{"", "not-a-token", accounts.NewToken(), strings.Repeat("x", 500)} {
			authGone(t, tok)
		}
	})

	t.Run("NewSession resolves to its user; the store holds no token", func(t *testing.T) {
		tok, err := w.svc.NewSession(ctx, u.ID, accounts.SessionMeta{IP: "10.0.0.1", UserAgent: strings.Repeat("a", 300)})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := w.svc.Authenticate(ctx, tok); err != nil || got.ID != u.ID {
			t.Fatalf("Authenticate: %s %v", got.ID, err)
		}
		cur, err := w.db.Read("sessions").Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.Raw
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if strings.Contains(d.String(), tok) {
				t.Fatalf("a session document holds the bearer token: %s", d)
			}
		}
	})

	t.Run("revoke one, then all", func(t *testing.T) {
		phone := mustLogin(t, w, "s@example.org", "right-password")
		laptop := mustLogin(t, w, "s@example.org", "right-password")
		tablet := mustLogin(t, w, "s@example.org", "right-password")
		theirs := mustLogin(t, w, "other@example.org", "right-password")
		if err := w.svc.Logout(ctx, phone); err != nil {
			t.Fatal(err)
		}
		authGone(t, phone)
		authOK(t, laptop)
		authOK(t, tablet)
		if err := w.svc.Logout(ctx, phone); err != nil {
			t.Fatalf("logging out twice: %v", err)
		}
		n, err := w.svc.LogoutEverywhere(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n < 2 {
			t.Fatalf("LogoutEverywhere revoked %d sessions, want at least laptop and tablet", n)
		}
		authGone(t, laptop)
		authGone(t, tablet)
		authOK(t, theirs) // another person's sessions are untouched
		if n, err := w.svc.LogoutEverywhere(ctx, u.ID); err != nil || n != 0 {
			t.Fatalf("second LogoutEverywhere: %d %v, want 0", n, err)
		}
	})
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("a maker chooses a login once", func(t *testing.T) {
		w := mustWorld(t)
		maker, token := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		got, err := w.svc.AcceptInvite(ctx, token, accounts.AcceptInput{Login: "Asha.K", Password: "a good password"})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != maker.ID || got.Login != "asha.k" || got.Status != accounts.StatusActive {
			t.Fatalf("accepted: %+v", got)
		}
		mustLogin(t, w, "asha.k", "a good password")
		if _, err := w.svc.AcceptInvite(ctx, token, accounts.AcceptInput{Login: "someone.else", Password: "another password"}); !errors.Is(err, accounts.ErrInviteInvalid) {
			t.Fatalf("second use of the link: %v, want ErrInviteInvalid", err)
		}
		if _, _, err := w.svc.Login(ctx, "someone.else", "another password", accounts.SessionMeta{}); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("the second use set a login: %v", err)
		}
		// A fresh invitation for someone already active does not reset their credentials.
		if _, err := w.svc.AcceptInvite(ctx, mustInviteToken(t, w, maker.ID), accounts.AcceptInput{Login: "asha.k2", Password: "another password"}); !errors.Is(err, accounts.ErrAlreadyRegistered) {
			t.Fatalf("new invite for an active account: %v, want ErrAlreadyRegistered", err)
		}
		mustLogin(t, w, "asha.k", "a good password")
	})

	t.Run("a link works for 7 days", func(t *testing.T) {
		w := mustWorld(t)
		_, early := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		_, late := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		w.clock.Advance(accounts.InviteTTL - time.Minute)
		if _, err := w.svc.AcceptInvite(ctx, early, accounts.AcceptInput{Login: "early.bird", Password: "a good password"}); err != nil {
			t.Fatalf("a minute before expiry: %v", err)
		}
		w.clock.Advance(time.Minute)
		if _, err := w.svc.AcceptInvite(ctx, late, accounts.AcceptInput{Login: "late.comer", Password: "a good password"}); !errors.Is(err, accounts.ErrInviteInvalid) {
			t.Fatalf("after 7 days: %v, want ErrInviteInvalid", err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		w := mustWorld(t)
		mustRegister(t, w, "taken@example.org", "a good password")
		_, makerTok := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		_, firstTok := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		if _, err := w.svc.AcceptInvite(ctx, firstTok, accounts.AcceptInput{Login: "first.one", Password: "a good password"}); err != nil {
			t.Fatal(err)
		}
		_, coordTok := mustInvited(t, w, accounts.User{Role: accounts.RoleCoordinator, Login: "coord@example.org", Email: "coord@example.org"})
		tests := []struct {
			name  string
			token string
			in    accounts.AcceptInput
			is    error
			field string
		}{
			{name: "wrong token", token: accounts.NewToken(), in: accounts.AcceptInput{Login: "abc.def", Password: "a good password"}, is: accounts.ErrInviteInvalid},
			{name: "empty token", token: "", in: accounts.AcceptInput{Login: "abc.def", Password: "a good password"}, is: accounts.ErrInviteInvalid},
			{name: "huge token", token: strings.Repeat("t", 300), in: accounts.AcceptInput{Login: "abc.def", Password: "a good password"}, is: accounts.ErrInviteInvalid},
			{name: "maker without a login", token: makerTok, in: accounts.AcceptInput{Password: "a good password"}, field: "login"},
			{name: "maker login with a colon", token: makerTok, in: accounts.AcceptInput{Login: "pending:x", Password: "a good password"}, field: "login"},
			{name: "short password", token: makerTok, in: accounts.AcceptInput{Login: "abc.def", Password: "short"}, field: "password"},
			{name: "login taken", token: makerTok, in: accounts.AcceptInput{Login: "first.one", Password: "a good password"}, is: accounts.ErrLoginTaken},
			{name: "coordinator with another login", token: coordTok, in: accounts.AcceptInput{Login: "other@example.org", Password: "a good password"}, field: "login"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.svc.AcceptInvite(ctx, tc.token, tc.in)
				if tc.is != nil {
					if !errors.Is(err, tc.is) {
						t.Fatalf("err = %v, want %v", err, tc.is)
					}
					return
				}
				wantKind(t, err, fault.Invalid, tc.field)
			})
		}
		// None of the refusals used the links up.
		if _, err := w.svc.AcceptInvite(ctx, makerTok, accounts.AcceptInput{Login: "second.one", Password: "a good password"}); err != nil {
			t.Fatalf("the maker's link after refusals: %v", err)
		}
		u, err := w.svc.AcceptInvite(ctx, coordTok, accounts.AcceptInput{Password: "a good password"})
		if err != nil || u.Login != "coord@example.org" {
			t.Fatalf("the coordinator's link after a refusal: %+v %v", u, err)
		}
		mustLogin(t, w, "coord@example.org", "a good password")
	})
}

func mustInviteToken(tb testing.TB, w world, userID string) string {
	tb.Helper()
	tok, err := w.svc.Invite(context.Background(), userID, "admin-1")
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func TestEnsureAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	if _, err := w.svc.EnsureAdmin(ctx, "not an email", "a good password"); err == nil {
		t.Fatal("an admin with a bad email was created")
	}
	if _, err := w.svc.EnsureAdmin(ctx, "admin@example.org", "short"); err == nil {
		t.Fatal("an admin with a short password was created")
	}
	for i, want := range []bool{true, false} {
		created, err := w.svc.EnsureAdmin(ctx, "Admin@Example.org", "a good password")
		if err != nil || created != want {
			t.Fatalf("EnsureAdmin #%d: created %v (%v), want %v", i+1, created, err, want)
		}
	}
	_, u, err := w.svc.Login(ctx, "admin@example.org", "a good password", accounts.SessionMeta{})
	if err != nil || u.Role != accounts.RoleAdmin {
		t.Fatalf("admin login: %+v %v", u, err)
	}
}

// A new link, an acceptance or a coordinator's "cancel" leaves no older link usable: a link
// handed to the wrong person or lost with a phone must not stay open.
func TestInvitationsRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	accept := func(w world, token, login string) error {
		_, err := w.svc.AcceptInvite(ctx, token, accounts.AcceptInput{Login: login, Password: "a good password"})
		return err
	}

	t.Run("a new invitation revokes the earlier ones", func(t *testing.T) {
		w := mustWorld(t)
		maker, first := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		second := mustInviteToken(t, w, maker.ID)
		third := mustInviteToken(t, w, maker.ID)
		for name, tok := range map[string]string{"first": first, "second": second} {
			if _, _, err := w.svc.PendingInvite(ctx, tok); !errors.Is(err, accounts.ErrInviteInvalid) {
				t.Errorf("the %s link is still pending after a new one: %v", name, err)
			}
			if err := accept(w, tok, "old.link"); !errors.Is(err, accounts.ErrInviteInvalid) {
				t.Errorf("the %s link was accepted after a new one: %v", name, err)
			}
		}
		if err := accept(w, third, "new.link"); err != nil {
			t.Fatalf("the newest link: %v", err)
		}
	})

	t.Run("other people's links are untouched", func(t *testing.T) {
		w := mustWorld(t)
		_, hers := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		other, _ := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		mustInviteToken(t, w, other.ID)
		if err := accept(w, hers, "her.login"); err != nil {
			t.Fatalf("another maker's new link revoked hers: %v", err)
		}
	})

	t.Run("accepting one revokes the rest", func(t *testing.T) {
		w := mustWorld(t)
		maker, token := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		// A second link made before this rule existed (or by a racing request).
		invites, err := accounts.NewInviteStore(ctx, w.db)
		if err != nil {
			t.Fatal(err)
		}
		spare := accounts.NewToken()
		if err := invites.Create(ctx, accounts.Invite{ID: accounts.HashToken(spare), UserID: maker.ID,
			CreatedAt: w.clock.Now(), ExpiresAt: w.clock.Now().Add(accounts.InviteTTL)}); err != nil {
			t.Fatal(err)
		}
		if err := accept(w, token, "first.use"); err != nil {
			t.Fatal(err)
		}
		inv, err := invites.ByHash(ctx, accounts.HashToken(spare))
		if err != nil {
			t.Fatal(err)
		}
		if inv.UsedAt.IsZero() || inv.RevokedAt.IsZero() {
			t.Fatalf("the other link is still open after acceptance: %+v", inv)
		}
	})

	t.Run("a coordinator revokes a pending invitation", func(t *testing.T) {
		w := mustWorld(t)
		maker, token := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		n, err := w.svc.RevokeInvites(ctx, maker.ID)
		if err != nil || n != 1 {
			t.Fatalf("RevokeInvites: %d %v, want 1", n, err)
		}
		if _, _, err := w.svc.PendingInvite(ctx, token); !errors.Is(err, accounts.ErrInviteInvalid) {
			t.Fatalf("the revoked link is still pending: %v", err)
		}
		if err := accept(w, token, "revoked.one"); !errors.Is(err, accounts.ErrInviteInvalid) {
			t.Fatalf("the revoked link was accepted: %v", err)
		}
		if n, err := w.svc.RevokeInvites(ctx, maker.ID); err != nil || n != 0 {
			t.Fatalf("second RevokeInvites: %d %v, want 0", n, err)
		}
		if err := accept(w, mustInviteToken(t, w, maker.ID), "fresh.link"); err != nil {
			t.Fatalf("a new link after a revocation: %v", err)
		}
	})
}

// New passwords: at least 10 characters, 12 for staff, and none of the most common ones.
func TestPasswordRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	tests := []struct {
		name     string
		role     accounts.Role
		password string
		want     accounts.PasswordProblem
	}{
		{"buyer, 9 characters", accounts.RoleBuyer, "abcdefg9x", accounts.PasswordTooShort},
		{"buyer, 10 characters", accounts.RoleBuyer, "river7moon", accounts.PasswordOK},
		{"maker, 9 characters", accounts.RoleMaker, "abcdefg9x", accounts.PasswordTooShort},
		{"maker, a Hindi passphrase counts letters, not bytes", accounts.RoleMaker, "नदी किनारे", accounts.PasswordOK},
		{"coordinator, 11 characters", accounts.RoleCoordinator, "river7moon!", accounts.PasswordTooShort},
		{"coordinator, 12 characters", accounts.RoleCoordinator, "river7moon!!", accounts.PasswordOK},
		{"admin, 11 characters", accounts.RoleAdmin, "river7moon!", accounts.PasswordTooShort},
		{"common: keyboard row", accounts.RoleBuyer, "qwertyuiop", accounts.PasswordCommon},
		{"common, any case", accounts.RoleBuyer, "PassWord123", accounts.PasswordCommon},
		{"common: word and digits", accounts.RoleCoordinator, "password@123", accounts.PasswordCommon},
		{"common: digits", accounts.RoleBuyer, "1234567890", accounts.PasswordCommon},
		{"too long", accounts.RoleBuyer, strings.Repeat("x", 257), accounts.PasswordTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := accounts.CheckNewPassword(tc.role, tc.password); got != tc.want {
				t.Fatalf("CheckNewPassword(%s, %q) = %q, want %q", tc.role, tc.password, got, tc.want)
			}
		})
	}

	t.Run("sign-up refuses a short or common password", func(t *testing.T) {
		for _, p := range []string{"nine-char", "qwertyuiop", "Password123"} {
			_, err := w.svc.Register(ctx, accounts.RegisterInput{Email: "p@example.org", Password: p, Name: "P"})
			wantKind(t, err, fault.Invalid, "password")
		}
	})
	t.Run("an invited coordinator needs 12 characters", func(t *testing.T) {
		_, tok := mustInvited(t, w, accounts.User{Role: accounts.RoleCoordinator, Login: "c12@example.org", Email: "c12@example.org"})
		_, err := w.svc.AcceptInvite(ctx, tok, accounts.AcceptInput{Password: "eleven-char"})
		wantKind(t, err, fault.Invalid, "password")
		if _, err := w.svc.AcceptInvite(ctx, tok, accounts.AcceptInput{Password: "twelve-chars"}); err != nil {
			t.Fatalf("12 characters: %v", err)
		}
	})
	t.Run("an invited maker needs 10 and no common password", func(t *testing.T) {
		_, tok := mustInvited(t, w, accounts.User{Role: accounts.RoleMaker})
		for _, p := range []string{"nine-char", "iloveyou12"} {
			_, err := w.svc.AcceptInvite(ctx, tok, accounts.AcceptInput{Login: "pw.maker", Password: p})
			wantKind(t, err, fault.Invalid, "password")
		}
	})
	t.Run("the admin from the environment needs 12", func(t *testing.T) {
		if _, err := w.svc.EnsureAdmin(ctx, "admin@example.org", "eleven-char"); err == nil {
			t.Fatal("an admin with an 11-character password was created")
		}
	})
}
