package api

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/metrics"
)

const (
	ctxLogger    = "logger"
	ctxActor     = "actor"
	ctxRequestID = "requestId"
	// SessionCookie is the browser session cookie's name.
	SessionCookie = "session"
)

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

// recoverJSON turns a panic into a logged 500 with the standard error body.
func recoverJSON() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				logger(c).Error("panic", "panic", r)
				c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{Error: errorDetail{Code: "internal", Message: "something went wrong on our side; please try again"}})
			}
		}()
		c.Next()
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

// limitBody caps request bodies; uploads get their own larger cap on their routes.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil {
			c.Set(ctxRawBody, c.Request.Body) // upload routes apply their own, larger cap to this
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}

// authenticate resolves the bearer token or session cookie to an actor; no credentials means
// anonymous, a bad or revoked token is a 401.
func (s *Server) authenticate(c *gin.Context) {
	token := ""
	if h := c.GetHeader("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
			Fail(c, errLoginRequired)
			return
		}
		token = strings.TrimSpace(rest)
	} else if ck, err := c.Cookie(SessionCookie); err == nil {
		token = ck
	}
	actor := accounts.Actor{IP: c.ClientIP()}
	if token != "" {
		u, err := s.Accounts.Authenticate(c.Request.Context(), token)
		if err != nil {
			if c.GetHeader("Authorization") == "" {
				// A stale browser cookie: carry on as anonymous rather than breaking public pages.
				c.Set(ctxActor, actor)
				c.Next()
				return
			}
			Fail(c, err)
			return
		}
		actor = accounts.ActorOf(u, c.ClientIP())
		c.Set("token", token)
	}
	c.Set(ctxActor, actor)
	c.Next()
}

// ActorOf returns the request's actor (anonymous if nobody is logged in).
func ActorOf(c *gin.Context) accounts.Actor {
	if a, ok := c.Get(ctxActor); ok {
		return a.(accounts.Actor)
	}
	return accounts.Actor{IP: c.ClientIP()}
}

// requireLogin answers 401 for anonymous callers.
func requireLogin(c *gin.Context) {
	if ActorOf(c).Anonymous() {
		Fail(c, errLoginRequired)
		return
	}
	c.Next()
}
