package api_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/payments"
)

// Stock taken at checkout is held on the product under the order's id, in the same write, so
// no crash can leave units taken and unaccounted for: the reservation sweep settles the holds of
// paid orders, releases those of orders cancelled halfway and of orders never stored (a process
// killed between taking the stock and writing the order), and leaves live reservations alone.
func TestPaymentsStockHoldsSweep(t *testing.T) {
	w := newPayWorld(t, true)
	ctx := context.Background()
	p := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 10)
	holds := func() map[string]int {
		t.Helper()
		held, err := w.e.App.Catalog.HeldStock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, h := range held {
			if h.ProductID == p {
				out[h.HoldID] += h.Quantity
			}
		}
		return out
	}
	ageHold := func(orderID string, by time.Duration) {
		t.Helper()
		if _, err := w.e.DB.Write("products").UpdateOne(ctx, bson.M{"_id": p},
			bson.M{"$set": bson.M{"holds." + orderID + ".at": time.Now().Add(-by)}}); err != nil {
			t.Fatal(err)
		}
	}
	sweep := func() int {
		t.Helper()
		n, err := w.e.App.Payments.ExpireReservations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A paid order: its hold is settled, the units stay sold.
	paid := w.checkout(w.buyerTok, p, 2)
	paidID := paid.Str("orderId")
	if h := holds(); h[paidID] != 2 || w.stock(p) != 8 {
		t.Fatalf("after checkout: holds %v, stock %d", h, w.stock(p))
	}
	if !w.order(paidID).StockHeld {
		t.Fatal("a new order does not say its stock is held")
	}
	w.mustDeliver(w.event("checkout.session.completed", w.paid(paidID, int64(paid.Num("total")), "")))
	if w.order(paidID).Status != payments.StatusPaid {
		t.Fatalf("test payment: %s", w.order(paidID).Status)
	}
	// A live reservation, and units held for an order that was never stored.
	live := w.checkout(w.buyerTok, p, 1).Str("orderId")
	ghost := accounts.NewID()
	if err := w.e.App.Catalog.HoldStock(ctx, p, ghost, 3); err != nil {
		t.Fatal(err)
	}
	// An order cancelled halfway: the status changed, the process died before the release.
	cut := w.checkout(w.buyerTok, p, 1).Str("orderId")
	if _, err := w.e.DB.Write("orders").UpdateOne(ctx, bson.M{"_id": cut},
		bson.M{"$set": bson.M{"status": payments.StatusCancelled, "cancelledAt": time.Now().Add(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if s := w.stock(p); s != 3 {
		t.Fatalf("stock before the sweep %d, want 10-2-1-3-1 = 3", s)
	}

	if n := sweep(); n != 1 {
		t.Fatalf("first sweep released %d holds, want 1 (the cut-short cancellation)", n)
	}
	h := holds()
	if _, ok := h[paidID]; ok {
		t.Fatalf("the paid order's hold was not settled: %v", h)
	}
	if _, ok := h[cut]; ok {
		t.Fatalf("the cancelled order's hold was not released: %v", h)
	}
	if h[live] != 1 || h[ghost] != 3 {
		t.Fatalf("live reservation or a young orphan hold touched: %v", h)
	}
	if s := w.stock(p); s != 4 {
		t.Fatalf("stock after the first sweep %d, want 4 (the cancelled order's unit back, the sold ones not)", s)
	}

	// A reservation's time later the orphan hold goes back; the live order is still the expiry's.
	ageHold(ghost, payments.ReservationTTL+time.Minute)
	if n := sweep(); n != 1 {
		t.Fatalf("second sweep released %d, want 1 (the orphan)", n)
	}
	if h := holds(); len(h) != 1 || h[live] != 1 {
		t.Fatalf("holds after the second sweep: %v", h)
	}
	if s := w.stock(p); s != 7 {
		t.Fatalf("stock after the orphan's release %d, want 7", s)
	}
	if n := sweep(); n != 0 || w.stock(p) != 7 {
		t.Fatalf("a third sweep released %d more (stock %d)", n, w.stock(p))
	}
	var rec bson.M
	if err := w.e.DB.Read("audit").FindOne(ctx, bson.M{"action": "stock.release", "recordId": p}).Decode(&rec); err != nil {
		t.Fatalf("the release is not in the audit trail: %v", err)
	}

	// An order from before holds existed: its units were taken by count, and go back by count.
	old := w.checkout(w.buyerTok, p, 2).Str("orderId")
	if ok, err := w.e.App.Catalog.SettleHold(ctx, p, old); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := w.e.DB.Write("orders").UpdateOne(ctx, bson.M{"_id": old},
		bson.M{"$unset": bson.M{"stockHeld": ""}, "$set": bson.M{"expiresAt": time.Now().Add(-time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if n := sweep(); n != 1 || w.stock(p) != 7 || w.order(old).Status != payments.StatusCancelled {
		t.Fatalf("an old-style order: %d expired, stock %d, status %s", n, w.stock(p), w.order(old).Status)
	}
}

// A Stripe that answers too slowly: the buyer hears so within CheckoutWait, not after the
// client's 30 s timeout, and the order's units go back at once.
func TestPaymentsSlowStripeCheckout(t *testing.T) {
	w := newPayWorld(t, true)
	p := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 4)
	w.e.App.Payments.CheckoutWait = 300 * time.Millisecond
	w.sm.SlowNext("/v1/checkout/sessions", 1, 5*time.Second)
	start := time.Now()
	r := w.checkout(w.buyerTok, p, 2)
	took := time.Since(start)
	if r.Status != 503 || errOf(r)["code"] != "payment_provider_unavailable" {
		t.Fatalf("slow Stripe: %d %s", r.Status, r.Body)
	}
	if took > 3*time.Second {
		t.Fatalf("the buyer waited %s for a Stripe that does not answer", took)
	}
	if s := w.stock(p); s != 4 {
		t.Fatalf("stock after the failed checkout %d, want 4", s)
	}
	var o payments.Order
	if err := w.e.DB.Read("orders").FindOne(context.Background(), bson.M{"items.productId": p}).Decode(&o); err != nil {
		t.Fatal(err)
	}
	if o.Status != payments.StatusCancelled {
		t.Fatalf("the order is %s, want cancelled", o.Status)
	}
	// Stripe is back: the next checkout goes through.
	if r := w.checkout(w.buyerTok, p, 2); r.Status != 201 {
		t.Fatalf("checkout after Stripe recovered: %d %s", r.Status, r.Body)
	}
}
