package accounts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/fault"
)

const staffPassword = "a long staff password"

// mustStaff stores an active coordinator of program p1 who can sign in with staffPassword.
func mustStaff(tb testing.TB, w world, email string) accounts.Actor {
	tb.Helper()
	u := accounts.User{Role: accounts.RoleCoordinator, Login: email, Email: email, Name: "Coordinator",
		PasswordHash: accounts.HashPassword(staffPassword), ProgramIDs: []string{"p1"}, Status: accounts.StatusActive}
	if err := w.svc.CreateUser(context.Background(), &u); err != nil {
		tb.Fatal(err)
	}
	return accounts.ActorOf(u, "10.0.0.7")
}

// code is what an authenticator app shows at the world's time plus offset.
func code(tb testing.TB, w world, secret string, offset time.Duration) string {
	tb.Helper()
	c, err := totp.GenerateCode(secret, w.clock.Now().Add(offset))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustEnrol switches two-step sign-in on for actor and returns the secret and recovery codes.
// The clock then moves to the next 30-second step, as a person would take to sign in again.
func mustEnrol(tb testing.TB, w world, actor accounts.Actor) (string, []string) {
	tb.Helper()
	ctx := context.Background()
	en, err := w.svc.BeginTwoFactor(ctx, actor)
	if err != nil {
		tb.Fatal(err)
	}
	codes, err := w.svc.ConfirmTwoFactor(ctx, actor, code(tb, w, en.Secret, 0))
	if err != nil {
		tb.Fatal(err)
	}
	w.clock.Advance(30 * time.Second)
	return en.Secret, codes
}

// mustChallenge signs in with the password and returns the pending token of the code step.
func mustChallenge(tb testing.TB, w world, login string) string {
	tb.Helper()
	tok, _, err := w.svc.Login(context.Background(), login, staffPassword, from("10.0.0.7"))
	var ch *accounts.TwoFactorChallenge
	if !errors.As(err, &ch) || !errors.Is(err, accounts.ErrTwoFactorRequired) || tok != "" {
		tb.Fatalf("login with two-step sign-in on: token %q, err %v; want a challenge and no session", tok, err)
	}
	if fe, ok := fault.As(err); !ok || fe.Code != "two_factor_required" || fe.Details["pendingToken"] != ch.PendingToken {
		tb.Fatalf("challenge as a fault error: %+v", fe)
	}
	return ch.PendingToken
}

func auditActions(tb testing.TB, w world, userID string) []string {
	tb.Helper()
	entries, err := w.audit.List(context.Background(), audit.Query{RecordID: userID})
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

func TestTwoFactorEnrolAndSignIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	staff := mustStaff(t, w, "coord@example.org")

	// Without two-step sign-in the password opens a session at once.
	mustLogin(t, w, "coord@example.org", staffPassword)

	en, err := w.svc.BeginTwoFactor(ctx, staff)
	if err != nil {
		t.Fatal(err)
	}
	if len(en.Secret) < 32 || !strings.HasPrefix(en.URL, "otpauth://totp/") || !strings.Contains(en.URL, "secret="+en.Secret) {
		t.Fatalf("enrolment %+v", en)
	}
	again, err := w.svc.PendingEnrolment(ctx, staff)
	if err != nil || again.Secret != en.Secret {
		t.Fatalf("pending enrolment %+v (%v), want the same secret", again, err)
	}
	// Not on until confirmed: a wrong first code leaves it off and waiting.
	if _, err := w.svc.ConfirmTwoFactor(ctx, staff, "000000"); !errors.Is(err, accounts.ErrTwoFactorCode) {
		t.Fatalf("wrong first code: %v", err)
	}
	mustLogin(t, w, "coord@example.org", staffPassword)

	codes, err := w.svc.ConfirmTwoFactor(ctx, staff, code(t, w, en.Secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != accounts.RecoveryCodeCount {
		t.Fatalf("%d recovery codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 19 || seen[c] {
			t.Fatalf("recovery codes %q", codes)
		}
		seen[c] = true
	}
	if _, err := w.svc.BeginTwoFactor(ctx, staff); !errors.Is(err, accounts.ErrTwoFactorOn) {
		t.Fatalf("set up again while on: %v", err)
	}

	// The code used to confirm cannot sign in (same step).
	pending := mustChallenge(t, w, "coord@example.org")
	if _, _, err := w.svc.CompleteSignIn(ctx, pending, code(t, w, en.Secret, 0), from("10.0.0.7")); !errors.Is(err, accounts.ErrSecondFactorUsed) {
		t.Fatalf("code of the confirming step: %v, want used", err)
	}
	w.clock.Advance(60 * time.Second)
	if _, _, err := w.svc.CompleteSignIn(ctx, pending, "123456", from("10.0.0.7")); !errors.Is(err, accounts.ErrBadSecondFactor) {
		t.Fatalf("wrong code: %v", err)
	}
	// A code one step old still works (a slow phone clock), with the same pending token.
	tok, u, err := w.svc.CompleteSignIn(ctx, pending, code(t, w, en.Secret, -30*time.Second), from("10.0.0.7"))
	if err != nil || u.ID != staff.UserID {
		t.Fatalf("right code: %v", err)
	}
	if got, err := w.svc.Authenticate(ctx, tok); err != nil || got.ID != staff.UserID {
		t.Fatalf("session after the code: %v", err)
	}
	// The pending token is single use.
	if _, _, err := w.svc.CompleteSignIn(ctx, pending, code(t, w, en.Secret, 0), from("10.0.0.7")); !errors.Is(err, accounts.ErrPendingSignInInvalid) {
		t.Fatalf("pending token used twice: %v", err)
	}

	t.Run("replay in the same step is refused", func(t *testing.T) {
		w.clock.Advance(30 * time.Second)
		c := code(t, w, en.Secret, 0)
		if _, _, err := w.svc.CompleteSignIn(ctx, mustChallenge(t, w, "coord@example.org"), c, from("10.0.0.7")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.CompleteSignIn(ctx, mustChallenge(t, w, "coord@example.org"), c, from("10.0.0.8")); !errors.Is(err, accounts.ErrSecondFactorUsed) {
			t.Fatalf("replayed code: %v", err)
		}
		// Nor is an older step's code, once a later one was used.
		if _, _, err := w.svc.CompleteSignIn(ctx, mustChallenge(t, w, "coord@example.org"), code(t, w, en.Secret, -30*time.Second), from("10.0.0.7")); !errors.Is(err, accounts.ErrSecondFactorUsed) {
			t.Fatalf("older code after a newer one: %v", err)
		}
	})

	t.Run("two steps away is refused", func(t *testing.T) {
		w.clock.Advance(30 * time.Second)
		p := mustChallenge(t, w, "coord@example.org")
		for _, off := range []time.Duration{-90 * time.Second, 90 * time.Second} {
			if _, _, err := w.svc.CompleteSignIn(ctx, p, code(t, w, en.Secret, off), from("10.0.0.7")); !errors.Is(err, accounts.ErrBadSecondFactor) {
				t.Fatalf("code %v away: %v", off, err)
			}
		}
	})

	t.Run("pending step expires after 5 minutes", func(t *testing.T) {
		w.clock.Advance(30 * time.Second)
		p := mustChallenge(t, w, "coord@example.org")
		w.clock.Advance(accounts.PendingSignInTTL)
		if _, _, err := w.svc.CompleteSignIn(ctx, p, code(t, w, en.Secret, 0), from("10.0.0.7")); !errors.Is(err, accounts.ErrPendingSignInInvalid) {
			t.Fatalf("expired pending step: %v", err)
		}
		if _, _, err := w.svc.CompleteSignIn(ctx, "not-a-token", code(t, w, en.Secret, 0), from("10.0.0.7")); !errors.Is(err, accounts.ErrPendingSignInInvalid) {
			t.Fatalf("unknown pending token: %v", err)
		}
	})

	t.Run("five wrong codes end the pending step", func(t *testing.T) {
		w.clock.Advance(15 * time.Minute) // a new throttle window
		p := mustChallenge(t, w, "coord@example.org")
		for range 5 {
			_, _, _ = w.svc.CompleteSignIn(ctx, p, "999999", from("10.0.0.7"))
		}
		if _, _, err := w.svc.CompleteSignIn(ctx, p, code(t, w, en.Secret, 0), from("10.0.0.7")); !errors.Is(err, accounts.ErrPendingSignInInvalid) {
			t.Fatalf("after 5 wrong codes: %v", err)
		}
	})

	t.Run("ten wrong codes in 15 minutes stop code checks", func(t *testing.T) {
		// Five wrong codes above; five more from a second password step reach the limit.
		p := mustChallenge(t, w, "coord@example.org")
		for range 5 {
			_, _, _ = w.svc.CompleteSignIn(ctx, p, "999999", from("10.0.0.7"))
		}
		p = mustChallenge(t, w, "coord@example.org")
		if _, _, err := w.svc.CompleteSignIn(ctx, p, code(t, w, en.Secret, 0), from("10.0.0.7")); !errors.Is(err, accounts.ErrThrottled) {
			t.Fatalf("after 10 wrong codes: %v, want throttled", err)
		}
	})

	t.Run("turning off needs a current code", func(t *testing.T) {
		w.clock.Advance(15 * time.Minute) // a new throttle window
		if err := w.svc.DisableTwoFactor(ctx, staff, "111111"); !errors.Is(err, accounts.ErrTwoFactorCode) {
			t.Fatalf("turn off with a wrong code: %v", err)
		}
		if err := w.svc.DisableTwoFactor(ctx, staff, code(t, w, en.Secret, 0)); err != nil {
			t.Fatal(err)
		}
		mustLogin(t, w, "coord@example.org", staffPassword)
		if err := w.svc.DisableTwoFactor(ctx, staff, code(t, w, en.Secret, 0)); !errors.Is(err, accounts.ErrTwoFactorOff) {
			t.Fatalf("turn off twice: %v", err)
		}
		got := strings.Join(auditActions(t, w, staff.UserID), " ")
		for _, want := range []string{"account.two_factor_on", "account.two_factor_off"} {
			if !strings.Contains(got, want) {
				t.Errorf("audit trail %q lacks %s", got, want)
			}
		}
	})
}

func TestTwoFactorRecoveryCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	staff := mustStaff(t, w, "coord@example.org")
	_, codes := mustEnrol(t, w, staff)

	// Typed as people do: upper case, without the dashes.
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	tok, _, err := w.svc.CompleteSignIn(ctx, mustChallenge(t, w, "coord@example.org"), typed, from("10.0.0.7"))
	if err != nil || tok == "" {
		t.Fatalf("recovery code: %v", err)
	}
	if _, _, err := w.svc.CompleteSignIn(ctx, mustChallenge(t, w, "coord@example.org"), codes[3], from("10.0.0.7")); !errors.Is(err, accounts.ErrBadSecondFactor) {
		t.Fatalf("recovery code used twice: %v", err)
	}
	u, err := w.svc.User(ctx, staff.UserID)
	if err != nil || u.RecoveryCodesLeft() != accounts.RecoveryCodeCount-1 {
		t.Fatalf("%d recovery codes left (%v)", u.RecoveryCodesLeft(), err)
	}
	if got := auditActions(t, w, staff.UserID); !strings.Contains(strings.Join(got, " "), "account.two_factor_recovery_used") {
		t.Fatalf("audit trail %q lacks the recovery code", got)
	}

	// Two devices using the same recovery code at once: one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	pendings := []string{mustChallenge(t, w, "coord@example.org"), mustChallenge(t, w, "coord@example.org")}
	for _, p := range pendings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := w.svc.CompleteSignIn(ctx, p, codes[5], from("10.0.0.7")); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("one recovery code opened %d sessions", wins)
	}
}

// The database holds the secret only sealed, and the recovery codes only as hashes.
func TestTwoFactorStoredSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	staff := mustStaff(t, w, "coord@example.org")
	en, err := w.svc.BeginTwoFactor(ctx, staff)
	if err != nil {
		t.Fatal(err)
	}
	raw := func() string {
		t.Helper()
		var doc bson.M
		if err := w.db.Read("users").FindOne(ctx, bson.M{"_id": staff.UserID}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		ext, err := bson.MarshalExtJSON(doc, false, false)
		if err != nil {
			t.Fatal(err)
		}
		return string(ext)
	}
	if doc := raw(); strings.Contains(doc, en.Secret) || !strings.Contains(doc, "fc1:") {
		t.Fatalf("pending secret stored in the clear: %s", doc)
	}
	codes, err := w.svc.ConfirmTwoFactor(ctx, staff, code(t, w, en.Secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	doc := raw()
	if strings.Contains(doc, en.Secret) || !strings.Contains(doc, "fc1:") {
		t.Fatalf("secret stored in the clear: %s", doc)
	}
	for _, c := range codes {
		if strings.Contains(doc, c) || strings.Contains(doc, strings.ReplaceAll(c, "-", "")) {
			t.Fatalf("recovery code %s stored in the clear: %s", c, doc)
		}
	}
	// The pending sign-in holds no password and no usable token.
	pending := mustChallenge(t, w, "coord@example.org")
	var p bson.M
	if err := w.db.Read("signin_pending").FindOne(ctx, bson.M{}).Decode(&p); err != nil {
		t.Fatal(err)
	}
	ext, _ := bson.MarshalExtJSON(p, false, false)
	if strings.Contains(string(ext), pending) || strings.Contains(string(ext), staffPassword) {
		t.Fatalf("pending sign-in stored in the clear: %s", ext)
	}
}

func TestTwoFactorOnlyForStaff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	buyer := mustRegister(t, w, "buyer@example.org", "buyer password 1")
	if _, err := w.svc.BeginTwoFactor(ctx, accounts.ActorOf(buyer, "")); !errors.Is(err, accounts.ErrTwoFactorStaffOnly) {
		t.Fatalf("a buyer sets up two-step sign-in: %v", err)
	}
	if _, err := w.svc.BeginTwoFactor(ctx, accounts.Actor{}); !errors.Is(err, accounts.ErrUnauthenticated) {
		t.Fatalf("nobody sets up two-step sign-in: %v", err)
	}
}

func TestStaffTwoFactorSetting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	staff := mustStaff(t, w, "coord@example.org")
	if _, err := w.svc.EnsureAdmin(ctx, "admin@example.org", staffPassword); err != nil {
		t.Fatal(err)
	}
	adminUser, err := w.svc.UserByLogin(ctx, "admin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	admin := accounts.ActorOf(adminUser, "10.0.0.1")
	buyer := accounts.ActorOf(mustRegister(t, w, "buyer@example.org", "buyer password 1"), "")

	if on, err := w.svc.StaffTwoFactorRequired(ctx); err != nil || on {
		t.Fatalf("required by default: %v %v", on, err)
	}
	for _, a := range []accounts.Actor{staff, buyer, {}} {
		if err := w.svc.SetStaffTwoFactorRequired(ctx, a, true); !errors.Is(err, accounts.ErrAdminOnly) {
			t.Fatalf("%q sets the requirement: %v", a.Role, err)
		}
	}
	if on, _ := w.svc.StaffTwoFactorRequired(ctx); on {
		t.Fatal("a refused change was saved")
	}
	if err := w.svc.SetStaffTwoFactorRequired(ctx, admin, true); err != nil {
		t.Fatal(err)
	}
	var doc bson.M
	if err := w.db.Read("settings").FindOne(ctx, bson.M{"_id": "security"}).Decode(&doc); err != nil || doc["staffTwoFactor"] != true {
		t.Fatalf("setting stored as %v (%v)", doc, err)
	}

	su, _ := w.svc.User(ctx, staff.UserID)
	if need, err := w.svc.TwoFactorSetupNeeded(ctx, su); err != nil || !need {
		t.Fatalf("coordinator without two-step sign-in: need %v (%v)", need, err)
	}
	bu, _ := w.svc.User(ctx, buyer.UserID)
	if need, _ := w.svc.TwoFactorSetupNeeded(ctx, bu); need {
		t.Fatal("a buyer was asked to set up two-step sign-in")
	}
	mustEnrol(t, w, staff)
	su, _ = w.svc.User(ctx, staff.UserID)
	if need, _ := w.svc.TwoFactorSetupNeeded(ctx, su); need {
		t.Fatal("still asked after setting it up")
	}
	entries, err := w.audit.List(ctx, audit.Query{RecordID: "security"})
	if err != nil || len(entries) != 1 || entries[0].Action != "settings.staff_two_factor" || entries[0].ActorID != admin.UserID {
		t.Fatalf("setting's audit trail %+v (%v)", entries, err)
	}
}

func TestNewServiceRefusesMissingDependencies(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	deps := mustDeps(t, w.db)
	for name, d := range map[string]accounts.Deps{"box": {Audit: deps.Audit}, "audit": {Box: deps.Box}} {
		if _, err := accounts.NewService(context.Background(), w.db, d); err == nil || !strings.Contains(strings.ToLower(err.Error()), name) {
			t.Errorf("without %s: %v", name, err)
		}
	}
}
