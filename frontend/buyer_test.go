package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/payments"
)

// TestBuyerSignUpAndOrderHistory: a buyer creates an account (mistakes shown next to the
// fields, what was typed kept; an e-mail that already has an account is answered exactly like
// a new one), signs in, checks out, and finds the order under "My orders"; another buyer gets
// 404 on it.
func TestBuyerSignUpAndOrderHistory(t *testing.T) {
	s := newShop(t)
	w := newWeb(t, s.e)
	must(t, w.get("/login?lang=en"), http.StatusOK, `href="/register"`)
	must(t, w.get("/register"), http.StatusOK, "Create an account", `name="password2"`)
	bad := url.Values{"name": {"Ritu"}, "email": {"ritu@buyers.test"}, "password": {"short"}, "password2": {"short"}}
	must(t, w.post("/register", bad), http.StatusBadRequest, "at least 10", `value="ritu@buyers.test"`, `value="Ritu"`)
	mismatch := url.Values{"name": {"Ritu"}, "email": {"ritu@buyers.test"}, "password": {"kantha quilt morning"}, "password2": {"kantha quilt evening"}}
	must(t, w.post("/register", mismatch), http.StatusBadRequest, "not the same")
	w.get("/register?lang=hi")
	must(t, w.post("/register", mismatch), http.StatusBadRequest, "दोनों पासवर्ड एक जैसे नहीं हैं")
	w.get("/register?lang=en")
	good := url.Values{"name": {"Ritu"}, "email": {"ritu@buyers.test"}, "password": {"kantha quilt morning"}, "password2": {"kantha quilt morning"}}
	p := w.post("/register", good)
	must(t, p, http.StatusOK, "Your account is ready")
	// The same e-mail again: the same answer, and the first password still works.
	again := newWeb(t, s.e)
	must(t, again.post("/register", url.Values{"name": {"Someone"}, "email": {"ritu@buyers.test"}, "password": {"another long secret"},
		"password2": {"another long secret"}}), http.StatusOK, "Your account is ready")
	must(t, w.login("ritu@buyers.test", "kantha quilt morning"), http.StatusOK)

	ctx := context.Background()
	u, err := s.e.App.Accounts.UserByLogin(ctx, "ritu@buyers.test")
	if err != nil || u.Role != accounts.RoleBuyer || u.Name != "Ritu" {
		t.Fatalf("account: %+v %v", u, err)
	}
	res, err := s.e.App.Payments.Checkout(ctx, accounts.ActorOf(u, "test"), payments.CheckoutInput{
		Items:           []payments.ItemInput{{ProductID: s.products[0].ID, Quantity: 1}},
		ShippingAddress: &payments.Address{Name: "Ritu", Line1: "1 Park Street", City: "Kolkata", PostalCode: "700016", Country: "IN"}})
	if err != nil {
		t.Fatal(err)
	}
	p = w.get("/account/orders")
	must(t, p, http.StatusOK, "My orders", "/account/orders/"+res.OrderID, "1 × Brass jhumka earrings", "Waiting for payment")
	must(t, w.get("/account/orders/"+res.OrderID), http.StatusOK, "Brass jhumka earrings", "Waiting for payment")
	must(t, w.get("/account"), http.StatusOK, `href="/account/orders"`)

	other := newWeb(t, s.e)
	other.post("/register", url.Values{"name": {"Dev"}, "email": {"dev@buyers.test"}, "password": {"block print cushion"}, "password2": {"block print cushion"}})
	other.login("dev@buyers.test", "block print cushion")
	if p := other.get("/account/orders/" + res.OrderID); p.Status != http.StatusNotFound || strings.Contains(p.Body, "Brass jhumka") {
		t.Fatalf("another buyer opened the order: %d", p.Status)
	}
	must(t, other.get("/account/orders"), http.StatusOK, "No orders yet")
}
