package payments_test

import (
	"strconv"
	"testing"

	"github.com/fairhands/marketplace/payments"
)

// Money refunded at Stripe without item details has gone back to the buyer already; when the
// coordinator then refunds the item (as the audit trail tells them to, to reverse the wage), the
// app must not send the same money back a second time.
func TestRefundAfterUnallocatedStripeRefundDoesNotPayTwice(t *testing.T) {
	w := newWorld(t)
	o := w.mustCheckout(w.mustProduct(w.makerA, 5), 1, w.mustProduct(w.makerA, 5), 1)
	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	// The Dashboard refunds item 0's price, without saying which item.
	w.mustDeliver(w.chargeRefunded(o, price, false, map[string]any{"id": "re_dash", "amount": price, "metadata": map[string]any{}}))
	if got := w.order(o.ID); got.AmountRefunded != price || got.Items[0].Refunded() {
		t.Fatalf("after the Dashboard refund: %+v", got)
	}
	got, err := w.svc.Refund(w.ctx, w.coordA, o.ID, payments.RefundInput{Items: []int{0}, Reason: "refunded in the Dashboard"})
	if err != nil {
		t.Fatalf("refund item 0: %v", err)
	}
	var sent int64
	for _, r := range w.refundsFor(o.ID) {
		sent += atoi(t, r.Form.Get("amount"))
	}
	if sent != 0 || got.AmountRefunded != price {
		t.Fatalf("the buyer got %d back from the app on top of the %d refunded at Stripe; order says %d refunded", sent, price, got.AmountRefunded)
	}
	if !got.Items[0].Refunded() || w.mustEntry(earningID(o.ID, 0)).Status != payments.EntryReversed {
		t.Fatalf("item 0 not refunded locally: %+v", got.Items[0])
	}
	// The rest is refunded in full at Stripe.
	got, err = w.svc.Refund(w.ctx, w.coordA, o.ID, payments.RefundInput{})
	if err != nil {
		t.Fatal(err)
	}
	sent = 0
	for _, r := range w.refundsFor(o.ID) {
		sent += atoi(t, r.Form.Get("amount"))
	}
	if sent != price || got.AmountRefunded != o.Total || got.Status != payments.StatusRefunded {
		t.Fatalf("after refunding the rest: sent %d, order refunded %d (%s), want %d and %d", sent, got.AmountRefunded, got.Status, price, o.Total)
	}
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return n
}

// A whole refund at Stripe after a partial one without item details refunds the order's total,
// not the total plus the part counted twice.
func TestWholeStripeRefundAfterUnallocatedOneCountsOnce(t *testing.T) {
	w := newWorld(t)
	o := w.mustPay(w.mustProduct(w.makerA, 5))
	w.mustDeliver(w.chargeRefunded(o, 5000, false, map[string]any{"id": "re_part", "amount": 5000, "metadata": map[string]any{}}))
	w.mustDeliver(w.chargeRefunded(o, o.Total, true))
	if got := w.order(o.ID); got.Status != payments.StatusRefunded || got.AmountRefunded != o.Total {
		t.Fatalf("order after the whole refund: %s, %d refunded of %d", got.Status, got.AmountRefunded, o.Total)
	}
}
