// Package stripetest runs Stripe's own API mock (stripe-mock, a tool dependency in go.mod) for a
// test, behind a small recording proxy, so tests talk to a real Stripe-shaped HTTP API that
// validates every parameter, and can assert which calls were made and with which idempotency keys.
//
// stripe-mock is stateless: it answers with fixtures and never sends webhooks. Tests drive state
// changes by posting signed events (see SignedEvent) to the app's webhook endpoint.
package stripetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// Key is the secret key tests use; stripe-mock accepts any sk_test_ key.
const Key = "sk_test_123"

// WebhookSecret is the signing secret tests configure and sign events with.
const WebhookSecret = "whsec_test"

// Request is one call the app made to Stripe.
type Request struct {
	Method         string
	Path           string
	IdempotencyKey string
	Form           url.Values
}

// Server is a running stripe-mock behind a recording proxy.
type Server struct {
	// URL is where to point stripe-go (BackendConfig.URL).
	URL string

	mu       sync.Mutex
	requests []Request
	fail     map[string]int // path prefix → how many more calls to answer with 500
	slow     map[string]slowCalls
}

type slowCalls struct {
	n     int
	delay time.Duration
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds stripe-mock once per test binary from the module's tool dependency (offline: the
// module cache has it; the Go build cache makes later builds quick). It lives at one path under
// the temporary directory, replaced by each build, so repeated runs do not pile up copies.
func binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "fairhands-stripetest")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		// Build to a private name, then rename: several test binaries may build at once.
		tmp := filepath.Join(dir, fmt.Sprintf("stripe-mock.%d", os.Getpid()))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, "github.com/stripe/stripe-mock")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build stripe-mock: %v: %s", err, out.String())
			return
		}
		binPath = filepath.Join(dir, "stripe-mock")
		buildErr = os.Rename(tmp, binPath)
	})
	if buildErr != nil {
		tb.Fatalf("stripetest: %v", buildErr)
	}
	return binPath
}

// shared is the one stripe-mock process of a test binary. stripe-mock is stateless, so tests can
// share it (each gets its own recording proxy); starting one takes seconds (it loads Stripe's
// OpenAPI spec), so sharing keeps a package's tests quick. It stops when the last test using it
// has ended and no other asks for it within idleStop, and dies with the test binary in any case.
var shared struct {
	mu       sync.Mutex
	users    int
	upstream string
	stop     func()
	idle     *time.Timer
}

const idleStop = 3 * time.Second

// acquire returns the shared stripe-mock's URL, starting it if none runs.
func acquire(tb testing.TB) string {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.idle != nil {
		shared.idle.Stop()
		shared.idle = nil
	}
	if shared.stop == nil {
		upstream, stop, err := launch(binary(tb))
		if err != nil {
			tb.Fatalf("stripetest: %v", err)
		}
		shared.upstream, shared.stop = upstream, stop
	}
	shared.users++
	return shared.upstream
}

// release gives the shared stripe-mock back; the last user's release stops it after idleStop.
func release() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.users--
	if shared.users > 0 || shared.stop == nil {
		return
	}
	shared.idle = time.AfterFunc(idleStop, func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		if shared.users == 0 && shared.stop != nil {
			shared.stop()
			shared.stop, shared.upstream = nil, ""
		}
	})
}

// launch starts stripe-mock on 127.0.0.1 (ports it picks itself) and waits until it answers.
func launch(bin string) (upstream string, stop func(), err error) {
	ctx, cancel := context.WithCancel(context.Background())
	// Both listeners on port 0 of the loopback: by default stripe-mock also opens HTTPS on 12112,
	// which parallel test binaries would fight over.
	cmd := exec.CommandContext(ctx, bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	// If the test binary dies without cleaning up, the kernel stops stripe-mock too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	stopped := make(chan struct{})
	addrc := make(chan string, 1)
	go func() {
		defer close(stopped)
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if _, addr, ok := strings.Cut(sc.Text(), "Listening for HTTP at address: "); ok && !sent {
				addrc <- strings.TrimSpace(addr)
				sent = true
			}
		}
		_ = cmd.Wait()
	}()
	stop = func() {
		cancel()
		<-stopped
	}
	select {
	case addr := <-addrc:
		upstream = "http://" + addr
	case <-stopped:
		cancel()
		return "", nil, errors.New("stripe-mock exited before listening")
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("stripe-mock did not start within 30 s")
	}
	if err := waitReady(upstream, 30*time.Second); err != nil {
		stop()
		return "", nil, err
	}
	return upstream, stop, nil
}

// Start gives the test a stripe-mock (started on first use, on 127.0.0.1 with a free port,
// once it answers) behind a recording proxy of its own, and releases it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	upstream := acquire(tb)
	s := &Server{fail: map[string]int{}, slow: map[string]slowCalls{}}
	target, _ := url.Parse(upstream)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if r.Method == http.MethodGet {
			form = r.URL.Query()
		}
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path,
			IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form})
		failNow := false
		for prefix, n := range s.fail {
			if n > 0 && strings.HasPrefix(r.URL.Path, prefix) {
				s.fail[prefix] = n - 1
				failNow = true
				break
			}
		}
		var delay time.Duration
		for prefix, sc := range s.slow {
			if sc.n > 0 && strings.HasPrefix(r.URL.Path, prefix) {
				s.slow[prefix] = slowCalls{n: sc.n - 1, delay: sc.delay}
				delay = sc.delay
				break
			}
		}
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return // the client gave up
			}
		}
		if failNow {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":{"type":"api_error","message":"stripetest: injected failure"}}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	s.URL = front.URL
	tb.Cleanup(func() {
		front.Close()
		release()
	})
	return s
}

// waitReady polls until stripe-mock answers an authenticated request.
func waitReady(base string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer "+Key)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("not ready")
			}
			return fmt.Errorf("stripe-mock did not answer within %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Requests returns the calls made so far whose method and path match (path by prefix; empty
// matches all).
func (s *Server) Requests(method, pathPrefix string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, r)
		}
	}
	return out
}

// FailNext makes the next n calls whose path starts with pathPrefix answer 500, as Stripe does
// when it has trouble, so tests can see retries with backoff keep the same idempotency key.
func (s *Server) FailNext(pathPrefix string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[pathPrefix] = n
}

// SlowNext makes the next n calls whose path starts with pathPrefix wait delay before they are
// answered, as a Stripe having a slow day does.
func (s *Server) SlowNext(pathPrefix string, n int, delay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow[pathPrefix] = slowCalls{n: n, delay: delay}
}

// Event builds a Stripe event of the given type around object, in the API version stripe-go v76
// is pinned to unless apiVersion is set.
func Event(id, typ string, object map[string]any, created time.Time) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"created": created.Unix(), "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// Sign returns the Stripe-Signature header for payload, signed now with secret.
func Sign(payload []byte, secret string) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()}).Header
}
