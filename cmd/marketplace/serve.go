package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/demo"
	"github.com/fairhands/marketplace/store"
)

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// open reads the configuration, opens the database and wires the app; demo is serve --demo.
func open(ctx context.Context, getenv func(string) string, stderr io.Writer, demo bool) (*app.App, config, func(), error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, cfg, nil, err
	}
	cfg.App.Demo = demo
	log := newLogger(stderr, cfg.LogLevel)
	db, err := store.Open(ctx, store.Config{URI: cfg.MongoURI, Database: cfg.Database, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, cfg, nil, err
	}
	closeDB := func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := db.Close(cctx); err != nil {
			log.Warn("close database", "err", err.Error())
		}
	}
	a, err := app.New(ctx, cfg.App, db, log)
	if err != nil {
		closeDB()
		return nil, cfg, nil, err
	}
	if cfg.AdminEmail != "" {
		created, err := a.Accounts.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			closeDB()
			return nil, cfg, nil, err
		}
		if created {
			log.Info("created the admin account from ADMIN_EMAIL", "email", cfg.AdminEmail)
		}
	}
	return a, cfg, closeDB, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	withDemo := fs.Bool("demo", false, "fill an empty store with demo data before serving")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, cfg, closeDB, err := open(ctx, getenv, stderr, *withDemo)
	if err != nil {
		return err
	}
	defer closeDB()
	log := a.Logger
	switch {
	case cfg.App.SMTPURL != "":
	case *withDemo:
		log.Info("demo: SMTP_URL is not set, e-mails are written to a folder and listed at /dev/mail (to this machine and admins only)", "dir", cfg.App.MailDir)
	default:
		log.Warn("SMTP_URL is not set: e-mails are NOT sent, they stay in the outbox folder on this instance; set SMTP_URL to send them", "dir", cfg.App.MailDir)
	}
	if *withDemo {
		if err := demo.Seed(ctx, a, stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // uploads over a slow phone connection
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	workers, stopWorkers := context.WithCancel(context.Background())
	done := a.StartWorkers(workers)
	go a.DB.WatchSize(workers, 10*time.Minute)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.MetricsAddr != "" {
		// A separate, internal listener for Prometheus (not exposed to the internet).
		msrv := &http.Server{Addr: cfg.MetricsAddr, Handler: a.Metrics.Handler(""), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := msrv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener", "err", err.Error())
			}
		}()
		defer msrv.Close()
		log.Info("metrics listening", "addr", cfg.MetricsAddr)
	}
	log.Info("marketplace listening", "addr", ln.Addr().String(), "baseURL", cfg.BaseURL, "embedded", a.DB.Embedded)

	select {
	case err := <-errc:
		stopWorkers()
		<-done
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err.Error())
	}
	stopWorkers()
	<-done
	log.Info("stopped")
	return nil
}

func seed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	products := fs.Int("products", 0, "add N published products spread over the demo makers (for load tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, _, closeDB, err := open(ctx, getenv, stderr, false)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := demo.Seed(ctx, a, stdout); err != nil {
		return err
	}
	if *products > 0 {
		return demo.AddProducts(ctx, a, *products, stdout)
	}
	return nil
}
