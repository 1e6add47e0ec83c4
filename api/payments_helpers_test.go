package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/payments/stripetest"
)

// withStripe points the app at a stripe-mock.
func withStripe(sm *stripetest.Server) apptest.Option {
	return func(c *app.Config) {
		c.StripeSecretKey = stripetest.Key
		c.StripeAPIURL = sm.URL
		c.StripeWebhookSecret = stripetest.WebhookSecret
	}
}

// payWorld is a marketplace with two programs (INR; program B may be made the paying agent),
// a coordinator and a maker in each, and a buyer.
type payWorld struct {
	t        *testing.T
	e        *apptest.Env
	sm       *stripetest.Server // nil in test-payment mode
	pA, pB   string
	cAID     string
	cA, cB   string
	mA, mAt  string
	mB, mBt  string
	buyerID  string
	buyerTok string
	seq      atomic.Int64
}

func newPayWorld(t *testing.T, stripe bool) *payWorld {
	t.Helper()
	w := &payWorld{t: t}
	var opts []apptest.Option
	if stripe {
		w.sm = stripetest.Start(t)
		opts = append(opts, withStripe(w.sm))
	}
	w.e = apptest.New(t, opts...)
	w.pA = w.e.Program("Kolkata Jewellery Workshop")
	w.pB = w.e.Program("Mumbai Tailoring Workshop")
	w.cAID, w.cA = w.e.Coordinator(w.pA)
	_, w.cB = w.e.Coordinator(w.pB)
	w.mA, w.mAt = w.e.Maker(w.pA, w.cA)
	w.mB, w.mBt = w.e.Maker(w.pB, w.cB)
	w.buyerID, w.buyerTok = w.e.Buyer()
	return w
}

// product lists, submits and approves a product over HTTP and returns its id. Prices clear the
// INR 90.00 an hour living wage for the hours given.
func (w *payWorld) product(makerTok, coordTok, title string, price, materials int64, hours float64, stock int) string {
	w.t.Helper()
	r := w.e.Must(http.StatusCreated, "POST", "/api/v1/products", makerTok, map[string]any{
		"title": title, "description": "Made by hand in the workshop.", "category": "Jewellery",
		"price": price, "currency": "INR", "stock": stock, "hoursOfWork": hours, "materialsCost": materials})
	id := r.Str("id")
	w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", makerTok, nil)
	w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", coordTok, nil)
	return id
}

// stock reads a product's stock from the database.
func (w *payWorld) stock(id string) int {
	w.t.Helper()
	p, err := w.e.RawProducts().ByID(context.Background(), id)
	if err != nil {
		w.t.Fatalf("load product: %v", err)
	}
	return p.Stock
}

// makerShare is what the product page shows the maker gets per unit.
func (w *payWorld) makerShare(price, materials int64) int64 {
	return catalog.Breakdown(price, materials, 10, w.e.App.Catalog.Fees).Maker
}

var address = map[string]any{"name": "Asha Buyer", "line1": "1 Park Street", "city": "Kolkata",
	"postalCode": "700016", "country": "IN"}

// checkout posts a cart and returns the response.
func (w *payWorld) checkout(token string, items ...any) apptest.Response {
	w.t.Helper()
	var lines []map[string]any
	for i := 0; i+1 < len(items); i += 2 {
		lines = append(lines, map[string]any{"productId": items[i], "quantity": items[i+1]})
	}
	body := map[string]any{"items": lines, "shippingAddress": address}
	if token == "" {
		body["email"] = "guest@test.example"
	}
	return w.e.Do("POST", "/api/v1/checkout", token, body)
}

// event builds a signed-ready Stripe event with a fresh id.
func (w *payWorld) event(typ string, obj map[string]any) []byte {
	return w.eventAt(typ, obj, time.Now())
}

func (w *payWorld) eventAt(typ string, obj map[string]any, created time.Time) []byte {
	return stripetest.Event(fmt.Sprintf("evt_test_%d_%d", time.Now().UnixNano(), w.seq.Add(1)), typ, obj, created)
}

// deliver posts an event payload to the webhook, signed with secret (the test secret when empty).
func (w *payWorld) deliver(payload []byte, secret string) apptest.Response {
	w.t.Helper()
	if secret == "" {
		secret = stripetest.WebhookSecret
	}
	req, _ := http.NewRequest("POST", w.e.Server.URL+"/api/v1/stripe/webhook", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", stripetest.Sign(payload, secret))
	return w.e.Send(req)
}

// mustDeliver posts an event and requires 200.
func (w *payWorld) mustDeliver(payload []byte) apptest.Response {
	w.t.Helper()
	r := w.deliver(payload, "")
	if r.Status != http.StatusOK {
		w.t.Fatalf("webhook: status %d: %s", r.Status, r.Body)
	}
	return r
}

// paid is the Checkout Session of an order, completed and paid (for checkout.session.completed);
// with chargeID the payment intent is expanded with its latest charge.
func (w *payWorld) paid(orderID string, total int64, chargeID string) map[string]any {
	session := "cs_test_" + orderID
	if id := w.order(orderID).StripeSessionID; id != "" {
		session = id
	}
	pi := any("pi_" + orderID)
	if chargeID != "" {
		pi = map[string]any{"id": "pi_" + orderID, "object": "payment_intent", "latest_charge": chargeID}
	}
	return map[string]any{"id": session, "object": "checkout.session", "client_reference_id": orderID,
		"metadata": map[string]any{"order_id": orderID}, "payment_intent": pi, "payment_status": "paid",
		"status": "complete", "amount_total": total, "currency": "inr"}
}

// accountUpdated says a connected account can (or cannot) receive payouts.
func accountUpdated(acct string, enabled bool) map[string]any {
	caps := "inactive"
	if enabled {
		caps = "active"
	}
	return map[string]any{"id": acct, "object": "account", "payouts_enabled": enabled,
		"capabilities": map[string]any{"transfers": caps}}
}

// earnings reads a maker's earnings.
func (w *payWorld) earnings(makerID, token string) (balance map[string]any, entries []map[string]any) {
	w.t.Helper()
	r := w.e.Must(http.StatusOK, "GET", "/api/v1/makers/"+makerID+"/earnings", token, nil)
	balance, _ = r.JSON["balance"].(map[string]any)
	for _, e := range r.JSON["entries"].([]any) {
		entries = append(entries, e.(map[string]any))
	}
	return balance, entries
}

// entry loads a ledger entry straight from the database.
func (w *payWorld) entry(id string) payments.Entry {
	w.t.Helper()
	var e payments.Entry
	if err := w.e.DB.Read("ledger").FindOne(context.Background(), bson.M{"_id": id}).Decode(&e); err != nil {
		w.t.Fatalf("load ledger entry %s: %v", id, err)
	}
	return e
}

// order loads an order straight from the database.
func (w *payWorld) order(id string) payments.Order {
	w.t.Helper()
	var o payments.Order
	if err := w.e.DB.Read("orders").FindOne(context.Background(), bson.M{"_id": id}).Decode(&o); err != nil {
		w.t.Fatalf("load order %s: %v", id, err)
	}
	return o
}

// setEntry changes a ledger entry in the database (to stage a crash or a passed hold).
func (w *payWorld) setEntry(id string, set bson.M) {
	w.t.Helper()
	if _, err := w.e.DB.Write("ledger").UpdateOne(context.Background(), bson.M{"_id": id}, bson.M{"$set": set}); err != nil {
		w.t.Fatalf("update ledger entry: %v", err)
	}
}

// process runs a ledger pass now (the app's own worker runs too; claims keep them apart).
func (w *payWorld) process() payments.LedgerStats {
	w.t.Helper()
	st, err := w.e.App.Payments.ProcessLedger(context.Background())
	if err != nil {
		w.t.Fatalf("process ledger: %v", err)
	}
	return st
}

// eventually waits for cond, failing with msg.
func (w *payWorld) eventually(msg string, cond func() bool) {
	w.t.Helper()
	start := time.Now()
	defer func() { w.t.Logf("waited %s for %s", time.Since(start), msg) }()
	if !apptest.Eventually(w.t, 15*time.Second, cond) {
		w.t.Fatalf("timed out waiting: %s", msg)
	}
}

// transfers returns the transfer creations the app sent to Stripe.
func (w *payWorld) transfers() []stripetest.Request {
	var out []stripetest.Request
	for _, r := range w.sm.Requests("POST", "/v1/transfers") {
		if r.Path == "/v1/transfers" {
			out = append(out, r)
		}
	}
	return out
}

// onboard onboards the maker (or, with program set, the program) and makes its account ready.
func (w *payWorld) onboardMaker(makerID, token string, ready bool) string {
	w.t.Helper()
	r := w.e.Must(http.StatusOK, "POST", "/api/v1/makers/"+makerID+"/stripe/onboarding", token, nil)
	acct := r.Str("accountId")
	if ready {
		w.mustDeliver(w.event("account.updated", accountUpdated(acct, true)))
	}
	return acct
}

func (w *payWorld) onboardProgram(programID, token string, ready bool) string {
	w.t.Helper()
	r := w.e.Must(http.StatusOK, "POST", "/api/v1/programs/"+programID+"/stripe/onboarding", token, nil)
	acct := r.Str("accountId")
	if ready {
		w.mustDeliver(w.event("account.updated", accountUpdated(acct, true)))
	}
	return acct
}

// newPaymentsInstance builds a second payments service on the same database, as another app
// instance (or the same one after a restart) would.
func (w *payWorld) newPaymentsInstance() *payments.Service {
	w.t.Helper()
	cfg := payments.Config{StripeSecretKey: stripetest.Key, StripeAPIURL: w.sm.URL,
		StripeWebhookSecret: stripetest.WebhookSecret, BaseURL: "http://example.test", Fees: w.e.App.Catalog.Fees}
	s, err := payments.New(context.Background(), cfg, w.e.DB, w.e.App.Catalog, w.e.App.Programs.Registry(), w.e.App.Audit)
	if err != nil {
		w.t.Fatalf("second payments instance: %v", err)
	}
	return s
}

func num(m map[string]any, k string) int64 {
	f, _ := m[k].(float64)
	return int64(f)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// send has each program's coordinator send their package of the order (through the package
// routes), so its wages become payable (pay on dispatch).
func (w *payWorld) send(orderID string) {
	w.t.Helper()
	for _, coord := range []string{w.cA, w.cB} {
		r := w.e.Do("POST", "/api/v1/orders/"+orderID+"/ship", coord, map[string]any{"carrier": "India Post", "trackingNumber": "EE1IN"})
		if r.Status != http.StatusOK && r.Status != http.StatusConflict && r.Status != http.StatusNotFound {
			w.t.Fatalf("send order %s: %d %s", orderID, r.Status, r.Body)
		}
	}
}
