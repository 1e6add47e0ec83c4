package api_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/payments"
)

// A worker that crashed after claiming a transfer (before or after Stripe answered) leaves the
// entry "transferring"; after a restart its lease runs out and the transfer is resumed with the
// same idempotency key, after looking for a transfer the first attempt may have made — so the
// maker is paid exactly once. A Stripe failure is retried with backoff, with the same key too.
func TestPaymentsCrashAndRetriesNeverPayTwice(t *testing.T) {
	w := newPayWorld(t, true)
	ctx := context.Background()
	acct := w.onboardMaker(w.mA, w.mAt, false) // not ready yet: earnings wait
	share := w.makerShare(60000, 18000)

	t.Run("crash between claiming and recording", func(t *testing.T) {
		orderID, total, _ := w.pendingOrder(60000, 18000, 3)
		w.mustDeliver(w.event("checkout.session.completed", w.paid(orderID, total, "ch_crash")))
		w.send(orderID)
		id := orderID + ":0:earning"
		if e := w.entry(id); e.Status != payments.EntryPending {
			t.Fatalf("earning %s", e.Status)
		}
		// What a worker that died mid-transfer leaves behind: claimed, lease running.
		w.setEntry(id, bson.M{"status": payments.EntryTransferring, "claimedBy": "dead-worker",
			"leaseUntil": time.Now().Add(time.Hour), "attempts": 1, "destination": acct})
		w.mustDeliver(w.event("account.updated", accountUpdated(acct, true)))
		w.process()
		if e := w.entry(id); e.Status != payments.EntryTransferring || countTransfersFor(w, orderID) != 0 {
			t.Fatalf("a live claim was taken over: %s", e.Status)
		}
		// The lease runs out; a restarted instance resumes.
		w.setEntry(id, bson.M{"leaseUntil": time.Now().Add(-time.Second)})
		restarted := w.newPaymentsInstance()
		st, err := restarted.ProcessLedger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e := w.entry(id)
		if e.Status != payments.EntryTransferred && st.Transferred == 0 {
			// The app's own worker may have won the claim; wait for it.
			w.eventually("transferred", func() bool { return w.entry(id).Status == payments.EntryTransferred })
			e = w.entry(id)
		}
		trs := transfersFor(w, orderID)
		if len(trs) != 1 || trs[0].IdempotencyKey != "fh-transfer-"+id || trs[0].Form.Get("amount") != itoa(share) ||
			trs[0].Form.Get("destination") != acct || e.TransferID == "" {
			t.Fatalf("resumed transfer: %+v, entry %+v", trs, e)
		}
		lookups := w.sm.Requests("GET", "/v1/transfers")
		if len(lookups) == 0 || lookups[len(lookups)-1].Form.Get("transfer_group") != orderID {
			t.Fatal("the resumed transfer did not first look for one made before the crash")
		}
		if _, err := restarted.ProcessLedger(ctx); err != nil {
			t.Fatal(err)
		}
		w.process()
		if countTransfersFor(w, orderID) != 1 {
			t.Fatal("a second pass sent another transfer")
		}
	})

	t.Run("crash after writing the entry, before calling Stripe", func(t *testing.T) {
		orderID, total, _ := w.pendingOrder(60000, 18000, 3)
		id := orderID + ":0:earning"
		// Stripe fails once; the attempt is given back with a backoff and retried with the same key.
		w.sm.FailNext("/v1/transfers", 1)
		w.mustDeliver(w.event("checkout.session.completed", w.paid(orderID, total, "ch_retry")))
		w.send(orderID)
		w.eventually("first attempt failed", func() bool { e := w.entry(id); return e.Attempts == 1 && e.Status == payments.EntryPending })
		e := w.entry(id)
		if d := time.Until(e.NextAttemptAt); d < 5*time.Second || e.LastError == "" {
			t.Fatalf("no backoff after a failure: next in %s, error %q", d, e.LastError)
		}
		w.setEntry(id, bson.M{"nextAttemptAt": time.Now().Add(-time.Second)}) // time passes
		w.eventually("retried", func() bool { w.process(); return w.entry(id).Status == payments.EntryTransferred })
		trs := transfersFor(w, orderID)
		if len(trs) != 2 || trs[0].IdempotencyKey != trs[1].IdempotencyKey || trs[0].IdempotencyKey != "fh-transfer-"+id {
			t.Fatalf("retry keys: %+v", trs)
		}
	})

	t.Run("several workers on two instances transfer each entry once", func(t *testing.T) {
		var ids []string
		for range 6 {
			orderID, total, _ := w.pendingOrder(60000, 18000, 3)
			ids = append(ids, orderID)
			w.mustDeliver(w.event("checkout.session.completed", w.paid(orderID, total, "")))
			w.send(orderID)
		}
		other := w.newPaymentsInstance()
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := w.e.App.Payments
				if i%2 == 1 {
					svc = other
				}
				_, _ = svc.ProcessLedger(ctx)
			}()
		}
		wg.Wait()
		for _, orderID := range ids {
			w.eventually("transferred", func() bool { return w.entry(orderID+":0:earning").Status == payments.EntryTransferred })
			if n := countTransfersFor(w, orderID); n != 1 {
				t.Fatalf("order %s: %d transfers", orderID, n)
			}
		}
	})
}

// A program's hold period keeps earnings pending until it has passed.
func TestPaymentsHoldPeriod(t *testing.T) {
	w := newPayWorld(t, true)
	w.e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+w.pA, w.cA, map[string]any{"holdDays": 7})
	w.onboardMaker(w.mA, w.mAt, true)
	orderID, total, _ := w.pendingOrder(60000, 18000, 3)
	w.mustDeliver(w.event("checkout.session.completed", w.paid(orderID, total, "")))
	w.send(orderID)
	id := orderID + ":0:earning"
	e := w.entry(id)
	if d := time.Until(e.AvailableAt); d < 6*24*time.Hour || d > 7*24*time.Hour {
		t.Fatalf("available in %s, want 7 days", d)
	}
	w.process()
	if w.entry(id).Status != payments.EntryPending || countTransfersFor(w, orderID) != 0 {
		t.Fatal("transferred during the hold period")
	}
	_, entries := w.earnings(w.mA, w.mAt)
	if entries[0]["availableAt"] == nil {
		t.Fatalf("the maker is not told when the money comes: %v", entries[0])
	}
	w.setEntry(id, bson.M{"availableAt": time.Now().Add(-time.Minute)}) // a week passes
	w.process()
	w.eventually("transferred after the hold", func() bool { return w.entry(id).Status == payments.EntryTransferred })
}

// A cash sale at a fair takes stock and credits wages exactly like an online sale; the
// coordinator records handing the wages over, and the payout report adds it all up.
func TestPaymentsOfflineSaleDisbursementsAndPayouts(t *testing.T) {
	w := newPayWorld(t, false)
	e := w.e
	pA := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 5)
	pB := w.product(w.mBt, w.cB, "Block-printed cotton scarf", 80000, 20000, 4, 5)
	share := w.makerShare(60000, 18000)

	sale := map[string]any{"items": []any{map[string]any{"productId": pA, "quantity": 2}}, "paymentMethod": "cash"}
	e.Must(http.StatusNotFound, "POST", "/api/v1/programs/"+w.pA+"/offline-sales", w.mAt, sale)
	e.Must(http.StatusNotFound, "POST", "/api/v1/programs/"+w.pA+"/offline-sales", w.cB, sale)
	e.Must(http.StatusBadRequest, "POST", "/api/v1/programs/"+w.pA+"/offline-sales", w.cA,
		map[string]any{"items": []any{map[string]any{"productId": pB, "quantity": 1}}, "paymentMethod": "cash"})
	e.Must(http.StatusBadRequest, "POST", "/api/v1/programs/"+w.pA+"/offline-sales", w.cA,
		map[string]any{"items": []any{map[string]any{"productId": pA, "quantity": 1}}, "paymentMethod": "barter"})
	r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+w.pA+"/offline-sales", w.cA, sale)
	orderID := r.Str("id")
	if r.Str("channel") != "offline" || r.Num("total") != 120000 || r.Str("paymentMethod") != "cash" || w.stock(pA) != 3 {
		t.Fatalf("offline sale: %s stock %d", r.Body, w.stock(pA))
	}
	e.Must(http.StatusConflict, "POST", "/api/v1/programs/"+w.pA+"/offline-sales", w.cA,
		map[string]any{"items": []any{map[string]any{"productId": pA, "quantity": 4}}, "paymentMethod": "cash"})

	bal, entries := w.earnings(w.mA, w.cA)
	if len(entries) != 1 || entries[0]["status"] != "collected" || num(entries[0], "amount") != 2*share ||
		num(bal, "transferred") != 2*share || num(bal, "disbursed") != 0 {
		t.Fatalf("earnings after a cash sale: %v %v", bal, entries)
	}
	if o := w.order(orderID); o.Items[0].Shares.Sum() != o.AmountPaid {
		t.Fatalf("cash sale shares %d, paid %d", o.Items[0].Shares.Sum(), o.AmountPaid)
	}

	// Disbursements.
	d := map[string]any{"makerId": w.mA, "amount": 2 * share, "method": "upi", "date": time.Now().Format("2006-01-02"), "reference": "UPI ref 4411"}
	e.Must(http.StatusNotFound, "POST", "/api/v1/programs/"+w.pA+"/disbursements", w.cB, d)
	e.Must(http.StatusNotFound, "POST", "/api/v1/programs/"+w.pA+"/disbursements", w.mAt, d)
	bad := map[string]any{"makerId": w.mB, "amount": 100, "method": "upi", "date": "2025-01-01"}
	e.Must(http.StatusBadRequest, "POST", "/api/v1/programs/"+w.pA+"/disbursements", w.cA, bad)
	e.Must(http.StatusBadRequest, "POST", "/api/v1/programs/"+w.pA+"/disbursements", w.cA,
		map[string]any{"makerId": w.mA, "amount": 100, "method": "cheque", "date": "2025-13-01"})
	r = e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+w.pA+"/disbursements", w.cA, d)
	if r.Str("currency") != "INR" || r.Str("method") != "upi" {
		t.Fatalf("disbursement: %s", r.Body)
	}
	if bal, _ := w.earnings(w.mA, w.mAt); num(bal, "disbursed") != 2*share {
		t.Fatalf("disbursed balance: %v", bal)
	}
	list := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.pA+"/disbursements?makerId="+w.mA, w.cA, nil)
	if items := list.JSON["items"].([]any); len(items) != 1 {
		t.Fatalf("disbursements list: %s", list.Body)
	}

	// Payouts, as JSON and CSV, for coordinators only.
	e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+w.pA+"/payouts", w.mAt, nil)
	e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+w.pA+"/payouts", w.cB, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/programs/"+w.pA+"/payouts?from=yesterday", w.cA, nil)
	today := time.Now().UTC().Format("2006-01-02")
	r = e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.pA+"/payouts?from="+today+"&to="+today, w.cA, nil)
	var row map[string]any
	for _, m := range r.JSON["makers"].([]any) {
		if m.(map[string]any)["makerId"] == w.mA {
			row = m.(map[string]any)
		}
	}
	if row == nil || num(row, "earned") != 2*share || num(row, "transferred") != 2*share || num(row, "disbursed") != 2*share || num(row, "sales") != 1 {
		t.Fatalf("payout row: %v (%s)", row, r.Body)
	}
	r = e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.pA+"/payouts?from=2000-01-01&to=2000-01-31", w.cA, nil)
	if tot := r.JSON["totals"].(map[string]any); num(tot, "earned") != 0 {
		t.Fatalf("an empty range has earnings: %v", tot)
	}
	res := e.Do("GET", "/api/v1/programs/"+w.pA+"/payouts?format=csv", w.cA, nil)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "makerId" || recs[1][0] != w.mA || recs[1][4] != itoa(2*share) || recs[2][1] != "Total" {
		t.Fatalf("csv rows %v (%v)", recs, err)
	}

	// A refund of the cash sale: the goods were made and handed over, so the maker keeps her
	// wage and the program bears the refund (its own line in the payout report); no Stripe.
	e.Must(http.StatusOK, "POST", "/api/v1/orders/"+orderID+"/refund", w.cA, map[string]any{"restock": true})
	if en := w.entry(orderID + ":0:earning"); en.Status != payments.EntryCollected || w.stock(pA) != 5 {
		t.Fatalf("refund of a cash sale: %s, stock %d", en.Status, w.stock(pA))
	}
	r = e.Must(http.StatusOK, "GET", "/api/v1/programs/"+w.pA+"/payouts", w.cA, nil)
	if prog := r.JSON["program"].(map[string]any); num(prog, "refunds") != -2*60000 || num(prog, "refundCount") != 1 {
		t.Fatalf("the program's refund line: %v", prog)
	}
}

// The impact figures count wages credited to makers per program, reversed ones excluded.
func TestPaymentsImpactAggregates(t *testing.T) {
	w := newPayWorld(t, false)
	ctx := context.Background()
	pA := w.product(w.mAt, w.cA, "Brass jhumka earrings", 60000, 18000, 3, 10)
	pB := w.product(w.mBt, w.cB, "Block-printed cotton scarf", 80000, 20000, 4, 10)
	sell := func(programID, coord, product string, qty int) string {
		return w.e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+programID+"/offline-sales", coord,
			map[string]any{"items": []any{map[string]any{"productId": product, "quantity": qty}}, "paymentMethod": "cash"}).Str("id")
	}
	sell(w.pA, w.cA, pA, 2)
	refunded := sell(w.pA, w.cA, pA, 1)
	sell(w.pB, w.cB, pB, 1)
	w.e.Must(http.StatusOK, "POST", "/api/v1/orders/"+refunded+"/refund", w.cA, nil)

	// The refunded sale was handed over at the stall: its maker keeps her wage (the program bears
	// the refund), so it still counts.
	shareA, shareB := w.makerShare(60000, 18000), w.makerShare(80000, 20000)
	wages, err := w.e.App.Payments.WagesPaidByProgram(ctx)
	if err != nil || wages[w.pA]["INR"] != 3*shareA || wages[w.pB]["INR"] != shareB {
		t.Fatalf("wages by program %v (%v)", wages, err)
	}
	makers, err := w.e.App.Payments.MakersEarningByProgram(ctx)
	if err != nil || makers[w.pA] != 1 || makers[w.pB] != 1 {
		t.Fatalf("makers by program %v (%v)", makers, err)
	}
	// What training's report reads: the ledger's own reader, built before the payments service.
	reader, err := payments.NewEarningsReader(ctx, w.e.DB)
	if err != nil {
		t.Fatal(err)
	}
	earned, err := reader.EarnedByMaker(ctx, []string{w.mA, w.mB, "nobody"})
	if err != nil || earned[w.mA] != 3*shareA || earned[w.mB] != shareB || earned["nobody"] != 0 {
		t.Fatalf("earned by maker %v (%v)", earned, err)
	}
}
