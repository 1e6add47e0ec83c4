package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/payments/stripetest"
)

// newPayFuzzWorld is a fuzz world on stripe-mock with orders in every state the payment routes
// act on (pending, paid), plenty of stock, and the maker's Stripe account.
func newPayFuzzWorld(tb testing.TB) *fuzzWorld {
	tb.Helper()
	sm := stripetest.Start(tb)
	w := newFuzzWorld(tb, withStripe(sm))
	stock := []byte(`{"stock":100000}`)
	mustJSONStatus(tb, http.StatusOK, w.send(tb, "PATCH", "/api/v1/products/"+w.published, w.makerTok, "application/json", stock))
	mustJSONStatus(tb, http.StatusOK, w.send(tb, "PATCH", "/api/v1/products/"+w.foreign, w.coord2, "application/json", stock))
	w.acct = mustJSONStatus(tb, http.StatusOK, w.send(tb, "POST", "/api/v1/makers/"+w.maker+"/stripe/onboarding", w.makerTok, "", nil))["accountId"].(string)
	w.orders = map[string]string{}
	for _, k := range []string{"pending", "cancel"} {
		w.orders[k] = w.newOrder(tb, false)
	}
	for _, k := range []string{"paid", "ship", "refund"} {
		w.orders[k] = w.newOrder(tb, true)
	}
	return w
}

// shippingAddress is a valid address for checkout bodies.
const shippingAddress = `{"name":"Asha Buyer","line1":"1 Park Street","city":"Kolkata","postalCode":"700016","country":"IN"}`

// newOrder checks out one unit of the published product as the buyer and, when paid, completes
// the payment with a signed checkout.session.completed event.
func (w *fuzzWorld) newOrder(t testing.TB, paid bool) string {
	t.Helper()
	body := `{"items":[{"productId":"` + w.published + `","quantity":1}],"shippingAddress":` + shippingAddress + `}`
	m := mustJSONStatus(t, http.StatusCreated, w.send(t, "POST", "/api/v1/checkout", w.buyer, "application/json", []byte(body)))
	id := m["orderId"].(string)
	if paid {
		var o bson.M
		if err := w.e.DB.Read("orders").FindOne(context.Background(), bson.M{"_id": id}).Decode(&o); err != nil {
			t.Fatalf("load order: %v", err)
		}
		w.seq++
		evt := stripetest.Event(fmt.Sprintf("evt_fixture_%d_%d", time.Now().UnixNano(), w.seq), "checkout.session.completed", map[string]any{
			"id": o["stripeSessionId"], "object": "checkout.session", "client_reference_id": id, "metadata": map[string]any{"order_id": id},
			"payment_intent": "pi_" + id, "payment_status": "paid", "status": "complete", "amount_total": m["total"], "currency": "inr"}, time.Now())
		mustJSONStatus(t, http.StatusOK, w.deliverEvent(t, evt, stripetest.WebhookSecret))
	}
	w.settle(t)
	return id
}

// deliverEvent posts a payload to the webhook, signed with secret (unsigned when empty).
func (w *fuzzWorld) deliverEvent(t testing.TB, payload []byte, secret string) fuzzResp {
	t.Helper()
	req, err := http.NewRequest("POST", w.url+"/api/v1/stripe/webhook", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Stripe-Signature", stripetest.Sign(payload, secret))
	}
	return w.sendReq(t, req, "", "application/json")
}

// settle waits until the payment workers, woken by a payment or a refund, have finished
// writing, so the next input's fingerprint is not disturbed by them.
func (w *fuzzWorld) settle(t testing.TB) {
	t.Helper()
	last := ""
	for range 40 {
		d := w.digest(t, "ledger", "orders", "stripe_accounts", "makers", "programs")
		if d == last {
			return
		}
		last = d
		time.Sleep(25 * time.Millisecond)
	}
}

// stockOf fingerprints the stock of every product: a refused sale must leave it as it was.
func stockOf(t testing.TB, w *fuzzWorld) string {
	t.Helper()
	cur, err := w.e.DB.Read("products").Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatalf("read stock: %v", err)
	}
	var ps []struct {
		ID    string `bson:"_id"`
		Stock int    `bson:"stock"`
	}
	if err := cur.All(context.Background(), &ps); err != nil {
		t.Fatalf("read stock: %v", err)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	return fmt.Sprint(ps)
}

var orderWrites = []string{"orders", "ledger", "stripe_events", "disbursements", "audit"}

// renewOrder replaces a used-up order fixture once its route succeeded.
func renewOrder(key string, paid bool) func(t *testing.T, w *fuzzWorld, r fuzzResp) {
	return func(t *testing.T, w *fuzzWorld, _ fuzzResp) {
		t.Helper()
		w.settle(t)
		w.orders[key] = w.newOrder(t, paid)
	}
}

func settled(t *testing.T, w *fuzzWorld, _ fuzzResp) { w.settle(t) }

func orderPath(key, tail string) func(w *fuzzWorld) string {
	return func(w *fuzzWorld) string { return "/api/v1/orders/" + w.orders[key] + tail }
}

var paymentRoutes = []jsonRoute{
	{name: "checkout (guest)", method: "POST", path: path("/api/v1/checkout"), watch: orderWrites, extra: stockOf, after: settled},
	{name: "checkout (buyer)", method: "POST", path: path("/api/v1/checkout"), token: (*fuzzWorld).buyerTok, watch: orderWrites, extra: stockOf, after: settled},
	{name: "offline sale", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/offline-sales" },
		token: (*fuzzWorld).coordTok, watch: orderWrites, extra: stockOf, after: settled},
	{name: "offline sale (other program)", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p2 + "/offline-sales" },
		token: (*fuzzWorld).coordTok, watch: orderWrites, extra: stockOf},
	{name: "ship", method: "POST", path: orderPath("ship", "/ship"), token: (*fuzzWorld).coordTok, watch: orderWrites, extra: stockOf,
		after: renewOrder("ship", true)},
	{name: "cancel", method: "POST", path: orderPath("cancel", "/cancel"), token: (*fuzzWorld).coordTok, watch: orderWrites, extra: stockOf,
		after: renewOrder("cancel", false)},
	{name: "cancel (buyer)", method: "POST", path: orderPath("cancel", "/cancel"), token: (*fuzzWorld).buyerTok, watch: orderWrites, extra: stockOf},
	{name: "refund", method: "POST", path: orderPath("refund", "/refund"), token: (*fuzzWorld).coordTok, watch: orderWrites, extra: stockOf,
		after: renewOrder("refund", true)},
	{name: "disbursement", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/disbursements" },
		token: (*fuzzWorld).coordTok, watch: orderWrites},
	{name: "disbursement (maker)", method: "POST", path: func(w *fuzzWorld) string { return "/api/v1/programs/" + w.p1 + "/disbursements" },
		token: (*fuzzWorld).makerTokOf, watch: orderWrites},
}

// FuzzPaymentBodies fuzzes checkout carts, offline sales, shipping, cancellation, refunds and
// wage disbursements.
func FuzzPaymentBodies(f *testing.F) {
	w := newPayFuzzWorld(f)
	w.fuzzing()
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		w.fuzzJSON(t, paymentRoutes, sel, body)
	})
}

// Webhook delivery modes: how the fuzzed payload is signed.
const (
	hookSigned      = iota // with the app's webhook secret: a genuine (if strange) Stripe event
	hookUnsigned           // no Stripe-Signature header
	hookWrongSecret        // signed with another secret
	hookBadHeader          // a malformed header
	hookModes
)

// FuzzStripeWebhook fuzzes the Stripe webhook: payloads without a valid signature are refused with
// 400 before anything is read or written; signed ones, however strange, never cause a 5xx, and a
// signed event refused with a 4xx changes nothing (its claim is dropped, so Stripe's retry is
// processed in full).
func FuzzStripeWebhook(f *testing.F) {
	w := newPayFuzzWorld(f)
	w.fuzzing()
	f.Fuzz(func(t *testing.T, mode uint8, payload []byte) {
		defer w.showLogs(t)
		inflate := mode&inflateBody != 0
		m := int(mode&^inflateBody) % hookModes
		payload = w.expand(payload)
		if inflate {
			payload = append(bytes.Repeat([]byte{' '}, inflatedSize), payload...)
		}
		req, err := http.NewRequest("POST", w.url+"/api/v1/stripe/webhook", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		switch m {
		case hookSigned:
			req.Header.Set("Stripe-Signature", stripetest.Sign(payload, stripetest.WebhookSecret))
		case hookWrongSecret:
			req.Header.Set("Stripe-Signature", stripetest.Sign(payload, "whsec_someone_else"))
		case hookBadHeader:
			req.Header.Set("Stripe-Signature", "t=notatime,v1=zz,v0="+strings.Repeat("0", 64))
		}
		colls := w.allCollections(t)
		before := w.digest(t, colls...)
		r := w.sendReq(t, req, "", "application/json")
		what := fmt.Sprintf("webhook (mode %d) %q", m, truncateForLog(payload))
		checkAnswer(t, what, r)
		switch {
		case inflate && r.Status != http.StatusRequestEntityTooLarge:
			t.Fatalf("%s: a %d-byte payload got %d, want 413: %s", what, len(payload), r.Status, r.Body)
		case !inflate && m != hookSigned && r.Status != http.StatusBadRequest:
			t.Fatalf("%s: an event without a valid signature got %d, want 400: %s", what, r.Status, r.Body)
		}
		if r.Status >= 400 {
			if w.digest(t, colls...) != before {
				t.Fatalf("%s: refused with %d but the database changed (partial write): %s", what, r.Status, r.Body)
			}
			return
		}
		w.settle(t)
	})
}
