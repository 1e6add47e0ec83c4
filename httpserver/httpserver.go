// Package httpserver is the one HTTP shell both faces of the marketplace mount on: it builds the
// engine, the global middleware (request ids and logs, recovery, security headers), the answers
// for unknown paths and wrong methods, and the one table from domain errors to HTTP statuses.
//
// The JSON API (package api) and the web pages (package frontend) each only mount their routes;
// neither imports the other. Whatever goes wrong outside a handler's own reply is answered by the
// shell in the reader's terms: JSON under /api and for the health and metrics endpoints, the
// site's HTML error pages (in the reader's language) everywhere else.
package httpserver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/metrics"
	"github.com/fairhands/marketplace/ratelimit"
	"github.com/fairhands/marketplace/store"
)

// SessionCookie is the browser session cookie's name: the pages set it at sign-in and the API
// accepts it as well as a bearer token.
const SessionCookie = "session"

const (
	ctxLogger    = "logger"
	ctxRequestID = "requestId"
)

// Face is one side of the site that mounts its routes on the shared engine.
type Face interface {
	Mount(r *gin.Engine)
}

// FaceFunc is a face given as a function.
type FaceFunc func(r *gin.Engine)

// Mount calls f.
func (f FaceFunc) Mount(r *gin.Engine) { f(r) }

// ErrorPages renders the site's HTML error page for status (404, 405, 500 or 503) in the
// reader's language. The shell calls it for web paths only; it must write a response.
type ErrorPages interface {
	ErrorPage(c *gin.Context, status int)
}

// Config is what the shell needs to build the engine.
type Config struct {
	Logger *slog.Logger
	// Metrics counts requests by route; nil counts nothing.
	Metrics *metrics.Metrics
	// HSTS is on when the site is served over TLS.
	HSTS bool
	// Pages renders HTML error pages for web paths; nil answers JSON everywhere.
	Pages ErrorPages
	// TrustedProxies lists the proxies (CIDRs or addresses) whose X-Forwarded-For is believed;
	// empty trusts none, so every client is known by its own address.
	TrustedProxies []string
	// RateLimitScale multiplies the limit on answers that found nothing (0 means 1); tests that
	// are not about limits raise it, as for the other rate limits.
	RateLimitScale float64
}

// Misses allowed per client on routes that take an id (a product, a maker's public id, an
// order link, a certificate code): a person mistypes a few; a scanner guessing ids makes
// hundreds. Once spent, every id route answers 429 until the bucket refills.
const (
	missesPerMinute = 20
	missesBurst     = 40
)

// New builds the engine with the global middleware and mounts each face on it.
func New(cfg Config, faces ...Face) (*gin.Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// A client's X-Forwarded-For is believed only from a configured proxy.
	r.ForwardedByClientIP = len(cfg.TrustedProxies) > 0
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	scale := cfg.RateLimitScale
	if scale <= 0 {
		scale = 1
	}
	sh := &shell{pages: cfg.Pages, misses: ratelimit.New(missesPerMinute*scale, int(missesBurst*scale))}
	r.Use(requestLog(cfg.Logger, cfg.Metrics), sh.recover, securityHeaders(cfg.HSTS), sh.guardScans)
	r.NoRoute(func(c *gin.Context) { sh.fail(c, http.StatusNotFound, errNotFoundRoute) })
	r.NoMethod(sh.methodNotAllowed)
	for _, f := range faces {
		f.Mount(r)
	}
	return r, nil
}

type shell struct {
	pages  ErrorPages
	misses *ratelimit.Keyed
}

// guardScans counts, per client, the answers "not found" on routes that take an id, and refuses
// id routes to a client that has had too many: guessing makers' or orders' ids is slow.
func (sh *shell) guardScans(c *gin.Context) {
	if !strings.Contains(c.FullPath(), "/:") {
		c.Next()
		return
	}
	key := c.ClientIP()
	if sh.misses.Spent(key) {
		c.Header("Retry-After", "60")
		sh.fail(c, http.StatusTooManyRequests, errTooManyMisses)
		return
	}
	c.Next()
	if c.Writer.Status() == http.StatusNotFound {
		sh.misses.Allow(key)
	}
}

// IsAPIPath reports whether a path is answered in JSON: the API, health checks and metrics.
func IsAPIPath(p string) bool {
	return p == "/api" || strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics"
}

func (sh *shell) html(c *gin.Context) bool {
	return sh.pages != nil && !IsAPIPath(c.Request.URL.Path)
}

// fail answers what no handler answered: the HTML page for web paths, JSON otherwise.
func (sh *shell) fail(c *gin.Context, status int, err error) {
	if sh.html(c) {
		sh.pages.ErrorPage(c, status)
		c.Abort()
		return
	}
	JSONError(c, err)
}

// recover turns a panic into a logged 500: the site's error page for web paths, the JSON error
// body for the API. A handler that had already started its reply is cut short.
func (sh *shell) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			Logger(c).Error("panic", "panic", fmt.Sprint(r), "route", c.FullPath())
			if c.Writer.Written() {
				c.Abort()
				return
			}
			c.Writer.Header().Del("Content-Encoding")
			sh.fail(c, http.StatusInternalServerError, errInternal)
		}
	}()
	c.Next()
}

// methodNotAllowed answers a request whose path exists but not with its method: 405, with the
// Allow header gin has already set. For a web page a person usually followed a link to a
// form's address: the HTML page offers the way on.
func (sh *shell) methodNotAllowed(c *gin.Context) {
	if sh.html(c) {
		sh.pages.ErrorPage(c, http.StatusMethodNotAllowed)
		c.Abort()
		return
	}
	msg := "this endpoint does not accept that method"
	if allow := c.Writer.Header().Get("Allow"); allow != "" {
		msg += ": use " + allow
	}
	c.AbortWithStatusJSON(http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed", Message: msg}})
}

// statusOf is the one table from domain error kinds to HTTP statuses, for both faces.
var statusOf = map[fault.Kind]int{
	fault.Invalid:       http.StatusBadRequest,
	fault.Unauthorized:  http.StatusUnauthorized,
	fault.Forbidden:     http.StatusForbidden,
	fault.NotFound:      http.StatusNotFound,
	fault.Conflict:      http.StatusConflict,
	fault.Unprocessable: http.StatusUnprocessableEntity,
	fault.TooMany:       http.StatusTooManyRequests,
	fault.Unavailable:   http.StatusServiceUnavailable,
	fault.TooLarge:      http.StatusRequestEntityTooLarge,
}

// Classify maps an error to the status it answers and the domain error behind it. An
// unreachable database becomes fault.Unavailable (503, try again); an error with no kind is
// ours (500) and comes back with ok false.
func Classify(err error) (status int, fe *fault.Error, ok bool) {
	if store.IsUnreachable(err) {
		return http.StatusServiceUnavailable, ErrDatabaseDown, true
	}
	fe, ok = fault.As(err)
	if !ok {
		return http.StatusInternalServerError, nil, false
	}
	if s, known := statusOf[fe.Kind]; known {
		return s, fe, true
	}
	return http.StatusInternalServerError, fe, true
}

// ErrorBody is the JSON error answer: {"error":{"code","message","fields"?,"details"?}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Details map[string]any    `json:"details,omitempty"`
}

// JSONError writes err as the JSON error body with the status its kind maps to. Server-side
// failures are logged in full and the caller sees a plain message.
func JSONError(c *gin.Context, err error) {
	status, fe, ok := Classify(err)
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "5")
	}
	if status >= 500 {
		Logger(c).Error("request failed", "err", err.Error())
		body := ErrorDetail{Code: "internal", Message: errInternal.Message}
		if ok && fe.Kind == fault.Unavailable {
			body = ErrorDetail{Code: fe.Code, Message: fe.Message}
		}
		c.AbortWithStatusJSON(status, ErrorBody{Error: body})
		return
	}
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: fe.Code, Message: fe.Message, Fields: fe.Fields, Details: fe.Details}})
}

// Errors the shell itself answers with.
var (
	// ErrDatabaseDown is what an unreachable database is reported as.
	ErrDatabaseDown  = fault.New(fault.Unavailable, "database_unavailable", "the database is not reachable right now: please try again in a moment")
	errNotFoundRoute = fault.New(fault.NotFound, "route_not_found", "no such endpoint")
	errTooManyMisses = fault.New(fault.TooMany, "rate_limited", "too many requests for things that do not exist: wait a minute and try again")
	errInternal      = &fault.Error{Kind: fault.Internal, Code: "internal", Message: "something went wrong on our side; please try again"}
)

// Logger returns the request's logger, which carries its request id.
func Logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestLog gives every request an id (kept from X-Request-ID when sane), a logger carrying it,
// and one structured log line. The route template is logged, not the path, so tokens in paths
// (order links, invitations) never reach the logs.
func requestLog(base *slog.Logger, m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader("X-Request-ID")
		if !requestIDRE.MatchString(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Header("X-Request-ID", id)
		l := base.With("requestId", id)
		c.Set(ctxRequestID, id)
		c.Set(ctxLogger, l)
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		m.ObserveRequest(route, c.Request.Method, strconv.Itoa(c.Writer.Status()), time.Since(start))
		l.Info("request", "method", c.Request.Method, "route", route, "status", c.Writer.Status(),
			"durationMs", float64(time.Since(start).Microseconds())/1000, "bytes", c.Writer.Size())
	}
}

// securityHeaders sets the headers every response carries.
func securityHeaders(hsts bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("Permissions-Policy", "geolocation=(), camera=(self), microphone=()")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		c.Next()
	}
}
