package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/payments/stripetest"
)

// paidOrder checks out one unit of a fresh product of maker A and returns (order id, total).
func (w *payWorld) pendingOrder(price, materials int64, hours float64) (string, int64, string) {
	w.t.Helper()
	p := w.product(w.mAt, w.cA, "Hand-stitched kantha cushion", price, materials, hours, 10)
	r := w.checkout(w.buyerTok, p, 1)
	if r.Status != http.StatusCreated {
		w.t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	return r.Str("orderId"), int64(r.Num("total")), p
}

func TestPaymentsWebhookRefusesBadSignatures(t *testing.T) {
	w := newPayWorld(t, true)
	orderID, total, _ := w.pendingOrder(60000, 18000, 3)
	payload := w.event("checkout.session.completed", w.paid(orderID, total, ""))

	cases := []struct {
		name   string
		header string
		body   []byte
	}{
		{"missing signature", "", payload},
		{"garbage signature", "t=1,v1=abc", payload},
		{"signed with another secret", stripetest.Sign(payload, "whsec_other"), payload},
		{"payload changed after signing", stripetest.Sign(payload, stripetest.WebhookSecret), append([]byte(" "), payload...)},
		{"stale timestamp", "t=1000,v1=" + "00", payload},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", w.e.Server.URL+"/api/v1/stripe/webhook", bytesReader(tc.body))
			if tc.header != "" {
				req.Header.Set("Stripe-Signature", tc.header)
			}
			r := w.e.Send(req)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
		})
	}
	if o := w.order(orderID); o.Status != payments.StatusPendingPayment {
		t.Fatalf("a refused event changed the order: %s", o.Status)
	}
	if n, _ := w.e.DB.Read("stripe_events").CountDocuments(context.Background(), bson.M{}); n != 0 {
		t.Fatalf("refused events were recorded: %d", n)
	}
	// Events of another API version are accepted deliberately.
	other := []byte(`{"id":"evt_other_version","object":"event","type":"checkout.session.completed","api_version":"2025-03-31.basil","created":1700000000,"data":{"object":` +
		string(mustJSON(w.paid(orderID, total, ""))) + `}}`)
	w.mustDeliver(other)
	if o := w.order(orderID); o.Status != payments.StatusPaid {
		t.Fatalf("event of another API version not processed: %s", o.Status)
	}
}

// Events delivered twice, concurrently, to two instances, and out of order change nothing twice.
func TestPaymentsWebhookExactlyOnceInAnyOrder(t *testing.T) {
	w := newPayWorld(t, true)
	acct := w.onboardMaker(w.mA, w.mAt, true)
	share := w.makerShare(60000, 18000)

	t.Run("refund before payment is retried later, then applies once", func(t *testing.T) {
		orderID, total, _ := w.pendingOrder(60000, 18000, 3)
		refund := w.event("charge.refunded", map[string]any{"id": "ch_" + orderID, "object": "charge",
			"payment_intent": "pi_" + orderID, "transfer_group": orderID, "amount": total, "amount_refunded": total, "refunded": true})
		r := w.deliver(refund, "")
		if r.Status != http.StatusConflict || r.ErrCode() != "retry_later" {
			t.Fatalf("early refund: %d %s", r.Status, r.Body)
		}
		if o := w.order(orderID); o.Status != payments.StatusPendingPayment || o.AmountRefunded != 0 {
			t.Fatalf("early refund changed the order: %+v", o)
		}
		completed := w.event("checkout.session.completed", w.paid(orderID, total, "ch_"+orderID))
		w.mustDeliver(completed)
		w.send(orderID)
		w.eventually("transferred", func() bool {
			return w.entry(orderID+":0:earning").Status == payments.EntryTransferred
		})
		// Stripe retries the refund event: now it applies. The goods were sent, so the wage
		// stands and the program bears the refund.
		w.mustDeliver(refund)
		if o := w.order(orderID); o.Status != payments.StatusRefunded {
			t.Fatalf("after the refund event: %s", o.Status)
		}
		// Late duplicates of both change nothing.
		if r := w.mustDeliver(completed); r.JSON["duplicate"] != true {
			t.Fatalf("completed again: %s", r.Body)
		}
		if r := w.mustDeliver(refund); r.JSON["duplicate"] != true {
			t.Fatalf("refund again: %s", r.Body)
		}
		w.process()
		o := w.order(orderID)
		tr := w.entry(orderID + ":0:earning").TransferID
		if o.Status != payments.StatusRefunded || o.AmountRefunded != total || w.entry(orderID+":0:earning").Status != payments.EntryTransferred ||
			w.entry(orderID+":0:program_refund").Amount != -total ||
			len(w.sm.Requests("POST", "/v1/transfers/"+tr+"/reversals")) != 0 || countTransfersFor(w, orderID) != 1 {
			t.Fatalf("after replays: order %s refunded %d, reversals %d, transfers %d", o.Status, o.AmountRefunded,
				len(w.sm.Requests("POST", "/v1/transfers/"+tr+"/reversals")), countTransfersFor(w, orderID))
		}
		if len(w.sm.Requests("POST", "/v1/refunds")) != 0 {
			t.Fatal("a refund made at Stripe was refunded again by the app")
		}
	})

	t.Run("one event to many deliveries on two instances is processed once", func(t *testing.T) {
		orderID, total, _ := w.pendingOrder(60000, 18000, 3)
		other := w.newPaymentsInstance()
		payload := w.event("checkout.session.completed", w.paid(orderID, total, "ch_"+orderID))
		var wg sync.WaitGroup
		var mu sync.Mutex
		fresh := 0
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					r := w.deliver(payload, "")
					mu.Lock()
					defer mu.Unlock()
					if r.Status == http.StatusOK && r.JSON["duplicate"] == false {
						fresh++
					}
					return
				}
				res, err := other.HandleWebhook(context.Background(), payload, stripetest.Sign(payload, stripetest.WebhookSecret))
				mu.Lock()
				defer mu.Unlock()
				if err == nil && !res.Duplicate {
					fresh++
				}
			}()
		}
		wg.Wait()
		if fresh != 1 {
			t.Fatalf("event processed %d times, want 1", fresh)
		}
		w.send(orderID)
		w.eventually("transferred", func() bool {
			return w.entry(orderID+":0:earning").Status == payments.EntryTransferred
		})
		if _, err := other.ProcessLedger(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := countTransfersFor(w, orderID); n != 1 {
			t.Fatalf("transfers for the order: %d, want 1", n)
		}
		var audit []bson.M
		cur, _ := w.e.DB.Read("audit").Find(context.Background(), bson.M{"action": "order.paid", "recordId": orderID})
		_ = cur.All(context.Background(), &audit)
		if len(audit) != 1 {
			t.Fatalf("order.paid audited %d times", len(audit))
		}
	})

	t.Run("an older account.updated arriving late does not switch payouts back", func(t *testing.T) {
		now := time.Now()
		w.mustDeliver(w.eventAt("account.updated", accountUpdated(acct, false), now.Add(time.Minute)))
		w.mustDeliver(w.eventAt("account.updated", accountUpdated(acct, true), now.Add(-time.Hour)))
		m := w.e.Must(http.StatusOK, "GET", "/api/v1/makers/"+w.mA, w.mAt, nil)
		if m.JSON["payoutsEnabled"] != false {
			t.Fatalf("late event re-enabled payouts: %s", m.Body)
		}
		// While payouts are off, a new sale's earning waits; when they come back, it goes.
		orderID, total, _ := w.pendingOrder(60000, 18000, 3)
		w.mustDeliver(w.event("checkout.session.completed", w.paid(orderID, total, "")))
		w.send(orderID)
		// The background payout worker may get to it first, so look at the entry, not at
		// which run saw it wait.
		w.process()
		if e := w.entry(orderID + ":0:earning"); e.Status != payments.EntryPending || countTransfersFor(w, orderID) != 0 {
			t.Fatalf("earning did not wait for the payee: %s, %d transfers", e.Status, countTransfersFor(w, orderID))
		}
		w.mustDeliver(w.eventAt("account.updated", accountUpdated(acct, true), now.Add(2*time.Minute)))
		w.eventually("transferred after re-enabling", func() bool {
			return w.entry(orderID+":0:earning").Status == payments.EntryTransferred
		})
		trs := transfersFor(w, orderID)
		if len(trs) != 1 || trs[0].Form.Get("amount") != itoa(share) || trs[0].Form.Get("source_transaction") != "" {
			t.Fatalf("transfer without a known charge: %+v", trs)
		}
	})
}

// A delayed payment method keeps the reservation past 30 minutes until it clears or fails.
func TestPaymentsAsyncPayments(t *testing.T) {
	w := newPayWorld(t, true)
	ctx := context.Background()
	for _, outcome := range []string{"succeeded", "failed"} {
		t.Run(outcome, func(t *testing.T) {
			orderID, total, p := w.pendingOrder(60000, 18000, 3)
			session := w.paid(orderID, total, "")
			session["payment_status"] = "unpaid"
			w.mustDeliver(w.event("checkout.session.completed", session))
			o := w.order(orderID)
			if o.Status != payments.StatusPendingPayment || !o.AwaitingAsync {
				t.Fatalf("after completed/unpaid: %s awaiting %v", o.Status, o.AwaitingAsync)
			}
			if _, err := w.e.DB.Write("orders").UpdateOne(ctx, bson.M{"_id": orderID},
				bson.M{"$set": bson.M{"expiresAt": time.Now().Add(-time.Hour)}}); err != nil {
				t.Fatal(err)
			}
			if n, _ := w.e.App.Payments.ExpireReservations(ctx); n != 0 || w.stock(p) != 9 {
				t.Fatalf("a clearing payment's reservation was released: %d, stock %d", n, w.stock(p))
			}
			session["payment_status"] = "paid"
			w.mustDeliver(w.event("checkout.session.async_payment_"+outcome, session))
			o = w.order(orderID)
			switch outcome {
			case "succeeded":
				if o.Status != payments.StatusPaid || w.stock(p) != 9 || w.entry(orderID+":0:earning").Amount != w.makerShare(60000, 18000) {
					t.Fatalf("after success: %s stock %d", o.Status, w.stock(p))
				}
			case "failed":
				if o.Status != payments.StatusCancelled || w.stock(p) != 10 {
					t.Fatalf("after failure: %s stock %d", o.Status, w.stock(p))
				}
			}
		})
	}
}

// A dispute freezes the order's pending earnings; winning it releases them.
func TestPaymentsDisputeFreezesPendingEarnings(t *testing.T) {
	w := newPayWorld(t, true)
	acct := w.onboardMaker(w.mA, w.mAt, false)
	orderID, total, _ := w.pendingOrder(60000, 18000, 3)
	w.mustDeliver(w.event("checkout.session.completed", w.paid(orderID, total, "ch_d")))
	w.send(orderID)
	dispute := map[string]any{"id": "dp_1", "object": "dispute", "charge": "ch_d", "payment_intent": "pi_" + orderID, "status": "needs_response"}
	w.mustDeliver(w.event("charge.dispute.created", dispute))
	if e := w.entry(orderID + ":0:earning"); e.Status != payments.EntryFrozen {
		t.Fatalf("earning not frozen: %s", e.Status)
	}
	w.mustDeliver(w.event("account.updated", accountUpdated(acct, true)))
	w.process()
	if e := w.entry(orderID + ":0:earning"); e.Status != payments.EntryFrozen || countTransfersFor(w, orderID) != 0 {
		t.Fatalf("a frozen earning moved: %s", e.Status)
	}
	if bal, _ := w.earnings(w.mA, w.mAt); num(bal, "pending") != w.makerShare(60000, 18000) {
		t.Fatalf("frozen earning not shown as pending: %v", bal)
	}
	dispute["status"] = "won"
	w.mustDeliver(w.event("charge.dispute.closed", dispute))
	w.eventually("transferred after the dispute was won", func() bool {
		return w.entry(orderID+":0:earning").Status == payments.EntryTransferred
	})
}

func countTransfersFor(w *payWorld, orderID string) int { return len(transfersFor(w, orderID)) }

func transfersFor(w *payWorld, orderID string) []stripetest.Request {
	var out []stripetest.Request
	for _, r := range w.transfers() {
		if r.Form.Get("transfer_group") == orderID {
			out = append(out, r)
		}
	}
	return out
}
