package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/payments/stripetest"
)

// paymentsRows lists the payments routes for the permission matrix. Onboarding answers 503
// without Stripe, so the matrix's world needs one (apptest.New(t, withStripe(stripetest.Start(t)))).
// The webhook is not in the matrix: Stripe's signature, not a role, admits it (see
// TestPaymentsWebhookRefusesBadSignatures).
func paymentsRows() []row {
	buyerAndStaff := []string{"buyer", "coordinator", "admin"}
	ownerAndStaff := []string{"maker", "coordinator", "admin"}
	order := func(paid bool, suffix string, body any) func(*testing.T, *world, string) (string, any) {
		return func(t *testing.T, w *world, role string) (string, any) {
			id, _ := matrixOrder(t, w, paid)
			return "/api/v1/orders/" + id + suffix, body
		}
	}
	pkg := func(suffix string, body any) func(*testing.T, *world, string) (string, any) {
		return func(t *testing.T, w *world, role string) (string, any) {
			id, _ := matrixOrder(t, w, true)
			return "/api/v1/fulfilments/" + id + "-1" + suffix, body
		}
	}
	return []row{
		{method: "GET", route: "/api/v1/programs/:id/fulfilments", allow: staffOfA()},
		{method: "GET", route: "/api/v1/fulfilments/:id", allow: staffOfA(), setup: pkg("", nil)},
		{method: "POST", route: "/api/v1/fulfilments/:id/send", allow: staffOfA(), setup: pkg("/send", map[string]string{"carrier": "India Post", "trackingNumber": "EE1IN"})},
		{method: "POST", route: "/api/v1/fulfilments/:id/deliver", allow: staffOfA(), setup: pkg("/deliver", nil)},
		{method: "POST", route: "/api/v1/fulfilments/:id/cancel", allow: staffOfA(), setup: pkg("/cancel", map[string]string{"reason": "maker ill"})},
		{method: "POST", route: "/api/v1/fulfilments/:id/refund", allow: staffOfA(), setup: pkg("/refund", map[string]string{"reason": "arrived broken"})},
		{method: "POST", route: "/api/v1/checkout", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]any{"items": []any{map[string]any{"productId": matrixSaleProduct(t, w), "quantity": 1}},
				"email": "guest@test.example", "shippingAddress": address}
		}},
		{method: "GET", route: "/api/v1/orders", allow: without(everyone, "anonymous")},
		{method: "GET", route: "/api/v1/orders/by-token/:token", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			_, token := matrixOrder(t, w, false)
			return "/api/v1/orders/by-token/" + token, nil
		}},
		{method: "GET", route: "/api/v1/orders/:id", allow: buyerAndStaff, setup: order(false, "", nil)},
		{method: "POST", route: "/api/v1/orders/:id/ship", allow: staffOfA(), setup: order(true, "/ship", map[string]string{"trackingNumber": "IN1"})},
		{method: "POST", route: "/api/v1/orders/:id/deliver", allow: staffOfA(), setup: order(true, "/deliver", nil)},
		{method: "POST", route: "/api/v1/orders/:id/cancel", allow: staffOfA(), setup: order(false, "/cancel", nil)},
		{method: "POST", route: "/api/v1/orders/:id/refund", allow: staffOfA(), setup: order(true, "/refund", nil)},
		{method: "POST", route: "/api/v1/makers/:id/stripe/onboarding", allow: ownerAndStaff, setup: makerPath("/stripe/onboarding")},
		{method: "GET", route: "/api/v1/makers/:id/stripe/onboarding/refresh", allow: ownerAndStaff, setup: makerPath("/stripe/onboarding/refresh")},
		{method: "GET", route: "/api/v1/makers/:id/earnings", allow: ownerAndStaff, setup: makerPath("/earnings")},
		{method: "POST", route: "/api/v1/programs/:id/stripe/onboarding", allow: staffOfA()},
		{method: "GET", route: "/api/v1/programs/:id/stripe/onboarding/refresh", allow: staffOfA()},
		{method: "GET", route: "/api/v1/programs/:id/payouts", allow: staffOfA()},
		{method: "GET", route: "/api/v1/programs/:id/disbursements", allow: staffOfA()},
		{method: "POST", route: "/api/v1/programs/:id/disbursements", allow: staffOfA(), setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]any{"makerId": w.makerID, "amount": 100, "method": "cash", "date": time.Now().Format("2006-01-02")}
		}},
		{method: "POST", route: "/api/v1/programs/:id/offline-sales", allow: staffOfA(), setup: func(t *testing.T, w *world, role string) (string, any) {
			return "", map[string]any{"items": []any{map[string]any{"productId": matrixSaleProduct(t, w), "quantity": 1}}, "paymentMethod": "cash"}
		}},
	}
}

// matrixSaleProduct is a published product of the world's maker with plenty of stock.
func matrixSaleProduct(t *testing.T, w *world) string {
	t.Helper()
	if id := w.fixtures["payments.product"]; id != "" {
		return id
	}
	r := w.e.Must(http.StatusCreated, "POST", "/api/v1/products", w.tokens["maker"], map[string]any{
		"title": "Brass jhumka earrings", "description": "Bell-shaped brass earrings.", "category": "Jewellery",
		"price": 60000, "currency": "INR", "stock": 1000, "hoursOfWork": 3, "materialsCost": 18000})
	id := r.Str("id")
	w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", w.tokens["maker"], nil)
	w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", w.tokens["coordinator"], nil)
	w.fixtures["payments.product"] = id
	return id
}

// matrixOrder is a fresh order of the world's buyer, paid when asked (through the test-payment
// path, or a signed Stripe event when the world runs with Stripe). It returns (id, link token).
func matrixOrder(t *testing.T, w *world, paid bool) (string, string) {
	t.Helper()
	r := w.e.Must(http.StatusCreated, "POST", "/api/v1/checkout", w.tokens["buyer"], map[string]any{
		"items": []any{map[string]any{"productId": matrixSaleProduct(t, w), "quantity": 1}}, "shippingAddress": address})
	id, token := r.Str("orderId"), r.Str("orderUrl")[strings.LastIndex(r.Str("orderUrl"), "/")+1:]
	if !paid {
		return id, token
	}
	p := w.e.App.Payments
	if p.TestMode() {
		if _, err := p.PayTestOrder(context.Background(), id, token); err != nil {
			t.Fatalf("pay order: %v", err)
		}
		return id, token
	}
	var o struct {
		Session string `bson:"stripeSessionId"`
	}
	if err := w.e.DB.Read("orders").FindOne(context.Background(), bson.M{"_id": id}).Decode(&o); err != nil {
		t.Fatalf("load order: %v", err)
	}
	session := map[string]any{"id": o.Session, "object": "checkout.session", "client_reference_id": id,
		"metadata": map[string]any{"order_id": id}, "payment_intent": "pi_" + id, "payment_status": "paid",
		"amount_total": r.Num("total"), "currency": "inr"}
	payload := stripetest.Event("evt_"+id, "checkout.session.completed", session, time.Now())
	req, _ := http.NewRequest("POST", w.e.Server.URL+"/api/v1/stripe/webhook", bytesReader(payload))
	req.Header.Set("Stripe-Signature", stripetest.Sign(payload, stripetest.WebhookSecret))
	if res := w.e.Send(req); res.Status != http.StatusOK {
		t.Fatalf("pay order by event: %d %s", res.Status, res.Body)
	}
	return id, token
}
