package api_test

import (
	"net/http"
	"testing"

	"github.com/fairhands/marketplace/payments"
)

// Over real HTTP with stripe-mock and signed events: a cart from two programs with shipping is
// two packages; each program's coordinators see and send only theirs (the other's is a 404);
// a second send is a 409 saying so; the buyer sees both packages; the shipping is charged per
// program and reconciles with what was paid; a wage is transferred only once its package is
// sent; a refund of a sent item leaves the wage and charges the program.
func TestFulfilmentsOverHTTP(t *testing.T) {
	w := newPayWorld(t, true)
	e := w.e
	e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+w.pA, w.cA, map[string]any{
		"shipping": map[string]any{"domestic": map[string]any{"first": 8000, "additional": 2000}, "processingDays": 3}})
	e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+w.pB, w.cB, map[string]any{
		"shipping": map[string]any{"domestic": map[string]any{"first": 6000, "additional": 0}, "processingDays": 5}})
	w.onboardMaker(w.mA, w.mAt, true)
	pA := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 5)
	pB := w.product(w.mBt, w.cB, "Block-printed cotton scarf", 80000, 20000, 4, 5)

	r := w.checkout(w.buyerTok, pA, 2, pB, 1)
	if r.Status != http.StatusCreated || r.Num("total") != 2*60000+80000+10000+6000 {
		t.Fatalf("checkout with shipping: %d %s", r.Status, r.Body)
	}
	orderID, total := r.Str("orderId"), int64(r.Num("total"))
	w.mustDeliver(w.event("checkout.session.completed", w.paid(orderID, total, "ch_two")))
	if o := w.order(orderID); o.AmountPaid != total || o.Shipping != 16000 {
		t.Fatalf("paid %d of %d, shipping %d", o.AmountPaid, total, o.Shipping)
	}

	list := func(program, token, status string) []any {
		return e.Must(http.StatusOK, "GET", "/api/v1/programs/"+program+"/fulfilments?status="+status, token, nil).JSON["items"].([]any)
	}
	deskA := list(w.pA, w.cA, "to_prepare")
	if len(deskA) != 1 {
		t.Fatalf("desk A: %v", deskA)
	}
	fa := deskA[0].(map[string]any)
	idA := fa["id"].(string)
	if fa["shippingAddress"] == nil || fa["orderId"] != orderID || len(fa["items"].([]any)) != 1 || fa["shipping"].(float64) != 10000 {
		t.Fatalf("package A: %v", fa)
	}
	idB := list(w.pB, w.cB, "to_prepare")[0].(map[string]any)["id"].(string)
	e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+w.pA+"/fulfilments", w.cB, nil)
	for _, tok := range []string{w.cB, w.mAt, w.buyerTok} {
		e.Must(http.StatusNotFound, "GET", "/api/v1/fulfilments/"+idA, tok, nil)
		e.Must(http.StatusNotFound, "POST", "/api/v1/fulfilments/"+idA+"/send", tok, map[string]any{"carrier": "x"})
	}
	e.Must(http.StatusBadRequest, "GET", "/api/v1/programs/"+w.pA+"/fulfilments?status=lost", w.cA, nil)

	// Nothing is transferred before sending.
	w.process()
	if n := countTransfersFor(w, orderID); n != 0 {
		t.Fatalf("%d transfers before the package was sent", n)
	}
	s := e.Must(http.StatusOK, "POST", "/api/v1/fulfilments/"+idA+"/send", w.cA, map[string]any{"carrier": "India Post", "trackingNumber": "EE1IN"})
	if s.Str("status") != "sent" || s.Str("trackingNumber") != "EE1IN" {
		t.Fatalf("send: %s", s.Body)
	}
	again := e.Do("POST", "/api/v1/fulfilments/"+idA+"/send", w.cA, map[string]any{"carrier": "India Post"})
	if again.Status != http.StatusConflict || again.ErrCode() != "already_sent" {
		t.Fatalf("second send: %d %s", again.Status, again.Body)
	}
	w.eventually("A's wage transferred", func() bool { return w.entry(orderID+":0:earning").Status == payments.EntryTransferred })

	// The buyer: one package sent, one being prepared; B's desk still has its own.
	bv := e.Must(http.StatusOK, "GET", "/api/v1/orders/"+orderID, w.buyerTok, nil)
	pk := bv.JSON["fulfilments"].([]any)
	if bv.Str("status") != "partly_shipped" || len(pk) != 2 || pk[0].(map[string]any)["status"] != "sent" || pk[1].(map[string]any)["status"] != "to_prepare" {
		t.Fatalf("buyer's view: %s", bv.Body)
	}
	if d := list(w.pB, w.cB, "to_prepare"); len(d) != 1 || d[0].(map[string]any)["id"] != idB {
		t.Fatalf("desk B after A sent: %v", d)
	}
	// Coordinator A's view of the order holds none of B's items, prices or package.
	cv := e.Must(http.StatusOK, "GET", "/api/v1/orders/"+orderID, w.cA, nil)
	if len(cv.JSON["items"].([]any)) != 1 || len(cv.JSON["fulfilments"].([]any)) != 1 || cv.Num("total") != 2*60000+10000 {
		t.Fatalf("coordinator A's view: %s", cv.Body)
	}

	// Lost in the post: refunded; the maker keeps her wage and the program bears it.
	rf := e.Must(http.StatusOK, "POST", "/api/v1/fulfilments/"+idA+"/refund", w.cA, map[string]any{"items": []int{0}, "reason": "lost in the post"})
	if rf.Str("status") != "refunded" {
		t.Fatalf("refund: %s", rf.Body)
	}
	w.process()
	earn := w.entry(orderID + ":0:earning")
	if earn.Status != payments.EntryTransferred || len(w.sm.Requests("POST", "/v1/transfers/"+earn.TransferID+"/reversals")) != 0 {
		t.Fatalf("a sent item's wage was taken back: %s", earn.Status)
	}
	// Its refund included the package's shipping, which the program bears too.
	if c := w.entry(orderID + ":0:program_refund"); c.Amount != -120000 {
		t.Fatalf("program charge: %+v", c)
	}
	rep := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.pA+"/payouts", w.cA, nil).JSON["program"].(map[string]any)
	if num(rep, "shipping") != 10000 || num(rep, "refunds") != -130000 || num(rep, "refundCount") != 2 {
		t.Fatalf("program A's account: %v", rep)
	}
	// B cancels its unsent package: refunded with its shipping, the scarf back in stock.
	e.Must(http.StatusOK, "POST", "/api/v1/fulfilments/"+idB+"/cancel", w.cB, map[string]any{"reason": "fabric ran out"})
	if o := w.order(orderID); o.Status != payments.StatusRefunded || o.AmountRefunded != total || w.stock(pB) != 5 {
		t.Fatalf("after cancelling B: %s refunded %d of %d, stock %d", o.Status, o.AmountRefunded, total, w.stock(pB))
	}
}
