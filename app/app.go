// Package app wires the marketplace together: given an open database and configuration it
// builds every store, service and HTTP face. The command and the end-to-end tests share it, so
// tests run exactly what production runs.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/api"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/httpserver"
	"github.com/fairhands/marketplace/metrics"
	"github.com/fairhands/marketplace/notices"
	"github.com/fairhands/marketplace/notify"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/periodic"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/training"
)

// Config is the configuration the services need (the command reads it from the environment).
type Config struct {
	BaseURL             string
	SessionSecret       string
	EncryptionKey       []byte
	StripeSecretKey     string
	StripeWebhookSecret string
	StripeAPIURL        string
	// SMTPURL is where e-mail goes (smtp:// or smtps://); unset writes .eml files to MailDir.
	SMTPURL string
	// MailDir receives the demo's e-mails when SMTPURL is unset.
	MailDir string
	// Demo is serve --demo: demo data, and the demo's mails listed at /dev/mail (to loopback
	// clients and admins only). Never set on a real site.
	Demo bool
	// MetricsToken protects /metrics on the main listener (unset: not served there).
	MetricsToken string
	// RateLimitScale multiplies the request rate limits (0 means 1).
	RateLimitScale float64
	// Sessions is how long sessions last by role; the zero value means
	// accounts.DefaultSessionPolicy.
	Sessions accounts.SessionPolicy
	// TrustedProxies lists the load balancers (CIDRs) whose X-Forwarded-For names the client;
	// empty trusts none.
	TrustedProxies []string
}

// App is the wired marketplace.
type App struct {
	Config   Config
	DB       *store.DB
	Logger   *slog.Logger
	Accounts *accounts.Service
	Programs *programs.Service
	Audit    *audit.Log
	Box      *fieldcrypt.Box
	Metrics  *metrics.Metrics
	Outbox   *notify.Outbox
	Notices  *notices.Service
	Catalog  *catalog.Service
	Training *training.Service
	Payments *payments.Service
	API      *api.Server
	Handler  http.Handler
	// Engine is the router behind Handler; tests read its route list.
	Engine *gin.Engine

	// workers are the background jobs the domains add while wiring; StartWorkers runs them.
	workers []func(ctx context.Context)
}

// New builds the marketplace on db, creating indexes and running migrations.
func New(ctx context.Context, cfg Config, db *store.DB, logger *slog.Logger) (*App, error) {
	box, err := fieldcrypt.New(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	auditLog, err := audit.NewLog(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	registry, err := programs.NewRegistry(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("programs: %w", err)
	}
	sessions := cfg.Sessions
	if sessions == (accounts.SessionPolicy{}) {
		sessions = accounts.DefaultSessionPolicy()
	}
	scale := cfg.RateLimitScale
	if scale <= 0 {
		scale = 1
	}
	acc, err := accounts.NewService(ctx, db, accounts.Deps{Box: box, Audit: auditLog}, accounts.WithSessionPolicy(sessions),
		accounts.WithAlarm(loginAlarm{audit: auditLog, registry: registry}),
		accounts.WithClientLimit(int(50*scale)))
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}

	a := &App{Config: cfg, DB: db, Logger: logger, Accounts: acc, Audit: auditLog, Box: box,
		Metrics: metrics.New()}
	// Each domain is built in its own file (app/notify.go, app/training.go, app/catalog.go,
	// app/payments.go, app/programs.go), in this order, each given what it needs through its
	// constructor: training reads earnings and gates catalog listings; the notices read training's
	// reports and hear of listings and orders; payments sells catalog products; the programs
	// service tells the catalog of consent changes and has the catalog and training erase their
	// parts of a maker's data.
	earnings, err := payments.NewEarningsReader(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	if err := a.wireTraining(ctx, registry, earnings); err != nil {
		return nil, err
	}
	if err := a.wireNotify(ctx, registry); err != nil {
		return nil, err
	}
	if err := a.wireCatalog(ctx, registry); err != nil {
		return nil, err
	}
	if err := a.wirePayments(ctx, registry); err != nil {
		return nil, err
	}
	if a.Programs, err = programs.NewService(programs.Deps{Registry: registry, Accounts: acc, Audit: auditLog, Box: box,
		Storefront: a.Catalog, Catalog: a.Catalog, Training: a.Training}); err != nil {
		return nil, err
	}
	exports, err := a.makerData()
	if err != nil {
		return nil, err
	}
	a.API = &api.Server{Logger: logger, DB: db, Accounts: acc, Programs: a.Programs, Audit: auditLog,
		Catalog: a.Catalog, Training: a.Training, Payments: a.Payments,
		Metrics: a.Metrics, MetricsToken: cfg.MetricsToken, MakerData: exports,
		RateLimitScale: cfg.RateLimitScale}
	site, err := a.newSite(exports)
	if err != nil {
		return nil, err
	}
	// One shell for both faces: the global middleware, and HTML error pages for web paths.
	engine, err := httpserver.New(httpserver.Config{Logger: logger, Metrics: a.Metrics,
		HSTS: strings.HasPrefix(cfg.BaseURL, "https://"), Pages: site, TrustedProxies: cfg.TrustedProxies,
		RateLimitScale: cfg.RateLimitScale},
		a.API, a.devMail(), site)
	if err != nil {
		return nil, err
	}
	// Browsers' cross-site unsafe requests are refused before any handler runs (CSRF); API clients
	// that send no Sec-Fetch-Site or Origin header are unaffected.
	a.Engine = engine
	a.Handler = http.NewCrossOriginProtection().Handler(engine)
	return a, nil
}

// StartWorkers starts the background jobs (expired-session cleanup, and more as domains add
// them) and returns a channel closed when all have stopped after ctx ends.
func (a *App) StartWorkers(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range a.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w(ctx) }()
	}
	go func() {
		defer close(done)
		defer wg.Wait()
		periodic.Run(ctx, time.Hour, nil, a.Logger, "delete expired sessions", func(ctx context.Context) error {
			_, err := a.Accounts.DeleteExpiredSessions(ctx, time.Now().UTC())
			return err
		})
	}()
	return done
}
