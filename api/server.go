// Package api is the JSON face of the marketplace under /api/v1: its routes, authentication,
// request decoding and handlers. It mounts on the shared HTTP shell (package httpserver), whose
// one table maps domain errors to statuses for both faces.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/makerdata"
	"github.com/fairhands/marketplace/metrics"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/training"
)

// MaxJSONBody caps JSON request bodies.
const MaxJSONBody = 1 << 20

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server holds the domain services the handlers call.
type Server struct {
	Logger   *slog.Logger
	DB       Pinger
	Accounts *accounts.Service
	Programs *programs.Service
	Audit    *audit.Log
	Catalog  *catalog.Service
	Training *training.Service
	Payments *payments.Service
	// Metrics counts requests and outcomes; nil disables it.
	Metrics *metrics.Metrics
	// MetricsToken, when set, serves /metrics on this engine to bearers of the token.
	MetricsToken string
	// MakerData builds a maker's data export (the same one the pages serve).
	MakerData *makerdata.Exporter
	// RateLimitScale multiplies every rate limit; 0 means 1. Tests that are not about limits raise it.
	RateLimitScale float64

	loginLimit    *keyedLimiter
	registerLimit *keyedLimiter
	inviteLimit   *keyedLimiter
	checkoutLimit *keyedLimiter
	uploadLimit   *keyedLimiter
}

// Mount registers the health checks, /metrics, the test-payment page and /api/v1 on the shared
// engine (package httpserver builds it, with the global middleware and the error answers).
func (s *Server) Mount(r *gin.Engine) {
	s.MountTestPayment(r)
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", func(c *gin.Context) {
		start := time.Now()
		err := s.DB.Ping(c.Request.Context())
		s.Metrics.ObserveDB("primary", time.Since(start))
		if err != nil {
			logger(c).Warn("database not reachable", "err", err.Error())
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "unreachable"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready", "database": "ok"})
	})

	scale := s.RateLimitScale
	if scale <= 0 {
		scale = 1
	}
	lim := func(perMinute float64, burst int) *keyedLimiter {
		return newKeyedLimiter(perMinute*scale, int(float64(burst)*scale))
	}
	if s.Metrics != nil && s.MetricsToken != "" {
		r.GET("/metrics", gin.WrapH(s.Metrics.Handler(s.MetricsToken)))
	}

	s.loginLimit = lim(10, 10)
	s.registerLimit = lim(5, 5)
	s.inviteLimit = lim(10, 10)
	s.checkoutLimit = lim(20, 10)
	s.uploadLimit = lim(30, 15)

	v1 := r.Group("/api/v1", limitBody(MaxJSONBody), s.authenticate)
	s.routes(v1)
	s.openapiRoutes(r)
}

// routes lists every JSON endpoint in one place.
func (s *Server) routes(g *gin.RouterGroup) {
	auth := requireLogin
	g.POST("/auth/register", s.registerLimit.limit(), s.register)
	g.POST("/auth/login", s.loginLimit.limit(), s.login)
	g.POST("/auth/logout", auth, s.logout)
	g.POST("/auth/logout-all", auth, s.logoutAll)
	g.GET("/me", auth, s.me)
	s.twoFactorRoutes(g)

	g.POST("/programs", auth, s.createProgram)
	g.GET("/programs", s.listPrograms)
	g.GET("/programs/:id", auth, s.getProgram)
	g.PATCH("/programs/:id", auth, s.updateProgram)
	g.POST("/programs/:id/coordinators", auth, s.addCoordinator)
	g.POST("/programs/:id/makers", auth, s.createMaker)
	g.GET("/programs/:id/makers", auth, s.listMakers)
	g.GET("/programs/:id/audit", auth, s.programAudit)

	g.POST("/invites/:token/accept", s.inviteLimit.limit(), s.acceptInvite)

	g.GET("/makers/:id", auth, s.getMaker)
	g.GET("/makers/:id/public", s.getMakerPublic)
	g.PUT("/makers/:id/consent", auth, s.setConsent)
	g.POST("/makers/:id/erase", auth, s.eraseMaker)
	g.GET("/makers/:id/export", auth, s.exportMaker)
	g.POST("/makers/:id/invite/revoke", auth, s.revokeMakerInvite)

	// Each domain lists its routes in its own file.
	s.catalogRoutes(g)
	s.trainingRoutes(g)
	s.paymentsRoutes(g)
	s.fulfilmentRoutes(g)
}
