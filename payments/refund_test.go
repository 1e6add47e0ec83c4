package payments_test

import (
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
)

// chargeRefunded is Stripe's charge.refunded for an order's charge ch_<order>.
func (w *world) chargeRefunded(o payments.Order, amountRefunded int64, whole bool, refunds ...map[string]any) []byte {
	obj := map[string]any{"id": "ch_" + o.ID, "object": "charge", "payment_intent": "pi_" + o.ID, "transfer_group": o.ID,
		"amount": o.Total, "amount_refunded": amountRefunded, "refunded": whole}
	if refunds != nil {
		data := make([]any, len(refunds))
		for i, r := range refunds {
			data[i] = r
		}
		obj["refunds"] = map[string]any{"object": "list", "data": data}
	}
	return w.event("charge.refunded", obj)
}

// Refunds item by item and of the rest: the buyer's money goes back through Stripe once per
// item with a key naming the order and items, the items are marked, the stock is returned when
// asked, the wages not yet paid out are cancelled, and a second refund of an item is refused.
func TestRefundPerItemThenTheRest(t *testing.T) {
	w := newWorld(t)
	pa := w.mustProduct(w.makerA, 5)
	pb := w.mustProduct(w.makerB, 5)
	o := w.mustCheckout(pa, 2, pb, 1)
	w.mustDeliver(w.completed(o, "ch_"+o.ID))

	if _, err := w.svc.Refund(w.ctx, w.coordB, o.ID, payments.RefundInput{Items: []int{0}}); fault.KindOf(err) != fault.Forbidden {
		t.Fatalf("another program's coordinator refunding item 0: %v", err)
	}
	if _, err := w.svc.Refund(w.ctx, w.coordA, o.ID, payments.RefundInput{Items: []int{2}}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("refunding an item the order does not have: %v", err)
	}
	got, err := w.svc.Refund(w.ctx, w.coordA, o.ID, payments.RefundInput{Items: []int{0}, Reason: "arrived broken", Restock: true})
	if err != nil {
		t.Fatalf("refund item 0: %v", err)
	}
	rf := w.refundsFor(o.ID)
	if len(rf) != 1 || rf[0].Form.Get("amount") != itoa(2*price) || rf[0].Form.Get("payment_intent") != "pi_"+o.ID ||
		rf[0].Form.Get("metadata[items]") != "0" || rf[0].IdempotencyKey != "fh-refund-"+o.ID+"-0" {
		t.Fatalf("refund requests: %+v", rf)
	}
	if len(got.Items) != 1 || got.Items[0].ProgramID != w.progA {
		t.Fatalf("program A's coordinator sees another program's items: %+v", got.Items)
	}
	got = w.order(o.ID)
	if got.Status != payments.StatusPaid || got.AmountRefunded != 2*price || !got.Items[0].Refunded() ||
		got.Items[0].RefundID == "" || got.Items[1].Refunded() {
		t.Fatalf("order after refunding item 0: %+v", got)
	}
	if w.stock(pa) != 5 || w.stock(pb) != 4 {
		t.Fatalf("stock after restocking item 0: %d %d", w.stock(pa), w.stock(pb))
	}
	earn, rev := w.mustEntry(earningID(o.ID, 0)), w.mustEntry(reversalID(o.ID, 0))
	if earn.Status != payments.EntryReversed || rev.Status != payments.EntryReversed || rev.Amount != -2*w.share() ||
		rev.EarningID != earn.ID || rev.Kind != payments.KindReversal {
		t.Fatalf("item 0's ledger: earning %+v reversal %+v", earn, rev)
	}
	if e := w.mustEntry(earningID(o.ID, 1)); e.Status != payments.EntryAwaitingDispatch {
		t.Fatalf("item 1's earning was touched: %s", e.Status)
	}
	if told := w.toldOf(o.ID); !slices.Equal(told, []string{"paid", "refunded"}) {
		t.Fatalf("buyer told %v", told)
	}

	// The same item again is refused, whether named or by "everything I coordinate".
	for _, in := range []payments.RefundInput{{Items: []int{0}}, {}} {
		if _, err := w.svc.Refund(w.ctx, w.coordA, o.ID, in); codeOf(err) != "already_refunded" {
			t.Fatalf("second refund %+v: %v, want already_refunded", in, err)
		}
	}
	// Stripe's charge.refunded for that refund, delivered twice, changes nothing more.
	refundID := got.Items[0].RefundID
	for range 2 {
		w.mustDeliver(w.chargeRefunded(o, 2*price, false, map[string]any{"id": refundID, "amount": 2 * price,
			"metadata": map[string]any{"order_id": o.ID, "items": "0"}}))
	}
	w.process()
	if g := w.order(o.ID); g.AmountRefunded != 2*price || g.Status != payments.StatusPaid || len(w.refundsFor(o.ID)) != 1 ||
		w.stock(pa) != 5 || w.audits("order.refund", o.ID) != 1 || w.audits("ledger.reverse", earningID(o.ID, 0)) != 1 {
		t.Fatalf("after charge.refunded: refunded %d, %s, %d refunds, stock %d, %d order.refund, %d ledger.reverse",
			g.AmountRefunded, g.Status, len(w.refundsFor(o.ID)), w.stock(pa), w.audits("order.refund", o.ID), w.audits("ledger.reverse", earningID(o.ID, 0)))
	}

	// An admin refunds the rest: only item 1 goes to Stripe, and the order is refunded.
	got, err = w.svc.Refund(w.ctx, w.admin, o.ID, payments.RefundInput{})
	if err != nil {
		t.Fatalf("refund the rest: %v", err)
	}
	rf = w.refundsFor(o.ID)
	if len(rf) != 2 || rf[1].Form.Get("amount") != itoa(price) || rf[1].IdempotencyKey != "fh-refund-"+o.ID+"-1" {
		t.Fatalf("refund requests: %+v", rf)
	}
	if got.Status != payments.StatusRefunded || got.AmountRefunded != o.Total || got.RefundedAt.IsZero() {
		t.Fatalf("order after the whole refund: %+v", got)
	}
	if w.stock(pb) != 5 {
		t.Fatalf("item 1 was never sent, so its unit is back in stock: %d", w.stock(pb))
	}
	if e := w.mustEntry(earningID(o.ID, 1)); e.Status != payments.EntryReversed {
		t.Fatalf("item 1's earning: %s", e.Status)
	}
	if _, err := w.svc.Refund(w.ctx, w.admin, o.ID, payments.RefundInput{}); codeOf(err) != "already_refunded" {
		t.Fatalf("refunding a refunded order: %v", err)
	}
	if len(w.refundsFor(o.ID)) != 2 || w.audits("order.refund", o.ID) != 2 {
		t.Fatal("a refused refund moved money or was recorded")
	}
	// Nothing was ever transferred, so there is nothing to reverse at Stripe.
	if st := w.process(); st.Reversed != 0 || len(w.sm.Requests("POST", "/v1/transfers")) != 0 {
		t.Fatalf("ledger pass after refunds: %+v", st)
	}
}

// Orders that were not paid cannot be refunded; a paid one cancelled by its coordinator is
// refunded in full and restocked.
func TestRefundNeedsAPaidOrder(t *testing.T) {
	w := newWorld(t)
	p := w.mustProduct(w.makerA, 3)
	pending := w.mustCheckout(p, 1)
	if _, err := w.svc.Refund(w.ctx, w.coordA, pending.ID, payments.RefundInput{}); codeOf(err) != "not_refundable" {
		t.Fatalf("refunding an unpaid order: %v", err)
	}
	o := w.mustPayUnsent(p)
	got, err := w.svc.Cancel(w.ctx, w.coordA, o.ID, payments.CancelInput{Reason: "maker fell ill"})
	if err != nil {
		t.Fatalf("cancel a paid order: %v", err)
	}
	if got.Status != payments.StatusCancelled || got.AmountRefunded != o.Total || got.CancelledAt.IsZero() || w.stock(p) != 2 {
		t.Fatalf("cancelled paid order: %+v, stock %d", got, w.stock(p))
	}
	if rf := w.refundsFor(o.ID); len(rf) != 1 || rf[0].Form.Get("amount") != itoa(o.Total) {
		t.Fatalf("refund requests: %+v", rf)
	}
	if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryReversed {
		t.Fatalf("earning of a cancelled order: %s", e.Status)
	}
	if _, err := w.svc.Refund(w.ctx, w.coordA, o.ID, payments.RefundInput{}); codeOf(err) != "not_refundable" {
		t.Fatalf("refunding a cancelled order: %v", err)
	}
	if _, err := w.svc.Cancel(w.ctx, w.coordA, o.ID, payments.CancelInput{}); codeOf(err) != "wrong_status" {
		t.Fatalf("cancelling twice: %v", err)
	}
	if len(w.refundsFor(o.ID)) != 1 {
		t.Fatal("a second cancel refunded again")
	}
}

// Refunds made at Stripe (in the Dashboard, or ours whose local half was lost) reach the order
// through charge.refunded: matched to items by the refund's metadata, whole refunds to every
// item, partial ones without item details recorded but not guessed at.
func TestChargeRefundedFromStripe(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name         string
		event        func(o payments.Order) []byte
		wantStatus   string
		wantRefunded func(o payments.Order) int64
		wantReversed []bool // per item
		unallocated  bool
	}{
		{"whole refund", func(o payments.Order) []byte { return w.chargeRefunded(o, o.Total, true) },
			payments.StatusRefunded, func(o payments.Order) int64 { return o.Total }, []bool{true, true}, false},
		{"one item, named in the refund's metadata", func(o payments.Order) []byte {
			return w.chargeRefunded(o, price, false, map[string]any{"id": "re_item1", "amount": price,
				"metadata": map[string]any{"order_id": o.ID, "items": "1"}})
		}, payments.StatusPaid, func(payments.Order) int64 { return price }, []bool{false, true}, false},
		{"part, without item details", func(o payments.Order) []byte {
			return w.chargeRefunded(o, 5000, false, map[string]any{"id": "re_dash", "amount": 5000, "metadata": map[string]any{}})
		}, payments.StatusPaid, func(payments.Order) int64 { return 5000 }, []bool{false, false}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := w.mustCheckout(w.mustProduct(w.makerA, 5), 1, w.mustProduct(w.makerA, 5), 1)
			w.mustDeliver(w.completed(o, "ch_"+o.ID))
			o = w.order(o.ID)
			for range 2 { // Stripe may send the same news under two events
				w.mustDeliver(tc.event(o))
			}
			got := w.order(o.ID)
			if got.Status != tc.wantStatus || got.AmountRefunded != tc.wantRefunded(o) {
				t.Fatalf("order: %s refunded %d, want %s %d", got.Status, got.AmountRefunded, tc.wantStatus, tc.wantRefunded(o))
			}
			for i, want := range tc.wantReversed {
				e := w.mustEntry(earningID(o.ID, i))
				if got.Items[i].Refunded() != want || (e.Status == payments.EntryReversed) != want {
					t.Fatalf("item %d: refunded %v, earning %s; want reversed %v", i, got.Items[i].Refunded(), e.Status, want)
				}
				if want && w.audits("ledger.reverse", e.ID) != 1 {
					t.Fatalf("item %d reversed %d times", i, w.audits("ledger.reverse", e.ID))
				}
			}
			if n := w.audits("order.refund_unallocated", o.ID); (n > 0) != tc.unallocated {
				t.Fatalf("order.refund_unallocated audited %d times", n)
			}
			if len(w.refundsFor(o.ID)) != 0 {
				t.Fatal("a refund made at Stripe was refunded again by the app")
			}
		})
	}

	// A refund whose event comes before the payment's is handed back to Stripe to deliver again,
	// and applies when it does.
	t.Run("before the payment", func(t *testing.T) {
		o := w.mustCheckout(w.mustProduct(w.makerA, 5), 1)
		refund := w.chargeRefunded(o, o.Total, true)
		if _, err := w.deliver(refund); codeOf(err) != "retry_later" {
			t.Fatalf("early refund: %v, want retry_later", err)
		}
		if got := w.order(o.ID); got.Status != payments.StatusPendingPayment || got.AmountRefunded != 0 {
			t.Fatalf("early refund changed the order: %+v", got)
		}
		w.mustDeliver(w.completed(o, "ch_"+o.ID))
		if dup := w.mustDeliver(refund); dup {
			t.Fatal("the retried refund was taken for a duplicate: it was never applied")
		}
		if got := w.order(o.ID); got.Status != payments.StatusRefunded || got.AmountRefunded != o.Total {
			t.Fatalf("after the retry: %+v", got)
		}
		if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryReversed {
			t.Fatalf("earning after the retried refund: %s", e.Status)
		}
	})
}

// An in-person sale credits wages as collected by the program; refunding it reverses them
// without calling Stripe.
func TestOfflineSaleRefund(t *testing.T) {
	w := newWorld(t)
	p := w.mustProduct(w.makerA, 4)
	o, err := w.svc.OfflineSale(w.ctx, w.coordA, w.progA, payments.OfflineSaleInput{
		Items: []payments.ItemInput{{ProductID: p, Quantity: 2}}, PaymentMethod: "cash"})
	if err != nil {
		t.Fatalf("offline sale: %v", err)
	}
	e := w.mustEntry(earningID(o.ID, 0))
	if o.Status != payments.StatusDelivered || e.Status != payments.EntryCollected || e.Settlement != payments.SettleOffline ||
		e.Amount != 2*w.share() || w.stock(p) != 2 {
		t.Fatalf("offline sale: %+v, earning %+v, stock %d", o, e, w.stock(p))
	}
	if st := w.process(); st.Transferred != 0 || len(w.sm.Requests("POST", "/v1/transfers")) != 0 {
		t.Fatal("a collected wage was transferred")
	}
	got, err := w.svc.Refund(w.ctx, w.coordA, o.ID, payments.RefundInput{Restock: true})
	if err != nil {
		t.Fatalf("refund offline sale: %v", err)
	}
	// Handed over at the stall, the goods were made and delivered: the maker keeps her wage and
	// the program bears the refund.
	if got.Status != payments.StatusRefunded || got.AmountRefunded != o.Total || w.stock(p) != 4 ||
		w.mustEntry(earningID(o.ID, 0)).Status != payments.EntryCollected || len(w.sm.Requests("POST", "/v1/refunds")) != 0 {
		t.Fatalf("refunded offline sale: %+v, stock %d", got, w.stock(p))
	}
	var n int64
	if n, err = w.db.Read("ledger").CountDocuments(w.ctx, bson.M{"orderId": o.ID, "kind": payments.KindReversal}); err != nil || n != 0 {
		t.Fatalf("reversal entries %d %v", n, err)
	}
	if c := w.mustEntry(o.ID + ":0:" + payments.KindProgramRefund); c.Amount != -o.Total || c.ProgramID != w.progA || c.MakerID != "" {
		t.Fatalf("the program's charge: %+v", c)
	}
}
