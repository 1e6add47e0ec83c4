package stripetest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"
)

// The harness serves stripe-go, records each test's calls separately, and injects failures.
func TestHarness(t *testing.T) {
	newClient := func(s *Server) *client.API {
		be := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{URL: stripe.String(s.URL),
			MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}})
		return client.New(Key, &stripe.Backends{API: be, Connect: be, Uploads: be})
	}
	a, b := Start(t), Start(t)
	ca := newClient(a)
	p := &stripe.TransferParams{Amount: stripe.Int64(100), Currency: stripe.String("inr"), Destination: stripe.String("acct_1")}
	p.SetIdempotencyKey("k1")
	if _, err := ca.Transfers.New(p); err != nil {
		t.Fatal(err)
	}
	if r := a.Requests("POST", "/v1/transfers"); len(r) != 1 || r[0].IdempotencyKey != "k1" || r[0].Form.Get("destination") != "acct_1" {
		t.Fatalf("recorded %+v", r)
	}
	if len(b.Requests("", "")) != 0 {
		t.Fatal("one test's calls recorded in another's log")
	}
	// stripe-mock validates parameters: a transfer without a destination is refused.
	if _, err := ca.Transfers.New(&stripe.TransferParams{Amount: stripe.Int64(1), Currency: stripe.String("inr")}); err == nil {
		t.Fatal("an invalid request was accepted")
	}
	a.FailNext("/v1/transfers", 1)
	if _, err := ca.Transfers.New(p); err == nil {
		t.Fatal("the injected failure did not happen")
	} else if se, ok := err.(*stripe.Error); !ok || se.HTTPStatusCode != http.StatusInternalServerError {
		t.Fatalf("injected failure: %v", err)
	}
	if _, err := ca.Transfers.New(p); err != nil {
		t.Fatalf("after the injected failure: %v", err)
	}
	// Signed events verify with the secret and fail with another.
	payload := Event("evt_1", "account.updated", map[string]any{"id": "acct_1"}, time.Now())
	if _, err := webhook.ConstructEvent(payload, Sign(payload, WebhookSecret), WebhookSecret); err != nil {
		t.Fatalf("signed event: %v", err)
	}
	if _, err := webhook.ConstructEvent(payload, Sign(payload, "whsec_other"), WebhookSecret); err == nil {
		t.Fatal("an event signed with another secret verified")
	}
}
