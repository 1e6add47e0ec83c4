package payments_test

import (
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/payments/stripetest"
)

// codeOf is the domain error code of err ("" for none).
func codeOf(err error) string {
	if fe, ok := fault.As(err); ok {
		return fe.Code
	}
	return ""
}

// A signed checkout.session.completed pays the order through the service's webhook entry point:
// the order is paid with Stripe's ids, the held stock is sold, the maker's wage is credited, the
// buyer is told once. The same event again, and the same payment under another event, change
// nothing.
func TestWebhookCompletesPaymentOnce(t *testing.T) {
	w := newWorld(t)
	p := w.mustProduct(w.makerA, 5)
	o := w.mustCheckout(p, 2)
	if o.Status != payments.StatusPendingPayment || o.Total != 2*price || o.StripeSessionID == "" || w.stock(p) != 3 {
		t.Fatalf("after checkout: status %s total %d session %q stock %d", o.Status, o.Total, o.StripeSessionID, w.stock(p))
	}

	payload := w.completed(o, "ch_"+o.ID)
	if dup := w.mustDeliver(payload); dup {
		t.Fatal("first delivery seen as a duplicate")
	}
	got := w.order(o.ID)
	if got.Status != payments.StatusPaid || got.AmountPaid != o.Total || got.PaymentIntentID != "pi_"+o.ID ||
		got.ChargeID != "ch_"+o.ID || got.PaidAt.IsZero() || got.PaymentMethod != "stripe" || got.AwaitingAsync {
		t.Fatalf("order after payment: %+v", got)
	}
	if w.stock(p) != 3 {
		t.Fatalf("stock after payment %d, want 3 (the held units are sold)", w.stock(p))
	}
	held, err := w.cat.HeldStock(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(held, func(h catalog.HeldUnits) bool { return h.HoldID == o.ID }); i >= 0 {
		t.Fatalf("the paid order still holds stock: %+v", held[i])
	}
	e := w.mustEntry(earningID(o.ID, 0))
	// Credited at payment, payable once the package is sent (pay on dispatch).
	if e.Kind != payments.KindEarning || e.Status != payments.EntryAwaitingDispatch || e.Amount != 2*w.share() || e.Currency != "INR" ||
		e.MakerID != w.makerA || e.ProgramID != w.progA || e.PayeeType != payments.PayeeMaker || e.PayeeID != w.makerA ||
		e.Settlement != payments.SettleStripe || e.ChargeID != "ch_"+o.ID || !e.AvailableAt.Equal(got.PaidAt) {
		t.Fatalf("earning: %+v", e)
	}

	// Stripe delivers the same event again (a retry, or to another instance).
	if dup := w.mustDeliver(payload); !dup {
		t.Fatal("second delivery of the same event not seen as a duplicate")
	}
	if dup, err := w.deliverTo(w.newInstance(), payload); err != nil || !dup.Duplicate {
		t.Fatalf("delivery to another instance: %+v %v", dup, err)
	}
	// The same payment under another event (async_payment_succeeded also says paid).
	if dup := w.mustDeliver(w.event("checkout.session.async_payment_succeeded", w.session(o, "paid", "ch_"+o.ID))); dup {
		t.Fatal("a new event id seen as a duplicate")
	}
	if n := len(w.entries(o.ID)); n != 1 {
		t.Fatalf("ledger entries %d, want 1", n)
	}
	if n := w.audits("order.paid", o.ID); n != 1 {
		t.Fatalf("order.paid audited %d times", n)
	}
	if n := w.audits("ledger.credit", earningID(o.ID, 0)); n != 1 {
		t.Fatalf("ledger.credit audited %d times", n)
	}
	if told := w.toldOf(o.ID); !slices.Equal(told, []string{"paid"}) {
		t.Fatalf("the buyer was told %v, want [paid]", told)
	}
	if w.stock(p) != 3 || w.order(o.ID).Rev != got.Rev {
		t.Fatalf("a repeat changed the order or the stock: stock %d rev %d→%d", w.stock(p), got.Rev, w.order(o.ID).Rev)
	}
	var claims []bson.M
	cur, err := w.db.Read("stripe_events").Find(w.ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(w.ctx, &claims); err != nil {
		t.Fatal(err)
	}
	if len(claims) != 2 {
		t.Fatalf("events recorded: %d, want 2", len(claims))
	}
	for _, c := range claims {
		if c["status"] != "done" {
			t.Fatalf("event claim left %v", c)
		}
	}
}

// A validly signed payment that does not match its order (1 US cent for a ₹1,200 order, or the
// right number in another currency) completes nothing: the order is flagged for a coordinator,
// the event is recorded as handled, the mismatch is audited, and no wage is credited. The
// matching payment still completes it afterwards.
func TestWebhookPaymentThatDoesNotMatchTheOrderIsFlagged(t *testing.T) {
	w := newWorld(t)
	p := w.mustProduct(w.makerA, 5)
	o := w.mustCheckout(p, 2)
	for i, tc := range []struct {
		name     string
		amount   int64
		currency string
	}{
		{"one US cent", 1, "usd"},
		{"the right number in another currency", o.Total, "usd"},
		{"less than the total", o.Total - 1, "inr"},
		{"no currency", o.Total, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess := w.session(o, "paid", "ch_"+o.ID)
			sess["amount_total"], sess["currency"] = tc.amount, tc.currency
			payload := w.event("checkout.session.completed", sess)
			if dup := w.mustDeliver(payload); dup {
				t.Fatal("first delivery seen as a duplicate")
			}
			got := w.order(o.ID)
			if got.Status != payments.StatusPendingPayment || !got.PaidAt.IsZero() || got.AmountPaid != 0 {
				t.Fatalf("a mismatched payment completed the order: %+v", got)
			}
			if f := got.PaymentFlag; f == nil || f.Reason != "amount_mismatch" || f.Amount != tc.amount ||
				f.SessionID != o.StripeSessionID || f.PaymentIntentID != "pi_"+o.ID || f.At.IsZero() {
				t.Fatalf("payment flag: %+v", got.PaymentFlag)
			}
			if n := len(w.entries(o.ID)); n != 0 {
				t.Fatalf("a mismatched payment credited %d ledger entries", n)
			}
			if n := w.audits("order.payment_mismatch", o.ID); n != int64(i+1) {
				t.Fatalf("mismatch audited %d times, want %d", n, i+1)
			}
			if n := w.audits("order.paid", o.ID); n != 0 {
				t.Fatalf("order.paid audited %d times", n)
			}
			if dup := w.mustDeliver(payload); !dup {
				t.Fatal("the event was not recorded: a second delivery was processed again")
			}
		})
	}
	flagged, err := w.svc.Orders(w.ctx, w.coordA, payments.OrderQuery{Flagged: true})
	if err != nil {
		t.Fatal(err)
	}
	if os := flagged.([]payments.Order); len(os) != 1 || os[0].ID != o.ID {
		t.Fatalf("flagged orders for the coordinator: %+v", os)
	}
	if told := w.toldOf(o.ID); len(told) != 0 {
		t.Fatalf("the buyer was told %v of a payment that completed nothing", told)
	}

	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	if got := w.order(o.ID); got.Status != payments.StatusPaid || got.AmountPaid != o.Total || len(w.entries(o.ID)) != 1 {
		t.Fatalf("the matching payment after a flagged one: %+v, %d entries", got, len(w.entries(o.ID)))
	}
}

// Stripe's signatures are only good within its tolerance (300 s) of now, in both directions: a
// signature dated in the future is as stale as one from the past.
func TestWebhookRefusesSignaturesOutsideTheTolerance(t *testing.T) {
	w := newWorld(t)
	o := w.mustCheckout(w.mustProduct(w.makerA, 5), 1)
	payload := w.completed(o, "")
	signAt := func(at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: stripetest.WebhookSecret, Timestamp: at}).Header
	}
	for _, tc := range []struct {
		name string
		at   time.Duration
	}{
		{"ten minutes ahead", 10 * time.Minute},
		{"a day ahead", 24 * time.Hour},
		{"ten minutes old", -10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.svc.HandleWebhook(w.ctx, payload, signAt(time.Now().Add(tc.at))); codeOf(err) != "bad_signature" {
				t.Fatalf("err %v, want bad_signature", err)
			}
		})
	}
	if got := w.order(o.ID); got.Status != payments.StatusPendingPayment {
		t.Fatalf("a signature outside the tolerance changed the order: %s", got.Status)
	}
	// Within the tolerance either way (clocks differ a little) it is accepted.
	if _, err := w.svc.HandleWebhook(w.ctx, payload, signAt(time.Now().Add(2*time.Minute))); err != nil {
		t.Fatalf("a signature two minutes ahead: %v", err)
	}
	if got := w.order(o.ID); got.Status != payments.StatusPaid {
		t.Fatalf("order after a signature within the tolerance: %s", got.Status)
	}
}

// An event that is not signed with the webhook secret changes nothing and is not recorded.
func TestWebhookRefusesUnsignedEvents(t *testing.T) {
	w := newWorld(t)
	o := w.mustCheckout(w.mustProduct(w.makerA, 5), 1)
	payload := w.completed(o, "")
	for _, tc := range []struct {
		name, sig string
		body      []byte
	}{
		{"no signature", "", payload},
		{"garbage", "t=1,v1=abc", payload},
		{"another secret", stripetest.Sign(payload, "whsec_other"), payload},
		{"changed after signing", stripetest.Sign(payload, stripetest.WebhookSecret), append([]byte(" "), payload...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.svc.HandleWebhook(w.ctx, tc.body, tc.sig)
			if codeOf(err) != "bad_signature" {
				t.Fatalf("err %v, want bad_signature", err)
			}
		})
	}
	if got := w.order(o.ID); got.Status != payments.StatusPendingPayment {
		t.Fatalf("an unsigned event changed the order: %s", got.Status)
	}
	if n, _ := w.db.Read("stripe_events").CountDocuments(w.ctx, bson.M{}); n != 0 {
		t.Fatalf("refused events recorded: %d", n)
	}
}

// Stripe's Checkout events arrive in any order; whatever the order, the result is the one the
// money says, the stock is released at most once and the wage credited at most once.
func TestWebhookSessionEventsInAnyOrder(t *testing.T) {
	w := newWorld(t)
	type outcome struct {
		status   string
		awaiting bool
		stock    int // of 10, one unit bought
		credited bool
	}
	paid := outcome{status: payments.StatusPaid, stock: 9, credited: true}
	cancelled := outcome{status: payments.StatusCancelled, stock: 10}
	for _, tc := range []struct {
		name  string
		steps []string
		want  outcome
	}{
		{"completed", []string{"completed"}, paid},
		{"expired after paid", []string{"completed", "expired"}, paid},
		{"async failed after paid", []string{"completed", "failed"}, paid},
		{"async: completed while clearing", []string{"completed-unpaid"}, outcome{status: payments.StatusPendingPayment, awaiting: true, stock: 9}},
		{"async: clearing survives the reservation's end", []string{"completed-unpaid", "expire-job"}, outcome{status: payments.StatusPendingPayment, awaiting: true, stock: 9}},
		{"async: succeeded after completed", []string{"completed-unpaid", "expire-job", "succeeded"}, paid},
		{"async: succeeded before completed", []string{"succeeded", "completed-unpaid"}, paid},
		{"async: succeeded twice", []string{"completed-unpaid", "succeeded", "succeeded"}, paid},
		{"async: failed", []string{"completed-unpaid", "failed"}, cancelled},
		{"async: failed, then expired", []string{"completed-unpaid", "failed", "expired"}, cancelled},
		{"expired, then failed", []string{"expired", "failed"}, cancelled},
		{"expired, then the job", []string{"expired", "expire-job"}, cancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := w.mustProduct(w.makerA, 10)
			o := w.mustCheckout(p, 1)
			for _, step := range tc.steps {
				var payload []byte
				switch step {
				case "completed":
					payload = w.completed(o, "ch_"+o.ID)
				case "completed-unpaid":
					payload = w.event("checkout.session.completed", w.session(o, "unpaid", ""))
				case "succeeded":
					payload = w.event("checkout.session.async_payment_succeeded", w.session(o, "paid", ""))
				case "failed":
					payload = w.event("checkout.session.async_payment_failed", w.session(o, "unpaid", ""))
				case "expired":
					s := w.session(o, "unpaid", "")
					s["status"], s["payment_intent"] = "expired", nil
					payload = w.event("checkout.session.expired", s)
				case "expire-job":
					// The reservation's 30 minutes pass and the job runs.
					w.setOrder(o.ID, bson.M{"expiresAt": time.Now().Add(-time.Minute)})
					if _, err := w.svc.ExpireReservations(w.ctx); err != nil {
						t.Fatalf("expire reservations: %v", err)
					}
					continue
				default:
					t.Fatalf("unknown step %s", step)
				}
				w.mustDeliver(payload)
			}
			got := w.order(o.ID)
			_, credited := w.entry(earningID(o.ID, 0))
			// AwaitingAsync means something only while the order waits for its money (a failed
			// payment's cancelled order keeps the flag; nothing reads it there).
			awaiting := got.AwaitingAsync && got.Status != payments.StatusCancelled
			if got.Status != tc.want.status || awaiting != tc.want.awaiting || w.stock(p) != tc.want.stock || credited != tc.want.credited {
				t.Fatalf("got status %s awaiting %v stock %d credited %v, want %+v", got.Status, got.AwaitingAsync, w.stock(p), credited, tc.want)
			}
			if tc.want.credited {
				if e := w.mustEntry(earningID(o.ID, 0)); e.Amount != w.share() || len(w.entries(o.ID)) != 1 {
					t.Fatalf("earning %+v among %d entries", e, len(w.entries(o.ID)))
				}
				if got.PaymentIntentID != "pi_"+o.ID || got.AmountPaid != o.Total {
					t.Fatalf("paid order: %+v", got)
				}
			}
			wantPaid := 0
			if tc.want.status == payments.StatusPaid {
				wantPaid = 1
			}
			if n := w.audits("order.paid", o.ID); n != int64(wantPaid) {
				t.Fatalf("order.paid audited %d times, want %d", n, wantPaid)
			}
			if n := w.audits("order.cancel", o.ID); tc.want.status == payments.StatusCancelled && n != 1 {
				t.Fatalf("order.cancel audited %d times, want 1", n)
			}
		})
	}
}

// A payment that completes after the order's reservation was released goes ahead when the stock
// can be taken again, and is refunded in full (once) when it is gone.
func TestLatePayment(t *testing.T) {
	w := newWorld(t)
	cancels := []struct {
		name   string
		cancel func(t *testing.T, o payments.Order)
	}{
		{"checkout.session.expired", func(t *testing.T, o payments.Order) {
			s := w.session(o, "unpaid", "")
			s["status"] = "expired"
			w.mustDeliver(w.event("checkout.session.expired", s))
		}},
		{"the reservation job", func(t *testing.T, o payments.Order) {
			w.setOrder(o.ID, bson.M{"expiresAt": time.Now().Add(-time.Minute)})
			if n, err := w.svc.ExpireReservations(w.ctx); err != nil || n < 1 {
				t.Fatalf("expire reservations: %d %v", n, err)
			}
		}},
		{"a coordinator", func(t *testing.T, o payments.Order) {
			if _, err := w.svc.Cancel(w.ctx, w.coordA, o.ID, payments.CancelInput{Reason: "buyer asked"}); err != nil {
				t.Fatalf("cancel: %v", err)
			}
		}},
	}
	for _, c := range cancels {
		t.Run("stock still there after "+c.name, func(t *testing.T) {
			p := w.mustProduct(w.makerA, 2)
			o := w.mustCheckout(p, 1)
			c.cancel(t, o)
			if got := w.order(o.ID); got.Status != payments.StatusCancelled || w.stock(p) != 2 {
				t.Fatalf("after cancelling: %s, stock %d", got.Status, w.stock(p))
			}
			w.mustDeliver(w.completed(o, "ch_"+o.ID))
			got := w.order(o.ID)
			if got.Status != payments.StatusPaid || got.PaidAt.IsZero() || !got.CancelledAt.IsZero() || got.CancelReason != "" ||
				got.AmountPaid != o.Total || got.ChargeID != "ch_"+o.ID || w.stock(p) != 1 {
				t.Fatalf("late payment with stock: %+v, stock %d", got, w.stock(p))
			}
			if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryAwaitingDispatch || e.Amount != w.share() {
				t.Fatalf("earning %+v", e)
			}
			if len(w.refundsFor(o.ID)) != 0 {
				t.Fatal("a late payment with stock was refunded")
			}
			// The job finds nothing more to release, and the order's units stay sold.
			if _, err := w.svc.ExpireReservations(w.ctx); err != nil {
				t.Fatal(err)
			}
			if w.stock(p) != 1 || w.order(o.ID).Status != payments.StatusPaid {
				t.Fatalf("after the job: stock %d, %s", w.stock(p), w.order(o.ID).Status)
			}
		})
	}

	t.Run("stock gone", func(t *testing.T) {
		p := w.mustProduct(w.makerA, 1)
		o := w.mustCheckout(p, 1)
		cancels[0].cancel(t, o)
		other := w.mustCheckout(p, 1) // takes the last unit
		w.mustDeliver(w.completed(o, "ch_"+o.ID))
		got := w.order(o.ID)
		if got.Status != payments.StatusRefunded || got.AmountRefunded != o.Total || got.AmountPaid != o.Total ||
			got.PaidAt.IsZero() || got.RefundedAt.IsZero() || !got.Items[0].Refunded() || got.Items[0].RefundID == "" {
			t.Fatalf("late payment without stock: %+v", got)
		}
		rf := w.refundsFor(o.ID)
		if len(rf) != 1 || rf[0].IdempotencyKey != "fh-refund-late-"+o.ID || rf[0].Form.Get("amount") != itoa(o.Total) ||
			rf[0].Form.Get("payment_intent") != "pi_"+o.ID || rf[0].Form.Get("metadata[items]") != "all" {
			t.Fatalf("refund requests: %+v", rf)
		}
		if es := w.entries(o.ID); len(es) != 0 {
			t.Fatalf("a refunded late payment credited wages: %+v", es)
		}
		if w.stock(p) != 0 || w.order(other.ID).Status != payments.StatusPendingPayment {
			t.Fatalf("the other buyer's unit was taken: stock %d, %s", w.stock(p), w.order(other.ID).Status)
		}
		// The same payment reported again, and Stripe's charge.refunded for the refund: no
		// second refund, no wage.
		w.mustDeliver(w.event("checkout.session.async_payment_succeeded", w.session(o, "paid", "ch_"+o.ID)))
		w.mustDeliver(w.event("charge.refunded", map[string]any{"id": "ch_" + o.ID, "object": "charge", "payment_intent": "pi_" + o.ID,
			"transfer_group": o.ID, "amount": o.Total, "amount_refunded": o.Total, "refunded": true}))
		w.process()
		if len(w.refundsFor(o.ID)) != 1 || len(w.entries(o.ID)) != 0 || w.order(o.ID).AmountRefunded != o.Total {
			t.Fatalf("after repeats: %d refunds, %d entries, refunded %d", len(w.refundsFor(o.ID)), len(w.entries(o.ID)), w.order(o.ID).AmountRefunded)
		}
	})
}

// The payments service checks out only what the catalog sells, in one currency, all or nothing.
func TestCheckoutReservesAllOrNothing(t *testing.T) {
	w := newWorld(t)
	a := w.mustProduct(w.makerA, 3)
	b := w.mustProduct(w.makerB, 1)
	_, err := w.svc.Checkout(w.ctx, w.buyer, payments.CheckoutInput{ShippingAddress: address,
		Items: []payments.ItemInput{{ProductID: a, Quantity: 2}, {ProductID: b, Quantity: 2}}})
	if codeOf(err) != "out_of_stock" {
		t.Fatalf("short cart: %v, want out_of_stock", err)
	}
	if w.stock(a) != 3 || w.stock(b) != 1 {
		t.Fatalf("a refused cart kept stock: %d %d", w.stock(a), w.stock(b))
	}
	if n, _ := w.db.Read("orders").CountDocuments(w.ctx, bson.M{}); n != 0 {
		t.Fatalf("a refused cart stored %d orders", n)
	}
	if _, err := w.svc.Checkout(w.ctx, accounts.Actor{}, payments.CheckoutInput{ShippingAddress: address,
		Items: []payments.ItemInput{{ProductID: a, Quantity: 1}}}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("a guest without an email: %v", err)
	}
	// A cart of two programs: one order, one Checkout Session with the order's transfer group.
	o := w.mustCheckout(a, 1, b, 1, a, 1)
	if len(o.Items) != 2 || o.Items[0].Quantity != 2 || o.Total != 3*price || !slices.Equal(o.ProgramIDs, []string{w.progA, w.progB}) {
		t.Fatalf("order: %+v", o)
	}
	cs := w.sm.Requests("POST", "/v1/checkout/sessions")
	if len(cs) != 1 || cs[0].Form.Get("payment_intent_data[transfer_group]") != o.ID || cs[0].Form.Get("client_reference_id") != o.ID ||
		cs[0].IdempotencyKey != "fh-checkout-"+o.ID {
		t.Fatalf("checkout sessions: %+v", cs)
	}
	for i, it := range o.Items {
		if it.Shares.Sum() != it.Total || it.Shares.Maker != int64(it.Quantity)*w.share() {
			t.Fatalf("item %d shares %+v of %d", i, it.Shares, it.Total)
		}
	}
}
