package payments_test

import (
	"regexp"
	"testing"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
)

// One unpaid checkout cannot empty the shop: a checkout holds at most 20 of a product and 40 in
// all, and one client or e-mail no more across its unpaid orders; checking the same cart out
// again lets the earlier order's goods go.
func TestUnpaidCheckoutsHoldOnlySoMuch(t *testing.T) {
	w := newWorld(t)
	big := w.mustProduct(w.makerA, 263)
	other := w.mustProduct(w.makerA, 100)
	checkout := func(ip, email, cart string, lines ...any) (payments.CheckoutResult, error) {
		t.Helper()
		var items []payments.ItemInput
		for i := 0; i+1 < len(lines); i += 2 {
			items = append(items, payments.ItemInput{ProductID: lines[i].(string), Quantity: lines[i+1].(int)})
		}
		actor := w.buyer
		actor.UserID, actor.Role, actor.IP = "", "", ip // a guest
		return w.svc.Checkout(w.ctx, actor, payments.CheckoutInput{Items: items, Email: email, ShippingAddress: address, CartID: cart})
	}
	code := func(err error) string {
		if fe, ok := fault.As(err); ok {
			return fe.Code
		}
		return ""
	}

	t.Run("per product and per checkout", func(t *testing.T) {
		if _, err := checkout("192.0.2.1", "a@example.org", "", big, 21); code(err) != "too_many_units" {
			t.Fatalf("21 of one product: %v", err)
		}
		if _, err := checkout("192.0.2.1", "a@example.org", "", big, 20, other, 21); code(err) != "too_many_units" {
			t.Fatalf("41 in all: %v", err)
		}
		if got := w.stock(big); got != 263 {
			t.Fatalf("a refused checkout held stock: %d left", got)
		}
	})
	t.Run("per client and per e-mail across unpaid orders", func(t *testing.T) {
		if _, err := checkout("192.0.2.2", "b@example.org", "", big, 20, other, 20); err != nil {
			t.Fatal(err)
		}
		// The same address with another e-mail, and the same e-mail from another address.
		if _, err := checkout("192.0.2.2", "c@example.org", "", big, 1); code(err) != "too_many_unpaid" {
			t.Fatalf("same client: %v", err)
		}
		if _, err := checkout("192.0.2.3", "b@example.org", "", other, 1); code(err) != "too_many_unpaid" {
			t.Fatalf("same e-mail: %v", err)
		}
		if got := w.stock(big); got != 243 {
			t.Fatalf("stock after one held checkout: %d", got)
		}
		// Someone else still buys.
		if _, err := checkout("192.0.2.4", "d@example.org", "", big, 2); err != nil {
			t.Fatalf("another buyer: %v", err)
		}
	})
	t.Run("the same cart again lets the earlier order go", func(t *testing.T) {
		before := w.stock(other)
		first, err := checkout("192.0.2.5", "e@example.org", "cart-e", other, 5)
		if err != nil {
			t.Fatal(err)
		}
		second, err := checkout("192.0.2.5", "e@example.org", "cart-e", other, 6)
		if err != nil {
			t.Fatalf("the same cart checked out again: %v", err)
		}
		if o := w.order(first.OrderID); o.Status != payments.StatusCancelled {
			t.Fatalf("the earlier order is %s, want cancelled", o.Status)
		}
		if o := w.order(second.OrderID); o.Status != payments.StatusPendingPayment {
			t.Fatalf("the new order is %s", o.Status)
		}
		if got := w.stock(other); got != before-6 {
			t.Fatalf("stock %d, want %d: the earlier hold must be given back", got, before-6)
		}
	})
}

// Order ids (and so the order references people see) are random: no timestamp, no counter, and
// nothing one order's id says about the next.
func TestOrderIDsSayNothing(t *testing.T) {
	w := newWorld(t)
	p := w.mustProduct(w.makerA, 10)
	a, b := w.mustCheckout(p, 1), w.mustCheckout(p, 1)
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	if !hex32.MatchString(a.ID) || !hex32.MatchString(b.ID) {
		t.Fatalf("order ids %q and %q are not 128 random bits", a.ID, b.ID)
	}
	if a.ID[:8] == b.ID[:8] || a.ID[len(a.ID)-6:] == b.ID[len(b.ID)-6:] {
		t.Fatalf("two orders' ids share their start or end: %s %s", a.ID, b.ID)
	}
}
