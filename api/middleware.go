package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/httpserver"
)

const ctxActor = "actor"

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
	} else if ck, err := c.Cookie(httpserver.SessionCookie); err == nil {
		token = ck
	}
	actor := accounts.Actor{IP: c.ClientIP()}
	if token != "" {
		// An answer to someone signed in is theirs alone: never kept by a shared phone's browser
		// or a proxy. A handler serving something public (a published photo) may say otherwise.
		c.Header("Cache-Control", "no-store")
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
		if !s.requireTwoFactorSetup(c, u) {
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
