// Package apptest runs the whole marketplace for a test — embedded store, every service, real
// HTTP through httptest — and offers helpers to create the people a test needs.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/store/storetest"
)

// Password is the password of every account the helpers create.
const Password = "test-password-1"

// Env is a running marketplace.
type Env struct {
	TB     testing.TB
	App    *app.App
	DB     *store.DB
	Server *httptest.Server
	Key    []byte

	AdminToken string
	seq        atomic.Int64
}

// Option adjusts the configuration before the app is built.
type Option func(*app.Config)

// WithRateLimits runs with production rate limits.
func WithRateLimits() Option { return func(c *app.Config) { c.RateLimitScale = 1 } }

// New starts a marketplace on a fresh embedded store.
func New(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	db := storetest.New(tb)
	key, _ := fieldcrypt.ParseKey(fieldcrypt.NewKey())
	// Many requests come from one test client; limits are tested on their own with WithRateLimits.
	cfg := app.Config{BaseURL: "http://example.test", SessionSecret: strings.Repeat("s", 32), EncryptionKey: key, RateLimitScale: 1000,
		MailDir: tb.TempDir()}
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewJSONHandler(&tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx := context.Background()
	a, err := app.New(ctx, cfg, db, log)
	if err != nil {
		tb.Fatalf("build app: %v", err)
	}
	a.Accounts.FailureDelay = 20 * time.Millisecond // the slow-down is real, but tests need not wait long
	// Every /api/v1 request and answer is checked against api/openapi.json (see openapi.go).
	srv := httptest.NewServer(specChecked(tb, a.Handler))
	wctx, cancel := context.WithCancel(context.Background())
	done := a.StartWorkers(wctx)
	tb.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
	})
	e := &Env{TB: tb, App: a, DB: db, Server: srv, Key: key}
	if _, err := a.Accounts.EnsureAdmin(ctx, "admin@test.example", Password); err != nil {
		tb.Fatalf("admin: %v", err)
	}
	e.AdminToken = e.Login("admin@test.example", Password)
	return e
}

type tbWriter struct{ tb testing.TB }

func (w *tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Response is a decoded JSON response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// Str returns a top-level string field.
func (r Response) Str(key string) string { s, _ := r.JSON[key].(string); return s }

// Num returns a top-level number field.
func (r Response) Num(key string) float64 { n, _ := r.JSON[key].(float64); return n }

// ErrCode returns error.code of an error body.
func (r Response) ErrCode() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// Do sends a request with an optional bearer token and JSON body (a string is sent verbatim).
func (e *Env) Do(method, path, token string, body any) Response {
	e.TB.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.TB.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		e.TB.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Send(req)
}

// Send sends a prepared request and decodes a JSON answer when there is one.
func (e *Env) Send(req *http.Request) Response {
	e.TB.Helper()
	res, err := e.Server.Client().Do(req)
	if err != nil {
		e.TB.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := Response{Status: res.StatusCode, Header: res.Header, Body: b}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(b, &r.JSON)
	}
	return r
}

// Must sends a request and fails the test unless the status is want.
func (e *Env) Must(want int, method, path, token string, body any) Response {
	e.TB.Helper()
	r := e.Do(method, path, token, body)
	if r.Status != want {
		e.TB.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// Login returns a session token.
func (e *Env) Login(login, password string) string {
	e.TB.Helper()
	r := e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"login": login, "password": password})
	return r.Str("token")
}

func (e *Env) next() int64 { return e.seq.Add(1) }

// TOTP is the code an authenticator app with secret shows at now+offset.
func TOTP(tb testing.TB, secret string, offset time.Duration) string {
	tb.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(offset))
	if err != nil {
		tb.Fatalf("totp code: %v", err)
	}
	return c
}

// EnableTwoFactor switches two-step sign-in on for the staff account behind token, through the
// API, and returns its secret and recovery codes. The code that confirmed it is of the current
// 30-second step, so the next sign-in should use TOTP(tb, secret, 30*time.Second): one step
// ahead is accepted, and a step already used is not.
func (e *Env) EnableTwoFactor(token string) (string, []string) {
	e.TB.Helper()
	r := e.Must(http.StatusOK, "POST", "/api/v1/account/two-factor/setup", token, nil)
	secret := r.Str("secret")
	r = e.Must(http.StatusOK, "POST", "/api/v1/account/two-factor/confirm", token, map[string]string{"code": TOTP(e.TB, secret, 0)})
	var codes []string
	for _, c := range r.JSON["recoveryCodes"].([]any) {
		codes = append(codes, c.(string))
	}
	return secret, codes
}

// PendingLogin signs in with a password that needs a second step and returns the pending token
// of its two_factor_required answer.
func (e *Env) PendingLogin(login, password string) string {
	e.TB.Helper()
	r := e.Must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]string{"login": login, "password": password})
	if r.ErrCode() != "two_factor_required" {
		e.TB.Fatalf("login %s: code %q, want two_factor_required", login, r.ErrCode())
	}
	details, _ := r.JSON["error"].(map[string]any)["details"].(map[string]any)
	tok, _ := details["pendingToken"].(string)
	if tok == "" {
		e.TB.Fatalf("login %s: no pendingToken in %s", login, r.Body)
	}
	return tok
}

// Program creates a program (INR, living wage ₹90.00 an hour) and returns its id.
func (e *Env) Program(name string) string {
	e.TB.Helper()
	r := e.Must(http.StatusCreated, "POST", "/api/v1/programs", e.AdminToken, map[string]any{
		"name": name, "city": "Kolkata", "country": "IN", "currency": "INR", "livingWageHourly": 9000})
	return r.Str("id")
}

// Coordinator invites and activates a coordinator of programID and returns (userID, token).
func (e *Env) Coordinator(programID string) (string, string) {
	e.TB.Helper()
	email := fmt.Sprintf("coord%d@test.example", e.next())
	r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+programID+"/coordinators", e.AdminToken,
		map[string]string{"name": "Coordinator", "email": email})
	e.Must(http.StatusOK, "POST", "/api/v1/invites/"+r.Str("inviteToken")+"/accept", "", map[string]string{"password": Password})
	return r.Str("id"), e.Login(email, Password)
}

// Maker registers a maker in programID (with public-profile and story consent) through the
// coordinator's token, activates the account, and returns (makerID, token).
func (e *Env) Maker(programID, coordToken string) (string, string) {
	e.TB.Helper()
	n := e.next()
	r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+programID+"/makers", coordToken, map[string]any{
		"displayName": fmt.Sprintf("Maker %d", n), "legalName": fmt.Sprintf("Legal Name %d", n), "phone": "+91 90000 0000" + fmt.Sprint(n%10),
		"story":   "I make things by hand.",
		"consent": map[string]bool{"publicProfile": true, "story": true, "workPhotos": true}})
	login := fmt.Sprintf("maker%d", n)
	e.Must(http.StatusOK, "POST", "/api/v1/invites/"+r.Str("inviteToken")+"/accept", "", map[string]string{"login": login, "password": Password})
	return r.Str("id"), e.Login(login, Password)
}

// PublicID returns a maker's current public id (her public page and her products' links use it,
// never her account id).
func (e *Env) PublicID(makerID string) string {
	e.TB.Helper()
	m, err := e.App.Programs.Registry().Maker(context.Background(), makerID)
	if err != nil {
		e.TB.Fatalf("maker %s: %v", makerID, err)
	}
	return m.PublicID
}

// Buyer registers a buyer and returns (userID, token).
func (e *Env) Buyer() (string, string) {
	e.TB.Helper()
	email := fmt.Sprintf("buyer%d@test.example", e.next())
	r := e.Must(http.StatusCreated, "POST", "/api/v1/auth/register", "", map[string]string{"email": email, "password": Password, "name": "Buyer"})
	return r.Str("id"), e.Login(email, Password)
}

// Actor loads the actor for a user id, for calling services directly.
func (e *Env) Actor(userID string) accounts.Actor {
	e.TB.Helper()
	u, err := e.App.Accounts.User(context.Background(), userID)
	if err != nil {
		e.TB.Fatalf("load user: %v", err)
	}
	return accounts.ActorOf(u, "127.0.0.1")
}

// Eventually retries f until it returns true or the timeout passes.
func Eventually(tb testing.TB, timeout time.Duration, f func() bool) bool {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if f() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return f()
}

// RawPrograms is the programs' store itself, for tests that must put a record into a state no
// request can (a display name changed behind the service's back, a consent flipped in place).
func (e *Env) RawPrograms() *programs.Store {
	e.TB.Helper()
	st, err := programs.NewStore(context.Background(), e.DB)
	if err != nil {
		e.TB.Fatalf("programs store: %v", err)
	}
	return st
}

// RawProducts is the catalog's product store itself, for tests that check what is stored
// (stock and holds) beneath the service.
func (e *Env) RawProducts() *catalog.ProductStore {
	e.TB.Helper()
	st, err := catalog.NewProductStore(context.Background(), e.DB)
	if err != nil {
		e.TB.Fatalf("product store: %v", err)
	}
	return st
}
