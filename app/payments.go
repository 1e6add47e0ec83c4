package app

import (
	"context"
	"fmt"

	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// wirePayments builds orders, the ledger and Stripe on the catalog and programs, and adds the
// ledger worker (transfers, reversals) and the job that releases unpaid reservations. Without
// STRIPE_SECRET_KEY checkout runs on the app's own test-payment page; the command refuses that
// mode in production unless told to (see cmd/marketplace).
func (a *App) wirePayments(ctx context.Context, registry *programs.Registry) error {
	cfg := payments.Config{
		StripeSecretKey:     a.Config.StripeSecretKey,
		StripeWebhookSecret: a.Config.StripeWebhookSecret,
		StripeAPIURL:        a.Config.StripeAPIURL,
		BaseURL:             a.Config.BaseURL,
		Fees:                a.Catalog.Fees,
		HoldLimitScale:      a.Config.RateLimitScale,
		Logger:              a.Logger,
		BuyerEmail: func(ctx context.Context, userID string) (string, error) {
			u, err := a.Accounts.User(ctx, userID)
			return u.Email, err
		},
		SealToken: a.Box.Seal,
		OpenToken: a.Box.Open,
		OnOrder: func(ctx context.Context, event string, o payments.Order, orderURL string, detail map[string]any) {
			a.Metrics.Count("order", event, 1)
			a.Notices.OrderEvent(ctx, event, o, orderURL, detail)
		},
		OnLedgerRun: func(st payments.LedgerStats) {
			a.Metrics.Count("payout", "transferred", st.Transferred)
			a.Metrics.Count("payout", "reversed", st.Reversed)
			a.Metrics.Count("payout", "failed", st.Failed)
			a.Metrics.Set("payout_waiting_for_payee", float64(st.Waiting))
		},
	}
	svc, err := payments.New(ctx, cfg, a.DB, a.Catalog, registry, a.Audit)
	if err != nil {
		return fmt.Errorf("payments: %w", err)
	}
	if svc.TestMode() {
		a.Logger.Warn("STRIPE_SECRET_KEY is not set: checkout uses the built-in TEST payment page and no real money moves")
	} else if a.Config.StripeWebhookSecret == "" {
		a.Logger.Warn("STRIPE_WEBHOOK_SECRET is not set: Stripe events are refused, so orders will not be marked paid")
	}
	a.Payments = svc
	a.workers = append(a.workers, svc.TransferWorker, svc.ReservationWorker)
	return nil
}
