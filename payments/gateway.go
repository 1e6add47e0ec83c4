package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// gateway is the few Stripe calls the marketplace makes, over a client of its own (never the
// package-level stripe.Key), so tests point it at stripe-mock and two apps in one process never
// share a key.
type gateway struct {
	api *client.API

	countryMu sync.Mutex
	country   string
}

func newGateway(key, url string, hc *http.Client) *gateway {
	cfg := &stripe.BackendConfig{
		HTTPClient: hc,
		// The transfer worker retries with backoff and the same idempotency key; a checkout
		// failure is shown to the buyer, who tries again.
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if url != "" {
		cfg.URL = stripe.String(url)
	}
	be := stripe.GetBackendWithConfig(stripe.APIBackend, cfg)
	return &gateway{api: client.New(key, &stripe.Backends{API: be, Connect: be, Uploads: be})}
}

// params returns request params bound to ctx with an idempotency key when key is set.
func params(ctx context.Context, key string) stripe.Params {
	p := stripe.Params{Context: ctx}
	if key != "" {
		p.IdempotencyKey = stripe.String(key)
	}
	return p
}

// platformCountry is the platform account's country, asked once: a connected account in another
// country needs Stripe's recipient service agreement (cross-border payouts).
func (g *gateway) platformCountry(ctx context.Context) (string, error) {
	g.countryMu.Lock()
	defer g.countryMu.Unlock()
	if g.country != "" {
		return g.country, nil
	}
	a := &stripe.Account{}
	err := g.api.Accounts.B.Call(http.MethodGet, "/v1/account", g.api.Accounts.Key,
		&stripe.AccountParams{Params: stripe.Params{Context: ctx}}, a)
	if err != nil {
		return "", err // not cached: a transient failure is asked again next time
	}
	g.country = a.Country
	return g.country, nil
}

// createAccount creates a connected account with Stripe-hosted onboarding and dashboard
// (Express, expressed as controller properties) and the transfers capability. The idempotency
// key names the owner, so two first clicks at once still make one account.
func (g *gateway) createAccount(ctx context.Context, ownerType, ownerID, country, businessType string) (string, error) {
	p := &stripe.AccountParams{
		Params:       params(ctx, "fh-account-"+ownerType+"-"+ownerID),
		Country:      stripe.String(country),
		BusinessType: stripe.String(businessType),
		Controller: &stripe.AccountControllerParams{
			StripeDashboard: &stripe.AccountControllerStripeDashboardParams{Type: stripe.String("express")},
			Fees:            &stripe.AccountControllerFeesParams{Payer: stripe.String("application")},
			Losses:          &stripe.AccountControllerLossesParams{Payments: stripe.String("application")},
		},
		Capabilities: &stripe.AccountCapabilitiesParams{
			Transfers: &stripe.AccountCapabilitiesTransfersParams{Requested: stripe.Bool(true)},
		},
		Metadata: map[string]string{ownerType + "_id": ownerID},
	}
	pc, err := g.platformCountry(ctx)
	if err != nil {
		return "", err
	}
	if pc != "" && !strings.EqualFold(pc, country) {
		// Cross-border: the account only receives transfers, under the recipient agreement.
		p.TOSAcceptance = &stripe.AccountTOSAcceptanceParams{ServiceAgreement: stripe.String("recipient")}
	}
	a, err := g.api.Accounts.New(p)
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// accountLink makes a fresh single-use onboarding link.
func (g *gateway) accountLink(ctx context.Context, accountID, refreshURL, returnURL string) (string, error) {
	l, err := g.api.AccountLinks.New(&stripe.AccountLinkParams{
		Params:     params(ctx, ""),
		Account:    stripe.String(accountID),
		RefreshURL: stripe.String(refreshURL),
		ReturnURL:  stripe.String(returnURL),
		Type:       stripe.String("account_onboarding"),
	})
	if err != nil {
		return "", err
	}
	return l.URL, nil
}

// checkoutSession creates the Checkout Session of an order: the order id in client_reference_id
// and metadata, and as the payment's transfer_group so every transfer of it is grouped.
func (g *gateway) checkoutSession(ctx context.Context, o Order, successURL, cancelURL string) (id, url string, err error) {
	p := &stripe.CheckoutSessionParams{
		Params:            params(ctx, "fh-checkout-"+o.ID),
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(o.ID),
		SuccessURL:        stripe.String(successURL),
		CancelURL:         stripe.String(cancelURL),
		// Stripe's minimum is 30 minutes; the app expires the session itself when the
		// reservation ends, a minute earlier.
		ExpiresAt: stripe.Int64(o.CreatedAt.Add(ReservationTTL + time.Minute).Unix()),
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{
			TransferGroup: stripe.String(o.ID),
			Metadata:      map[string]string{"order_id": o.ID},
		},
	}
	p.AddMetadata("order_id", o.ID)
	if o.Email != "" {
		p.CustomerEmail = stripe.String(o.Email)
	}
	for _, it := range o.Items {
		p.LineItems = append(p.LineItems, &stripe.CheckoutSessionLineItemParams{
			Quantity: stripe.Int64(int64(it.Quantity)),
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripe.String(strings.ToLower(o.Currency)),
				UnitAmount:  stripe.Int64(it.UnitPrice),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String(it.Title)},
			},
		})
	}
	// Shipping is the programs' money, one line per package that charges it, so the buyer
	// sees it before paying and the session's total is the order's.
	fs := o.Packages()
	for k, f := range fs {
		if f.Shipping <= 0 {
			continue
		}
		name := "Shipping"
		if len(fs) > 1 {
			name = fmt.Sprintf("Shipping, package %d of %d", k+1, len(fs))
		}
		p.LineItems = append(p.LineItems, &stripe.CheckoutSessionLineItemParams{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripe.String(strings.ToLower(o.Currency)),
				UnitAmount:  stripe.Int64(f.Shipping),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String(name)},
			},
		})
	}
	s, err := g.api.CheckoutSessions.New(p)
	if err != nil {
		return "", "", err
	}
	return s.ID, s.URL, nil
}

// expireSession ends an open Checkout Session so it can no longer be paid.
func (g *gateway) expireSession(ctx context.Context, id string) error {
	_, err := g.api.CheckoutSessions.Expire(id, &stripe.CheckoutSessionExpireParams{Params: params(ctx, "")})
	return err
}

// session reads a Checkout Session's state: status, payment status, payment intent, amount.
func (g *gateway) session(ctx context.Context, id string) (sessionObject, string, error) {
	cs, err := g.api.CheckoutSessions.Get(id, &stripe.CheckoutSessionParams{Params: params(ctx, "")})
	if err != nil {
		return sessionObject{}, "", err
	}
	o := sessionObject{ID: cs.ID, ClientReferenceID: cs.ClientReferenceID, Metadata: cs.Metadata,
		PaymentStatus: string(cs.PaymentStatus), AmountTotal: cs.AmountTotal, Currency: string(cs.Currency)}
	if cs.PaymentIntent != nil {
		o.PaymentIntent, _ = json.Marshal(cs.PaymentIntent.ID)
	}
	return o, string(cs.Status), nil
}

// chargeOf returns the latest charge of a payment intent ("" when Stripe's answer has none).
func (g *gateway) chargeOf(ctx context.Context, paymentIntentID string) (string, error) {
	pi, err := g.api.PaymentIntents.Get(paymentIntentID, &stripe.PaymentIntentParams{Params: params(ctx, "")})
	if err != nil {
		return "", err
	}
	if pi.LatestCharge != nil {
		return pi.LatestCharge.ID, nil
	}
	return "", nil
}

// transfer sends an earning to its payee, tied to the buyer's charge when known so it waits for
// the funds, with the entry's idempotency key.
func (g *gateway) transfer(ctx context.Context, e Entry, destination string) (string, error) {
	p := &stripe.TransferParams{
		Params:        params(ctx, transferKey(e)),
		Amount:        stripe.Int64(e.Amount),
		Currency:      stripe.String(strings.ToLower(e.Currency)),
		Destination:   stripe.String(destination),
		TransferGroup: stripe.String(e.OrderID),
		Metadata:      map[string]string{"ledger_entry": e.ID, "order_id": e.OrderID, "maker_id": e.MakerID},
	}
	if e.ChargeID != "" {
		p.SourceTransaction = stripe.String(e.ChargeID)
	}
	t, err := g.api.Transfers.New(p)
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// findTransfer looks for a transfer already made for entry e (a worker that crashed after
// Stripe answered), by its transfer group and the entry id in its metadata. Idempotency keys
// last 24 hours at Stripe; this check holds beyond that.
func (g *gateway) findTransfer(ctx context.Context, e Entry) (string, error) {
	it := g.api.Transfers.List(&stripe.TransferListParams{
		ListParams:    stripe.ListParams{Context: ctx},
		TransferGroup: stripe.String(e.OrderID),
	})
	for it.Next() {
		if t := it.Transfer(); t.Metadata["ledger_entry"] == e.ID {
			return t.ID, nil
		}
	}
	return "", it.Err()
}

// reverseTransfer takes amount back from a transfer.
func (g *gateway) reverseTransfer(ctx context.Context, transferID string, amount int64, key string) (string, error) {
	r, err := g.api.TransferReversals.New(&stripe.TransferReversalParams{
		Params: params(ctx, key),
		ID:     stripe.String(transferID),
		Amount: stripe.Int64(amount),
	})
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// refund returns amount of an order's payment to the buyer; metadata names the items, so the
// charge.refunded event can be matched to them.
func (g *gateway) refund(ctx context.Context, paymentIntentID string, amount int64, key string, meta map[string]string) (string, error) {
	r, err := g.api.Refunds.New(&stripe.RefundParams{
		Params:        stripe.Params{Context: ctx, IdempotencyKey: stripe.String(key), Metadata: meta},
		PaymentIntent: stripe.String(paymentIntentID),
		Amount:        stripe.Int64(amount),
	})
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// refundsOf lists a charge's refunds with their metadata.
func (g *gateway) refundsOf(ctx context.Context, chargeID string) ([]*stripe.Refund, error) {
	it := g.api.Refunds.List(&stripe.RefundListParams{ListParams: stripe.ListParams{Context: ctx}, Charge: stripe.String(chargeID)})
	var out []*stripe.Refund
	for it.Next() {
		out = append(out, it.Refund())
	}
	return out, it.Err()
}

// stripeStatus is the HTTP status of a Stripe API error, 0 for a network failure.
func stripeStatus(err error) int {
	var se *stripe.Error
	if errors.As(err, &se) {
		return se.HTTPStatusCode
	}
	return 0
}
