package accounts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/store/storetest"
)

func from(ip string) accounts.SessionMeta { return accounts.SessionMeta{IP: ip, UserAgent: "test"} }

func loginErr(w world, login, password, ip string) error {
	_, _, err := w.svc.Login(context.Background(), login, password, from(ip))
	return err
}

// Wrong passwords never lock an account: they throttle the client that sent them, so nobody can
// shut a maker out by guessing at her (often public) login name.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()

	t.Run("the right password from another client still works", func(t *testing.T) {
		w := mustWorld(t)
		mustRegister(t, w, "tara@example.org", "right-password")
		for i := range 5 {
			if err := loginErr(w, "tara@example.org", "wrong-password", "198.51.100.7"); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("wrong password #%d: %v", i+1, err)
			}
		}
		if err := loginErr(w, "tara@example.org", "right-password", "198.51.100.7"); !errors.Is(err, accounts.ErrThrottled) {
			t.Fatalf("the guessing client's sixth try: %v, want ErrThrottled", err)
		}
		if err := loginErr(w, "tara@example.org", "right-password", "203.0.113.9"); err != nil {
			t.Fatalf("the owner on her own phone is refused: %v", err)
		}
		w.clock.Advance(15 * time.Minute)
		if err := loginErr(w, "tara@example.org", "right-password", "198.51.100.7"); err != nil {
			t.Fatalf("the throttled client after the window: %v", err)
		}
	})

	t.Run("a success clears the client's count", func(t *testing.T) {
		w := mustWorld(t)
		mustRegister(t, w, "ria@example.org", "right-password")
		for range 2 {
			for range 4 {
				if err := loginErr(w, "ria@example.org", "wrong-password", "10.0.0.1"); !errors.Is(err, accounts.ErrBadCredentials) {
					t.Fatal(err)
				}
			}
			if err := loginErr(w, "ria@example.org", "right-password", "10.0.0.1"); err != nil {
				t.Fatalf("after 4 mistakes: %v", err)
			}
		}
	})

	t.Run("one client may fail only so often across every login", func(t *testing.T) {
		w := mustWorld(t)
		mustRegister(t, w, "mala@example.org", "right-password")
		for i := range 50 {
			login := "guess" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.org"
			if err := loginErr(w, login, "wrong-password", "192.0.2.50"); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("guess #%d: %v", i+1, err)
			}
		}
		if err := loginErr(w, "mala@example.org", "right-password", "192.0.2.50"); !errors.Is(err, accounts.ErrThrottled) {
			t.Fatalf("after 50 failures the client may still try: %v", err)
		}
		if err := loginErr(w, "mala@example.org", "right-password", "192.0.2.51"); err != nil {
			t.Fatalf("another client: %v", err)
		}
	})

	// Guesses sent at once must each count: no more than 5 are checked.
	t.Run("parallel guesses all count", func(t *testing.T) {
		w := mustWorld(t)
		mustRegister(t, w, "many@example.org", "right-password")
		var mu sync.Mutex
		checked := 0
		var wg sync.WaitGroup
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := loginErr(w, "many@example.org", "wrong-password", "198.51.100.1")
				switch {
				case errors.Is(err, accounts.ErrBadCredentials):
					mu.Lock()
					checked++
					mu.Unlock()
				case !errors.Is(err, accounts.ErrThrottled):
					t.Errorf("parallel wrong password: %v", err)
				}
			}()
		}
		wg.Wait()
		if checked > 5 {
			t.Fatalf("%d of 12 parallel guesses were checked, want at most 5", checked)
		}
		if err := loginErr(w, "many@example.org", "right-password", "198.51.100.1"); !errors.Is(err, accounts.ErrThrottled) {
			t.Fatalf("after 12 parallel guesses the same client gets %v, want ErrThrottled", err)
		}
	})
}

// Known and unknown logins must be told apart neither by the answer nor by the time it takes.
func TestLoginDoesNotRevealAccounts(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	w.svc.FailureDelay = 40 * time.Millisecond
	mustRegister(t, w, "real@example.org", "right-password")
	var answers [2][]error
	for i, login := range []string{"real@example.org", "nobody@example.org"} {
		for range 6 {
			answers[i] = append(answers[i], loginErr(w, login, "wrong-password", "198.51.100.3"))
		}
	}
	for n := range answers[0] {
		if answers[0][n] != answers[1][n] {
			t.Fatalf("try #%d: a real login answers %v, an unknown one %v", n+1, answers[0][n], answers[1][n])
		}
	}
	// Wrong answers are slowed down for unknown logins exactly as for real ones.
	start := time.Now()
	if err := loginErr(w, "someone-else@example.org", "wrong-password", "198.51.100.4"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatal(err)
	}
	if d := time.Since(start); d < w.svc.FailureDelay {
		t.Fatalf("an unknown login answered in %v, faster than the %v every wrong password waits", d, w.svc.FailureDelay)
	}
}

type alarmLog struct {
	mu    sync.Mutex
	users []string
}

func (a *alarmLog) LoginAttack(_ context.Context, u accounts.User, attempts int, ip string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users = append(a.users, u.ID)
	return nil
}

// Many wrong passwords on one account, even from many clients, are reported to staff once per
// window, and marked on the account for the coordinator's page.
func TestLoginAttackAlarm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	alarms := &alarmLog{}
	svc, err := accounts.NewService(ctx, db, mustDeps(t, db), accounts.WithAlarm(alarms))
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	svc.Now, svc.FailureDelay = c.Now, time.Millisecond
	w := world{svc: svc, db: db, clock: c}
	u := mustRegister(t, w, "target@example.org", "right-password")
	for i := range 25 {
		ip := "198.51.100." + string(rune('0'+i/5))
		_ = loginErr(w, "target@example.org", "wrong-password", ip)
		_ = loginErr(w, "ghost@example.org", "wrong-password", ip)
	}
	if len(alarms.users) != 1 || alarms.users[0] != u.ID {
		t.Fatalf("alarms: %v, want one for %s", alarms.users, u.ID)
	}
	got, err := svc.User(ctx, u.ID)
	if err != nil || !got.LoginAttackAt.Equal(c.Now()) {
		t.Fatalf("account not marked: %v %v", got.LoginAttackAt, err)
	}
	if err := loginErr(w, "target@example.org", "right-password", "203.0.113.1"); err != nil {
		t.Fatalf("the owner during the attack: %v", err)
	}
}

// Signing up with an e-mail that has an account answers as for a new one and changes nothing.
func TestRegisterDoesNotRevealAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	first := mustRegister(t, w, "asha@example.org", "a long passphrase")
	for _, email := range []string{"asha@example.org", "  ASHA@example.ORG "} {
		again, err := w.svc.Register(ctx, accounts.RegisterInput{Email: email, Password: "another password", Name: "A"})
		if err != nil {
			t.Fatalf("sign-up with a used e-mail: %v, want the same answer as a new one", err)
		}
		if again.ID == "" || again.ID == first.ID || again.Role != accounts.RoleBuyer || again.Email != "asha@example.org" {
			t.Fatalf("the answer differs from a new account's or reveals the old one: %+v", again)
		}
	}
	if n, err := w.db.Read("users").CountDocuments(ctx, bson.M{}); err != nil || n != 1 {
		t.Fatalf("%d users stored (%v), want 1", n, err)
	}
	mustLogin(t, w, "asha@example.org", "a long passphrase")
	if err := loginErr(w, "asha@example.org", "another password", "10.0.0.2"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("the second sign-up changed the password: %v", err)
	}
}

// Staff sessions end after 30 minutes idle or 12 hours; makers' and buyers' after 7 days idle
// or 30 days; use moves the idle deadline, writing at most once a minute.
func TestSessionLifetimes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ok := func(t *testing.T, w world, tok string) {
		t.Helper()
		if _, err := w.svc.Authenticate(ctx, tok); err != nil {
			t.Fatalf("session ended too soon (%v): %v", w.clock.Now(), err)
		}
	}
	gone := func(t *testing.T, w world, tok string) {
		t.Helper()
		if u, err := w.svc.Authenticate(ctx, tok); !errors.Is(err, accounts.ErrUnauthenticated) {
			t.Fatalf("session still resolves to %q (%v)", u.ID, err)
		}
	}
	admin := func(t *testing.T, w world) string {
		if _, err := w.svc.EnsureAdmin(ctx, "admin@example.org", "a good password"); err != nil {
			t.Fatal(err)
		}
		return mustLogin(t, w, "admin@example.org", "a good password")
	}

	t.Run("staff: 30 minutes idle", func(t *testing.T) {
		w := mustWorld(t)
		tok := admin(t, w)
		w.clock.Advance(29 * time.Minute)
		ok(t, w, tok)
		w.clock.Advance(29 * time.Minute) // 58 minutes in, 29 idle
		ok(t, w, tok)
		w.clock.Advance(30 * time.Minute)
		gone(t, w, tok)
		gone(t, w, tok)
	})
	t.Run("staff: 12 hours in all", func(t *testing.T) {
		w := mustWorld(t)
		tok := admin(t, w)
		for range 35 { // 11 h 40 min of steady use
			w.clock.Advance(20 * time.Minute)
			ok(t, w, tok)
		}
		w.clock.Advance(20 * time.Minute)
		gone(t, w, tok)
	})
	t.Run("members: 7 days idle, 30 days in all", func(t *testing.T) {
		w := mustWorld(t)
		mustRegister(t, w, "b@example.org", "right-password")
		idle := mustLogin(t, w, "b@example.org", "right-password")
		used := mustLogin(t, w, "b@example.org", "right-password")
		w.clock.Advance(6 * 24 * time.Hour)
		ok(t, w, used)
		w.clock.Advance(24 * time.Hour)
		gone(t, w, idle)
		ok(t, w, used)
		for range 3 { // used every 6 days, up to day 25
			w.clock.Advance(6 * 24 * time.Hour)
			ok(t, w, used)
		}
		w.clock.Advance(5*24*time.Hour - time.Minute)
		ok(t, w, used)
		w.clock.Advance(time.Minute)
		gone(t, w, used)
	})
	t.Run("the idle deadline is written at most once a minute", func(t *testing.T) {
		w := mustWorld(t)
		mustRegister(t, w, "c@example.org", "right-password")
		tok := mustLogin(t, w, "c@example.org", "right-password")
		start := w.clock.Now()
		lastSeen := func() time.Time {
			var s accounts.Session
			if err := w.db.Read("sessions").FindOne(ctx, bson.M{"_id": accounts.HashToken(tok)}).Decode(&s); err != nil {
				t.Fatal(err)
			}
			return s.LastSeenAt
		}
		for range 5 {
			w.clock.Advance(10 * time.Second)
			ok(t, w, tok)
		}
		if got := lastSeen(); !got.Equal(start) {
			t.Fatalf("last seen moved to %v within the first minute: a write per request", got)
		}
		w.clock.Advance(20 * time.Second)
		ok(t, w, tok)
		if got := lastSeen(); !got.Equal(w.clock.Now()) {
			t.Fatalf("last seen %v after a minute, want %v", got, w.clock.Now())
		}
	})
	t.Run("the policy is configurable", func(t *testing.T) {
		db := storetest.New(t)
		svc, err := accounts.NewService(ctx, db, mustDeps(t, db), accounts.WithSessionPolicy(accounts.SessionPolicy{
			StaffIdle: time.Minute * 5, StaffMax: time.Hour, MemberIdle: time.Hour, MemberMax: 2 * time.Hour}))
		if err != nil {
			t.Fatal(err)
		}
		c := newClock()
		svc.Now = c.Now
		w := world{svc: svc, db: db, clock: c}
		tok := admin(t, w)
		c.Advance(5 * time.Minute)
		gone(t, w, tok)
		if _, err := accounts.NewService(ctx, db, mustDeps(t, db), accounts.WithSessionPolicy(accounts.SessionPolicy{
			StaffIdle: 2 * time.Hour, StaffMax: time.Hour, MemberIdle: time.Hour, MemberMax: time.Hour})); err == nil {
			t.Fatal("an idle limit longer than the lifetime was accepted")
		}
	})
	t.Run("the sweep removes idle sessions", func(t *testing.T) {
		w := mustWorld(t)
		mustRegister(t, w, "d@example.org", "right-password")
		mustLogin(t, w, "d@example.org", "right-password")
		w.clock.Advance(7*24*time.Hour + time.Minute)
		if n, err := w.svc.DeleteExpiredSessions(ctx, w.clock.Now()); err != nil || n != 1 {
			t.Fatalf("swept %d (%v), want the idle session", n, err)
		}
	})
}
