package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/payments"
)

// A cart from two makers of two programs — one paid to the maker's own account, one through the
// program as paying agent — is paid once, each maker's share is transferred exactly once to the
// right payee after onboarding, shares reconcile with the amount paid, a repeated event changes
// nothing, and a refund reverses the transfer.
func TestPaymentsCartOfTwoProgramsPaysEachMakerTheirShare(t *testing.T) {
	w := newPayWorld(t, true)
	e := w.e
	// Program B's workshop receives its makers' wages and hands them over.
	e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+w.pB, w.cB, map[string]any{"payeeModel": "program"})

	pA := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 5)
	pB := w.product(w.mBt, w.cB, "Block-printed cotton scarf", 80000, 20000, 4, 3)
	shareA, shareB := 2*w.makerShare(60000, 18000), w.makerShare(80000, 20000)

	// The product page shows the same maker share the ledger will credit.
	pub := e.Must(http.StatusOK, "GET", "/api/v1/products/"+pA, "", nil)
	if wb, _ := pub.JSON["wageBreakdown"].(map[string]any); num(wb, "maker") != shareA/2 {
		t.Fatalf("product page maker share %v, want %d", pub.JSON["wageBreakdown"], shareA/2)
	}

	// Onboarding: the maker's own account, and the program's.
	r := e.Must(http.StatusOK, "POST", "/api/v1/makers/"+w.mA+"/stripe/onboarding", w.mAt, nil)
	acctA := r.Str("accountId")
	if !strings.HasPrefix(acctA, "acct_") || r.Str("url") == "" {
		t.Fatalf("onboarding answer: %s", r.Body)
	}
	reqs := w.sm.Requests("POST", "/v1/accounts")
	f := reqs[len(reqs)-1].Form
	for k, want := range map[string]string{
		"controller[stripe_dashboard][type]": "express",
		"capabilities[transfers][requested]": "true",
		"country":                            "IN",
		"tos_acceptance[service_agreement]":  "recipient", // stripe-mock's platform is in the US
		"metadata[maker_id]":                 w.mA,
		"controller[fees][payer]":            "application",
		"controller[losses][payments]":       "application",
	} {
		if f.Get(k) != want {
			t.Errorf("account creation %s = %q, want %q", k, f.Get(k), want)
		}
	}
	if links := w.sm.Requests("POST", "/v1/account_links"); len(links) != 1 ||
		!strings.HasSuffix(links[0].Form.Get("refresh_url"), "/api/v1/makers/"+w.mA+"/stripe/onboarding/refresh") {
		t.Fatalf("account link: %+v", links)
	}
	// A second call makes a fresh link for the same account, never a second account.
	r = e.Must(http.StatusOK, "POST", "/api/v1/makers/"+w.mA+"/stripe/onboarding", w.cA, nil)
	if r.Str("accountId") != acctA || len(w.sm.Requests("POST", "/v1/accounts")) != 1 {
		t.Fatalf("second onboarding made another account: %s", r.Body)
	}
	// Stripe's refresh URL makes a fresh link and moves the browser on to it, without script.
	ref := e.Do("GET", "/api/v1/makers/"+w.mA+"/stripe/onboarding/refresh", w.mAt, nil)
	if ref.Status != http.StatusOK || !strings.Contains(string(ref.Body), `http-equiv="refresh"`) ||
		!strings.Contains(string(ref.Body), `href="https://`) || len(w.sm.Requests("POST", "/v1/account_links")) != 3 {
		t.Fatalf("refresh page: %d %s", ref.Status, ref.Body)
	}
	// Another program's coordinator, a buyer: not found.
	e.Must(http.StatusNotFound, "POST", "/api/v1/makers/"+w.mA+"/stripe/onboarding", w.cB, nil)
	e.Must(http.StatusNotFound, "POST", "/api/v1/makers/"+w.mA+"/stripe/onboarding", w.buyerTok, nil)
	acctB := w.onboardProgram(w.pB, w.cB, false)

	// Checkout.
	r = w.checkout(w.buyerTok, pA, 2, pB, 1)
	if r.Status != http.StatusCreated {
		t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	orderID := r.Str("orderId")
	total := int64(r.Num("total"))
	if r.Str("status") != "pending_payment" || total != 2*60000+80000 || r.Str("currency") != "INR" ||
		!strings.HasPrefix(r.Str("checkoutUrl"), "https://checkout.stripe.com/") {
		t.Fatalf("checkout answer: %s", r.Body)
	}
	cs := w.sm.Requests("POST", "/v1/checkout/sessions")
	if len(cs) != 1 {
		t.Fatalf("checkout sessions created: %d", len(cs))
	}
	for k, want := range map[string]string{"client_reference_id": orderID, "metadata[order_id]": orderID,
		"payment_intent_data[transfer_group]": orderID, "mode": "payment", "line_items[0][quantity]": "2",
		"line_items[0][price_data][unit_amount]": "60000", "line_items[0][price_data][currency]": "inr"} {
		if got := cs[0].Form.Get(k); got != want {
			t.Errorf("checkout session %s = %q, want %q", k, got, want)
		}
	}
	if w.stock(pA) != 3 || w.stock(pB) != 2 {
		t.Fatalf("stock not reserved: %d %d", w.stock(pA), w.stock(pB))
	}

	// Stripe says the buyer paid; neither payee can receive payouts yet, so nothing moves.
	completed := w.event("checkout.session.completed", w.paid(orderID, total, "ch_test_paid"))
	w.mustDeliver(completed)
	if o := w.order(orderID); o.Status != payments.StatusPaid || o.AmountPaid != total || o.ChargeID != "ch_test_paid" {
		t.Fatalf("order after payment: %+v", o)
	}
	// Wages are payable once the packages are sent: each workshop sends its own.
	if e := w.entry(orderID + ":0:earning"); e.Status != payments.EntryAwaitingDispatch {
		t.Fatalf("earning before sending: %s", e.Status)
	}
	w.send(orderID)
	if o := w.order(orderID); o.Status != payments.StatusShipped || len(o.Fulfilments) != 2 || o.Fulfilments[1].Status != payments.FulfilSent {
		t.Fatalf("order after both packages were sent: %s %+v", o.Status, o.Fulfilments)
	}
	if st := w.process(); st.Transferred != 0 || len(w.transfers()) != 0 {
		t.Fatalf("ledger pass before onboarding: %+v", st)
	}
	bal, entries := w.earnings(w.mA, w.mAt)
	if num(bal, "pending") != shareA || num(bal, "transferred") != 0 || len(entries) != 1 ||
		entries[0]["orderId"] != orderID || entries[0]["status"] != "pending" || entries[0]["currency"] != "INR" {
		t.Fatalf("maker A earnings before onboarding: %v %v", bal, entries)
	}

	// Onboarding completes: account.updated enables payouts and the waiting earnings go.
	w.mustDeliver(w.event("account.updated", accountUpdated(acctA, true)))
	w.mustDeliver(w.event("account.updated", accountUpdated(acctB, true)))
	w.eventually("both earnings transferred", func() bool {
		return w.entry(orderID+":0:earning").Status == payments.EntryTransferred &&
			w.entry(orderID+":1:earning").Status == payments.EntryTransferred
	})
	trs := w.transfers()
	if len(trs) != 2 {
		t.Fatalf("transfers sent: %d, want 2", len(trs))
	}
	got := map[string]string{}
	for _, tr := range trs {
		got[tr.Form.Get("destination")] = tr.Form.Get("amount")
		if tr.Form.Get("transfer_group") != orderID || tr.Form.Get("source_transaction") != "ch_test_paid" ||
			!strings.HasPrefix(tr.IdempotencyKey, "fh-transfer-"+orderID+":") || tr.Form.Get("currency") != "inr" {
			t.Errorf("transfer request: key %q form %v", tr.IdempotencyKey, tr.Form)
		}
	}
	if got[acctA] != itoa(shareA) || got[acctB] != itoa(shareB) {
		t.Fatalf("transfers by destination %v, want %s→%d, %s→%d", got, acctA, shareA, acctB, shareB)
	}
	bal, entries = w.earnings(w.mA, w.mAt)
	if num(bal, "transferred") != shareA || num(bal, "pending") != 0 || entries[0]["transferId"] == "" {
		t.Fatalf("maker A earnings after transfer: %v %v", bal, entries)
	}
	bal, _ = w.earnings(w.mB, w.cB) // the coordinator may look, too
	if num(bal, "transferred") != shareB {
		t.Fatalf("maker B earnings: %v", bal)
	}
	if m := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+w.mA, w.mAt, nil); m.JSON["payoutsEnabled"] != true {
		t.Fatalf("maker A payoutsEnabled not mirrored: %s", m.Body)
	}

	// Everything reconciles: the shares of the items add up to the amount paid.
	o := w.order(orderID)
	var sum, makers int64
	for _, it := range o.Items {
		sum += it.Shares.Sum()
		makers += it.Shares.Maker
	}
	if sum != o.AmountPaid || o.Total != o.AmountPaid || makers != shareA+shareB {
		t.Fatalf("reconciliation: shares %d, makers %d, total %d, paid %d", sum, makers, o.Total, o.AmountPaid)
	}

	// The same event delivered again (and a second ledger pass) changes nothing.
	if r := w.mustDeliver(completed); r.JSON["duplicate"] != true {
		t.Fatalf("duplicate not recognised: %s", r.Body)
	}
	w.process()
	if n := len(w.transfers()); n != 2 {
		t.Fatalf("transfers after duplicate: %d", n)
	}

	// The buyer sees the order without payees or Stripe details; strangers get 404.
	bv := e.Must(http.StatusOK, "GET", "/api/v1/orders/"+orderID, w.buyerTok, nil)
	if bv.Str("status") != "shipped" || len(bv.JSON["fulfilments"].([]any)) != 2 || strings.Contains(string(bv.Body), acctA) || strings.Contains(string(bv.Body), "payeeId") ||
		strings.Contains(string(bv.Body), "Legal Name") {
		t.Fatalf("buyer's view: %s", bv.Body)
	}
	_, other := e.Buyer()
	e.Must(http.StatusNotFound, "GET", "/api/v1/orders/"+orderID, other, nil)
	e.Must(http.StatusNotFound, "GET", "/api/v1/orders/"+orderID, w.mAt, nil)

	// Coordinator A refunds their item (it arrived broken): Stripe refunds the buyer. The item
	// was made and sent, so maker A keeps her wage and the program bears the refund.
	e.Must(http.StatusForbidden, "POST", "/api/v1/orders/"+orderID+"/refund", w.cA, map[string]any{"items": []int{1}})
	r = e.Must(http.StatusOK, "POST", "/api/v1/orders/"+orderID+"/refund", w.cA, map[string]any{"items": []int{0}, "reason": "arrived broken"})
	if r.Str("status") != "shipped" || r.Num("amountRefunded") != 120000 || len(r.JSON["items"].([]any)) != 1 {
		t.Fatalf("after item refund (coordinator A's view): %s", r.Body)
	}
	rf := w.sm.Requests("POST", "/v1/refunds")
	if len(rf) != 1 || rf[0].Form.Get("amount") != "120000" || rf[0].Form.Get("payment_intent") != "pi_"+orderID ||
		rf[0].Form.Get("metadata[items]") != "0" || rf[0].IdempotencyKey == "" {
		t.Fatalf("refund request: %+v", rf)
	}
	earnA := w.entry(orderID + ":0:earning")
	w.process()
	if rv := w.sm.Requests("POST", "/v1/transfers/"+earnA.TransferID+"/reversals"); len(rv) != 0 || earnA.Status != payments.EntryTransferred {
		t.Fatalf("a sent item's wage was taken back: %+v %s", rv, earnA.Status)
	}
	bal, entries = w.earnings(w.mA, w.mAt)
	if num(bal, "transferred") != shareA || num(bal, "pending") != 0 || len(entries) != 1 {
		t.Fatalf("maker A after refund: %v %v", bal, entries)
	}
	if c := w.entry(orderID + ":0:program_refund"); c.Amount != -120000 || c.ProgramID != w.pA || c.MakerID != "" {
		t.Fatalf("program A's charge: %+v", c)
	}

	// Stripe's charge.refunded for that refund arrives (twice): nothing happens twice.
	refunded := w.event("charge.refunded", map[string]any{"id": "ch_test_paid", "object": "charge",
		"payment_intent": "pi_" + orderID, "transfer_group": orderID, "amount": total, "amount_refunded": 120000,
		"refunded": false, "refunds": map[string]any{"data": []any{map[string]any{"id": "re_1", "amount": 120000,
			"metadata": map[string]any{"order_id": orderID, "items": "0"}}}}})
	w.mustDeliver(refunded)
	w.mustDeliver(refunded)
	w.process()
	if len(w.sm.Requests("POST", "/v1/refunds")) != 1 || len(w.sm.Requests("POST", "/v1/transfers/"+earnA.TransferID+"/reversals")) != 0 {
		t.Fatal("a repeated refund event moved money again")
	}
	if o := w.order(orderID); o.AmountRefunded != 120000 || o.Status != payments.StatusShipped {
		t.Fatalf("order after refund events: %+v", o)
	}
	// Maker B was not touched.
	if bal, _ := w.earnings(w.mB, w.cB); num(bal, "transferred") != shareB {
		t.Fatalf("maker B after A's refund: %v", bal)
	}

	// An admin refunds the rest: the order is refunded; maker B's wage stands too, charged to B.
	r = e.Must(http.StatusOK, "POST", "/api/v1/orders/"+orderID+"/refund", e.AdminToken, nil)
	if r.Str("status") != "refunded" || r.Num("amountRefunded") != float64(total) {
		t.Fatalf("after full refund: %s", r.Body)
	}
	w.process()
	if en := w.entry(orderID + ":1:earning"); en.Status != payments.EntryTransferred || w.entry(orderID+":1:program_refund").ProgramID != w.pB {
		t.Fatalf("maker B's wage after the refund: %s", en.Status)
	}
	e.Must(http.StatusConflict, "POST", "/api/v1/orders/"+orderID+"/refund", e.AdminToken, nil)

	// Every money change is in the audit trail of the program.
	au := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.pA+"/audit", w.cA, nil)
	for _, action := range []string{"order.paid", "ledger.credit", "ledger.transfer", "order.refund", "ledger.program_refund", "fulfilment.send"} {
		if !strings.Contains(string(au.Body), `"action":"`+action+`"`) {
			t.Errorf("audit trail lacks %s", action)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
