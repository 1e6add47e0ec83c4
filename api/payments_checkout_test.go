package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/payments"
)

func TestPaymentsCheckoutValidation(t *testing.T) {
	w := newPayWorld(t, false)
	pA := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 2)
	pA2 := w.product(w.mAt, w.cA, "Silver toe rings", 60000, 18000, 3, 5)
	cases := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"no items", w.buyerTok, map[string]any{"items": []any{}, "shippingAddress": address}, 400, "invalid_fields", "items"},
		{"zero quantity", w.buyerTok, map[string]any{"items": []any{map[string]any{"productId": pA, "quantity": 0}}, "shippingAddress": address}, 400, "invalid_fields", "items[0].quantity"},
		{"guest without email", "", map[string]any{"items": []any{map[string]any{"productId": pA, "quantity": 1}}, "shippingAddress": address}, 400, "invalid_fields", "email"},
		{"no address", w.buyerTok, map[string]any{"items": []any{map[string]any{"productId": pA, "quantity": 1}}}, 400, "invalid_fields", "shippingAddress"},
		{"bad country", w.buyerTok, map[string]any{"items": []any{map[string]any{"productId": pA, "quantity": 1}},
			"shippingAddress": map[string]any{"name": "A B", "line1": "x", "city": "y", "postalCode": "1", "country": "India"}}, 400, "invalid_fields", "shippingAddress.country"},
		{"unknown product", w.buyerTok, map[string]any{"items": []any{map[string]any{"productId": "nope", "quantity": 1}}, "shippingAddress": address}, 400, "invalid_fields", "items[0].productId"},
		{"quantity as text", w.buyerTok, map[string]any{"items": []any{map[string]any{"productId": pA, "quantity": "1"}}, "shippingAddress": address}, 400, "invalid_fields", ""},
		{"more than in stock, all or nothing", w.buyerTok, map[string]any{"items": []any{map[string]any{"productId": pA2, "quantity": 1},
			map[string]any{"productId": pA, "quantity": 3}}, "shippingAddress": address}, 409, "out_of_stock", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := w.e.Do("POST", "/api/v1/checkout", tc.token, tc.body)
			if r.Status != tc.status || r.ErrCode() != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %s", r.Status, r.ErrCode(), tc.status, tc.code, r.Body)
			}
			if tc.field != "" {
				fields, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
				if fields[tc.field] == nil {
					t.Fatalf("field %s not named: %s", tc.field, r.Body)
				}
			}
		})
	}
	r := w.checkout(w.buyerTok, pA2, 1, pA, 3)
	if !strings.Contains(string(r.Body), "Brass jhumka earrings") {
		t.Fatalf("out-of-stock answer does not name the product: %s", r.Body)
	}
	if w.stock(pA2) != 5 || w.stock(pA) != 2 {
		t.Fatalf("a refused cart kept stock: %d %d", w.stock(pA2), w.stock(pA))
	}

	t.Run("mixed currencies are refused", func(t *testing.T) {
		usd := w.e.Must(http.StatusCreated, "POST", "/api/v1/programs", w.e.AdminToken, map[string]any{
			"name": "Brooklyn Sewing Studio", "city": "New York", "country": "US", "currency": "USD", "livingWageHourly": 1500}).Str("id")
		_, c := w.e.Coordinator(usd)
		_, mt := w.e.Maker(usd, c)
		r := w.e.Must(http.StatusCreated, "POST", "/api/v1/products", mt, map[string]any{
			"title": "Tote bag", "description": "Canvas tote.", "category": "Bags", "price": 5000, "currency": "USD",
			"stock": 3, "hoursOfWork": 1, "materialsCost": 500})
		pu := r.Str("id")
		w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+pu+"/submit", mt, nil)
		w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+pu+"/approve", c, nil)
		r = w.checkout(w.buyerTok, pA, 1, pu, 1)
		if r.Status != http.StatusBadRequest || r.ErrCode() != "mixed_currency" {
			t.Fatalf("mixed cart: %d %s", r.Status, r.Body)
		}
		if w.stock(pA) != 2 || w.stock(pu) != 3 {
			t.Fatal("a mixed cart reserved stock")
		}
	})
}

// 200 buyers race for the last 5 units: exactly 5 orders, the rest told it is sold out.
func TestPaymentsCheckoutRaceSellsExactlyTheStock(t *testing.T) {
	w := newPayWorld(t, true)
	p := w.product(w.mAt, w.cA, "Last brass bangles", 60000, 18000, 3, 5)
	const buyers = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var orders []string
	start := time.Now()
	for range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := w.checkout("", p, 1)
			mu.Lock()
			defer mu.Unlock()
			statuses[r.Status]++
			switch r.Status {
			case http.StatusCreated:
				orders = append(orders, r.Str("orderId"))
			case http.StatusConflict:
				if r.ErrCode() != "out_of_stock" || !strings.Contains(string(r.Body), "Last brass bangles") {
					t.Errorf("conflict answer: %s", r.Body)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d concurrent checkouts for 5 units took %s: %v", buyers, time.Since(start).Round(time.Millisecond), statuses)
	if statuses[http.StatusCreated] != 5 || statuses[http.StatusConflict] != buyers-5 {
		t.Fatalf("statuses %v, want 5×201 and %d×409", statuses, buyers-5)
	}
	if s := w.stock(p); s != 0 {
		t.Fatalf("stock after the race: %d, want 0", s)
	}
	n, _ := w.e.DB.Read("orders").CountDocuments(context.Background(), bson.M{"items.productId": p})
	if n != 5 || len(w.sm.Requests("POST", "/v1/checkout/sessions")) != 5 {
		t.Fatalf("orders stored %d, sessions %d, want 5", n, len(w.sm.Requests("POST", "/v1/checkout/sessions")))
	}
}

// Unpaid reservations are released after 30 minutes, or when Stripe says the session expired —
// once; a payment that still arrives takes the stock again, or is refunded if it is gone.
func TestPaymentsReservationExpiry(t *testing.T) {
	w := newPayWorld(t, true)
	ctx := context.Background()
	p := w.product(w.mAt, w.cA, "Jute basket", 60000, 18000, 3, 2)
	age := func(orderID string) {
		if _, err := w.e.DB.Write("orders").UpdateOne(ctx, bson.M{"_id": orderID},
			bson.M{"$set": bson.M{"expiresAt": time.Now().Add(-time.Minute)}}); err != nil {
			t.Fatal(err)
		}
	}

	o1 := w.checkout(w.buyerTok, p, 1).Str("orderId")
	o2 := w.checkout(w.buyerTok, p, 1).Str("orderId")
	if w.stock(p) != 0 {
		t.Fatalf("stock %d, want 0", w.stock(p))
	}
	if n, err := w.e.App.Payments.ExpireReservations(ctx); err != nil || n != 0 {
		t.Fatalf("fresh reservations expired: %d %v", n, err)
	}
	age(o1)
	// When Stripe refuses to expire the session (and does not say it expired), the order is
	// left for its payment event: stock is never given back under a buyer who may have paid.
	w.sm.FailNext("/v1/checkout/sessions/"+w.order(o1).StripeSessionID+"/expire", 1)
	if n, err := w.e.App.Payments.ExpireReservations(ctx); err != nil || n != 0 || w.stock(p) != 0 {
		t.Fatalf("expired %d (%v) though Stripe refused, stock %d", n, err, w.stock(p))
	}
	if got := w.sm.Requests("GET", "/v1/checkout/sessions/"+w.order(o1).StripeSessionID); len(got) != 1 {
		t.Fatalf("the session's state was not looked up: %d", len(got))
	}
	if n, err := w.e.App.Payments.ExpireReservations(ctx); err != nil || n != 1 {
		t.Fatalf("expired %d (%v), want 1", n, err)
	}
	if o := w.order(o1); o.Status != payments.StatusCancelled || w.stock(p) != 1 {
		t.Fatalf("after expiry: %s, stock %d", o.Status, w.stock(p))
	}
	if len(w.sm.Requests("POST", "/v1/checkout/sessions/"+w.order(o1).StripeSessionID+"/expire")) != 2 {
		t.Fatal("the Checkout Session was not expired at Stripe first (refused once, then done)")
	}
	// Stripe's own checkout.session.expired for the same order changes nothing more.
	w.mustDeliver(w.event("checkout.session.expired", map[string]any{"id": w.order(o1).StripeSessionID, "object": "checkout.session",
		"client_reference_id": o1, "metadata": map[string]any{"order_id": o1}, "status": "expired"}))
	if w.stock(p) != 1 {
		t.Fatalf("stock released twice: %d", w.stock(p))
	}
	// The other order expires by Stripe's event; the job later finds nothing to do.
	w.mustDeliver(w.event("checkout.session.expired", map[string]any{"id": w.order(o2).StripeSessionID, "object": "checkout.session",
		"client_reference_id": o2, "metadata": map[string]any{"order_id": o2}, "status": "expired"}))
	age(o2)
	if n, _ := w.e.App.Payments.ExpireReservations(ctx); n != 0 || w.stock(p) != 2 || w.order(o2).Status != payments.StatusCancelled {
		t.Fatalf("after the expired event: job %d, stock %d, status %s", n, w.stock(p), w.order(o2).Status)
	}

	// A payment that completes after expiry takes the stock again when it is there...
	w.mustDeliver(w.event("checkout.session.completed", w.paid(o1, 60000, "")))
	if o := w.order(o1); o.Status != payments.StatusPaid || w.stock(p) != 1 {
		t.Fatalf("late payment with stock: %s, stock %d", o.Status, w.stock(p))
	}
	// ...and is refunded in full when it is gone.
	o3 := w.checkout(w.buyerTok, p, 1).Str("orderId") // takes the last unit
	w.e.Must(http.StatusOK, "POST", "/api/v1/orders/"+o3+"/cancel", w.cA, nil)
	o4 := w.checkout(w.buyerTok, p, 1).Str("orderId")
	_ = o4
	w.mustDeliver(w.event("checkout.session.completed", w.paid(o3, 60000, "")))
	o := w.order(o3)
	rf := w.sm.Requests("POST", "/v1/refunds")
	if o.Status != payments.StatusRefunded || o.AmountRefunded != 60000 || len(rf) != 1 || rf[0].IdempotencyKey != "fh-refund-late-"+o3 {
		t.Fatalf("late payment without stock: %s refunded %d, refunds %+v", o.Status, o.AmountRefunded, rf)
	}
	if _, err := w.e.App.Payments.ProcessLedger(ctx); err != nil {
		t.Fatal(err)
	}
	if bal, entries := w.earnings(w.mA, w.mAt); len(entries) != 1 || num(bal, "pending") != w.makerShare(60000, 18000) {
		t.Fatalf("earnings after late payments: %v %v", bal, entries)
	}
}

// Without STRIPE_SECRET_KEY, checkout completes on the app's own, clearly labelled test page,
// through the same path as Stripe's event.
func TestPaymentsTestModeCompletesOnTheTestPage(t *testing.T) {
	w := newPayWorld(t, false)
	p := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 4)
	r := w.checkout("", p, 2)
	if r.Status != http.StatusCreated || r.JSON["testMode"] != true {
		t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	orderID := r.Str("orderId")
	cu, err := url.Parse(r.Str("checkoutUrl"))
	if err != nil || cu.Host != "example.test" || cu.Path != "/checkout/test/"+orderID || len(cu.Query().Get("token")) < 40 {
		t.Fatalf("checkoutUrl %q", r.Str("checkoutUrl"))
	}
	token := cu.Query().Get("token")
	if r.Str("orderUrl") != "http://example.test/orders/"+token {
		t.Fatalf("orderUrl %q", r.Str("orderUrl"))
	}

	engine := gin.New()
	w.e.App.API.MountTestPayment(engine)
	srv := httptest.NewServer(http.NewCrossOriginProtection().Handler(engine))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		res, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b := new(strings.Builder)
		_, _ = io.Copy(b, res.Body)
		return res.StatusCode, b.String()
	}
	status, page := get(cu.RequestURI())
	for _, want := range []string{"TEST PAYMENT", "no real money", "Pay (test)", "Brass jhumka earrings", "₹1,200.00", `method="post"`} {
		if !strings.Contains(page, want) {
			t.Errorf("test page lacks %q", want)
		}
	}
	if status != http.StatusOK || strings.Contains(page, "<script") {
		t.Fatalf("test page: %d", status)
	}
	if s, _ := get("/checkout/test/" + orderID + "?token=wrong-token-wrong-token-wrong-token-xx"); s != http.StatusNotFound {
		t.Fatalf("wrong token: %d", s)
	}
	post := func(tok string, crossSite bool) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/checkout/test/"+orderID, strings.NewReader(url.Values{"token": {tok}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if crossSite {
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post(token, true); res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", res.StatusCode)
	}
	if res := post("not-the-token-not-the-token-not-the-tok", false); res.StatusCode != http.StatusNotFound {
		t.Fatalf("post with a wrong token: %d", res.StatusCode)
	}
	res := post(token, false)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "http://example.test/orders/"+token) {
		t.Fatalf("pay: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	post(token, false) // a double click
	bv := w.e.Must(http.StatusOK, "GET", "/api/v1/orders/by-token/"+token, "", nil)
	if bv.Str("status") != "paid" || bv.Num("total") != 120000 {
		t.Fatalf("guest order link: %s", bv.Body)
	}
	if bal, entries := w.earnings(w.mA, w.mAt); len(entries) != 1 || num(bal, "pending") != 2*w.makerShare(60000, 18000) {
		t.Fatalf("earnings after test payment: %v %v", bal, entries)
	}
	w.e.Must(http.StatusNotFound, "GET", "/api/v1/orders/by-token/"+strings.Repeat("x", 43), "", nil)
	// Payouts need Stripe; webhooks cannot be verified.
	if r := w.e.Do("POST", "/api/v1/makers/"+w.mA+"/stripe/onboarding", w.mAt, nil); r.Status != http.StatusServiceUnavailable || r.ErrCode() != "stripe_not_configured" {
		t.Fatalf("onboarding in test mode: %d %s", r.Status, r.Body)
	}
	if r := w.deliver(w.event("checkout.session.completed", w.paid(orderID, 1, "")), ""); r.Status != http.StatusBadRequest {
		t.Fatalf("webhook in test mode: %d", r.Status)
	}
	// A refund in test mode cancels the pending earning; no money ever moved.
	w.e.Must(http.StatusOK, "POST", "/api/v1/orders/"+orderID+"/refund", w.cA, map[string]any{"restock": true})
	if e := w.entry(orderID + ":0:earning"); e.Status != payments.EntryReversed || w.stock(p) != 4 {
		t.Fatalf("test-mode refund: earning %s, stock %d", e.Status, w.stock(p))
	}
}

// Orders move along paid → shipped → delivered by the coordinators of their programs; buyers see
// their own orders only, without any maker's private data.
func TestPaymentsOrderLifecycleAndAccess(t *testing.T) {
	w := newPayWorld(t, false)
	p := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 4)
	r := w.checkout(w.buyerTok, p, 1)
	orderID := r.Str("orderId")
	cu, _ := url.Parse(r.Str("checkoutUrl"))
	e := w.e

	e.Must(http.StatusConflict, "POST", "/api/v1/orders/"+orderID+"/ship", w.cA, map[string]any{"trackingNumber": "X"})
	if _, err := e.App.Payments.PayTestOrder(context.Background(), orderID, cu.Query().Get("token")); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{w.cB, w.mAt, w.buyerTok} {
		e.Must(http.StatusNotFound, "POST", "/api/v1/orders/"+orderID+"/ship", tok, map[string]any{"trackingNumber": "X"})
	}
	e.Must(http.StatusBadRequest, "POST", "/api/v1/orders/"+orderID+"/ship", w.cA, map[string]any{"trackingNumber": strings.Repeat("9", 101)})
	r = e.Must(http.StatusOK, "POST", "/api/v1/orders/"+orderID+"/ship", w.cA, map[string]any{"trackingNumber": "IN123456789", "carrier": "India Post"})
	if r.Str("status") != "shipped" || r.Str("trackingNumber") != "IN123456789" {
		t.Fatalf("ship: %s", r.Body)
	}
	e.Must(http.StatusConflict, "POST", "/api/v1/orders/"+orderID+"/cancel", w.cA, nil)
	r = e.Must(http.StatusOK, "POST", "/api/v1/orders/"+orderID+"/deliver", w.cA, nil)
	if r.Str("status") != "delivered" {
		t.Fatalf("deliver: %s", r.Body)
	}

	bv := e.Must(http.StatusOK, "GET", "/api/v1/orders/"+orderID, w.buyerTok, nil)
	if bv.Str("trackingNumber") != "IN123456789" || bv.Str("status") != "delivered" {
		t.Fatalf("buyer view: %s", bv.Body)
	}
	for _, secret := range []string{"Legal Name", "+91", "payeeId", "tokenHash", "makerId"} {
		if strings.Contains(string(bv.Body), secret) {
			t.Errorf("buyer view shows %q: %s", secret, bv.Body)
		}
	}
	list := e.Must(http.StatusOK, "GET", "/api/v1/orders", w.buyerTok, nil)
	if items := list.JSON["items"].([]any); len(items) != 1 {
		t.Fatalf("buyer's list: %s", list.Body)
	}
	_, other := e.Buyer()
	if items := e.Must(http.StatusOK, "GET", "/api/v1/orders", other, nil).JSON["items"].([]any); len(items) != 0 {
		t.Fatal("another buyer sees the order")
	}
	if items := e.Must(http.StatusOK, "GET", "/api/v1/orders?status=delivered", w.cA, nil).JSON["items"].([]any); len(items) != 1 {
		t.Fatal("the coordinator does not see the program's order")
	}
	if items := e.Must(http.StatusOK, "GET", "/api/v1/orders", w.cB, nil).JSON["items"].([]any); len(items) != 0 {
		t.Fatal("another program's coordinator sees the order")
	}
	e.Must(http.StatusUnauthorized, "GET", "/api/v1/orders", "", nil)

	// An unpaid order can be cancelled; its stock comes back.
	o2 := w.checkout(w.buyerTok, p, 2).Str("orderId")
	if w.stock(p) != 1 {
		t.Fatalf("stock %d", w.stock(p))
	}
	r = e.Must(http.StatusOK, "POST", "/api/v1/orders/"+o2+"/cancel", w.cA, map[string]any{"reason": "buyer asked"})
	if r.Str("status") != "cancelled" || w.stock(p) != 3 {
		t.Fatalf("cancel unpaid: %s stock %d", r.Body, w.stock(p))
	}
	// A paid order not yet shipped is cancelled with a full refund and its stock returned.
	r = w.checkout(w.buyerTok, p, 1)
	o3, cu3 := r.Str("orderId"), mustURL(t, r.Str("checkoutUrl"))
	if _, err := e.App.Payments.PayTestOrder(context.Background(), o3, cu3.Query().Get("token")); err != nil {
		t.Fatal(err)
	}
	r = e.Must(http.StatusOK, "POST", "/api/v1/orders/"+o3+"/cancel", w.cA, nil)
	if r.Str("status") != "cancelled" || r.Num("amountRefunded") != 60000 || w.stock(p) != 3 {
		t.Fatalf("cancel paid: %s stock %d", r.Body, w.stock(p))
	}
	if en := w.entry(o3 + ":0:earning"); en.Status != payments.EntryReversed {
		t.Fatalf("earning of a cancelled order: %s", en.Status)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
