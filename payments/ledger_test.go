package payments_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// Earnings become transfers once each, to the right payee, with the entry's idempotency key and
// the buyer's charge as source; further passes, and another instance's, send nothing more.
func TestLedgerTransfersEachEarningOnce(t *testing.T) {
	w := newWorld(t)
	// Program B's workshop receives its makers' wages as paying agent.
	if err := w.dir.SetProgram(w.ctx, w.progB, bson.M{"payeeModel": programs.PayeeProgram}); err != nil {
		t.Fatal(err)
	}
	acctA := w.mustOnboard(w.makerA, false)
	ob, err := w.svc.OnboardProgram(w.ctx, w.coordB, w.progB)
	if err != nil {
		t.Fatalf("onboard program: %v", err)
	}
	acctB := ob.AccountID

	o := w.mustCheckout(w.mustProduct(w.makerA, 5), 2, w.mustProduct(w.makerB, 5), 1)
	if o.Items[1].PayeeType != payments.PayeeProgram || o.Items[1].PayeeID != w.progB {
		t.Fatalf("item of program B pays %s %s", o.Items[1].PayeeType, o.Items[1].PayeeID)
	}
	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	// Nothing is payable before the packages are sent.
	if st := w.process(); st.Transferred != 0 || st.Waiting != 0 {
		t.Fatalf("pass before sending: %+v", st)
	}
	if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryAwaitingDispatch {
		t.Fatalf("earning before sending: %s", e.Status)
	}
	w.mustSend(o.ID)

	// Neither payee can receive payouts yet: the earnings wait, and are looked at again later.
	st := w.process()
	if st.Transferred != 0 || st.Waiting != 2 || len(w.transfersFor(o.ID)) != 0 {
		t.Fatalf("pass before onboarding: %+v, %d transfers", st, len(w.transfersFor(o.ID)))
	}
	if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryPending || time.Until(e.NextAttemptAt) < 10*time.Minute {
		t.Fatalf("a waiting earning was not postponed: %s next %s", e.Status, e.NextAttemptAt)
	}
	if st := w.process(); st.Waiting != 0 {
		t.Fatalf("a postponed earning was looked at again at once: %+v", st)
	}

	// Onboarding completes: account.updated brings the earnings forward.
	w.mustDeliver(w.event("account.updated", accountUpdated(acctA, true)))
	w.mustDeliver(w.event("account.updated", accountUpdated(acctB, true)))
	if st := w.process(); st.Transferred != 2 || st.Failed != 0 {
		t.Fatalf("pass after onboarding: %+v", st)
	}
	trs := w.transfersFor(o.ID)
	want := map[string]struct{ dest, amount string }{
		earningID(o.ID, 0): {acctA, itoa(2 * w.share())},
		earningID(o.ID, 1): {acctB, itoa(w.share())},
	}
	if len(trs) != 2 {
		t.Fatalf("transfers: %+v", trs)
	}
	for _, tr := range trs {
		id := strings.TrimPrefix(tr.IdempotencyKey, "fh-transfer-")
		wt, ok := want[id]
		if !ok || tr.Form.Get("destination") != wt.dest || tr.Form.Get("amount") != wt.amount || tr.Form.Get("currency") != "inr" ||
			tr.Form.Get("source_transaction") != "ch_"+o.ID || tr.Form.Get("metadata[ledger_entry]") != id {
			t.Fatalf("transfer %s: %v", tr.IdempotencyKey, tr.Form)
		}
		e := w.mustEntry(id)
		if e.Status != payments.EntryTransferred || e.TransferID == "" || e.Destination != wt.dest || e.TransferredAt.IsZero() || e.ClaimedBy != "" {
			t.Fatalf("entry after transfer: %+v", e)
		}
	}
	// Again, and from another instance: nothing more.
	w.process()
	if _, err := w.newInstance().ProcessLedger(w.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(w.transfersFor(o.ID)); n != 2 {
		t.Fatalf("transfers after more passes: %d", n)
	}
	for _, id := range []string{earningID(o.ID, 0), earningID(o.ID, 1)} {
		if n := w.audits("ledger.transfer", id); n != 1 {
			t.Fatalf("%s transferred %d times by the audit trail", id, n)
		}
	}
	// The maker sees it as transferred.
	earn, err := w.svc.Earnings(w.ctx, accounts.Actor{UserID: "u", Role: accounts.RoleMaker, MakerID: w.makerA}, w.makerA)
	if err != nil {
		t.Fatal(err)
	}
	if earn.Balance.Transferred != 2*w.share() || earn.Balance.Pending != 0 || earn.Balance.Currency != "INR" {
		t.Fatalf("maker A's balance: %+v", earn.Balance)
	}
}

// A failed transfer is retried after a backoff with the same idempotency key, after asking
// Stripe whether the first attempt went through; a crashed worker's claim is resumed only
// after its lease, with the same key; several workers on two instances send each transfer once.
func TestLedgerRetriesNeverPayTwice(t *testing.T) {
	w := newWorld(t)
	acct := w.mustOnboard(w.makerA, true)
	p := w.mustProduct(w.makerA, 50)

	t.Run("Stripe fails once", func(t *testing.T) {
		o := w.mustPay(p)
		id := earningID(o.ID, 0)
		w.sm.FailNext("/v1/transfers", 1)
		if st := w.process(); st.Failed != 1 || st.Transferred != 0 {
			t.Fatalf("pass with a failing Stripe: %+v", st)
		}
		e := w.mustEntry(id)
		if e.Status != payments.EntryPending || e.Attempts != 1 || e.LastError == "" || time.Until(e.NextAttemptAt) < 5*time.Second || e.ClaimedBy != "" {
			t.Fatalf("after a failure: %+v", e)
		}
		if st := w.process(); st.Transferred != 0 || st.Failed != 0 {
			t.Fatalf("retried before the backoff: %+v", st)
		}
		w.setEntry(id, bson.M{"nextAttemptAt": time.Now().Add(-time.Second)}) // time passes
		if st := w.process(); st.Transferred != 1 {
			t.Fatalf("retry: %+v", st)
		}
		trs := w.transfersFor(o.ID)
		if len(trs) != 2 || trs[0].IdempotencyKey != "fh-transfer-"+id || trs[1].IdempotencyKey != trs[0].IdempotencyKey {
			t.Fatalf("transfer attempts: %+v", trs)
		}
		lookups := w.sm.Requests("GET", "/v1/transfers")
		if len(lookups) == 0 || lookups[len(lookups)-1].Form.Get("transfer_group") != o.ID {
			t.Fatal("the retry did not first look for a transfer made by the failed attempt")
		}
		if e := w.mustEntry(id); e.Status != payments.EntryTransferred || e.LastError != "" {
			t.Fatalf("after the retry: %+v", e)
		}
	})

	t.Run("a worker crashed mid-transfer", func(t *testing.T) {
		o := w.mustPay(p)
		id := earningID(o.ID, 0)
		w.setEntry(id, bson.M{"status": payments.EntryTransferring, "claimedBy": "dead-worker",
			"leaseUntil": time.Now().Add(time.Hour), "attempts": 1, "destination": acct})
		if st := w.process(); st.Transferred != 0 || len(w.transfersFor(o.ID)) != 0 {
			t.Fatalf("a live claim was taken over: %+v", st)
		}
		w.setEntry(id, bson.M{"leaseUntil": time.Now().Add(-time.Second)})
		if st, err := w.newInstance().ProcessLedger(w.ctx); err != nil || st.Transferred != 1 {
			t.Fatalf("restarted instance: %+v %v", st, err)
		}
		w.process()
		trs := w.transfersFor(o.ID)
		if len(trs) != 1 || trs[0].IdempotencyKey != "fh-transfer-"+id || trs[0].Form.Get("destination") != acct {
			t.Fatalf("resumed transfer: %+v", trs)
		}
	})

	t.Run("several workers at once", func(t *testing.T) {
		var orders []payments.Order
		for range 4 {
			orders = append(orders, w.mustPay(p))
		}
		other := w.newInstance()
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := w.svc
				if i%2 == 1 {
					svc = other
				}
				_, _ = svc.ProcessLedger(w.ctx)
			}()
		}
		wg.Wait()
		w.process()
		for _, o := range orders {
			if n := len(w.transfersFor(o.ID)); n != 1 || w.mustEntry(earningID(o.ID, 0)).Status != payments.EntryTransferred {
				t.Fatalf("order %s: %d transfers, earning %s", o.ID, n, w.mustEntry(earningID(o.ID, 0)).Status)
			}
		}
	})
}

// A program's hold period keeps a wage from being transferred until it has passed.
func TestLedgerHoldPeriod(t *testing.T) {
	w := newWorld(t)
	if err := w.dir.SetProgram(w.ctx, w.progA, bson.M{"holdDays": 7}); err != nil {
		t.Fatal(err)
	}
	w.mustOnboard(w.makerA, true)
	o := w.mustPay(w.mustProduct(w.makerA, 5))
	e := w.mustEntry(earningID(o.ID, 0))
	if want := w.order(o.ID).Fulfilments[0].SentAt.AddDate(0, 0, 7); !e.AvailableAt.Equal(want) {
		t.Fatalf("available at %s, want %s", e.AvailableAt, want)
	}
	if st := w.process(); st.Transferred != 0 || len(w.transfersFor(o.ID)) != 0 {
		t.Fatalf("transferred during the hold: %+v", st)
	}
	w.setEntry(e.ID, bson.M{"availableAt": time.Now().Add(-time.Second)})
	if st := w.process(); st.Transferred != 1 || len(w.transfersFor(o.ID)) != 1 {
		t.Fatalf("after the hold: %+v", st)
	}
}

// A refund after the wage was transferred takes it back by a Transfer Reversal, once, with the
// reversal entry's key; Stripe's transfer.reversed for it changes nothing more.
func TestLedgerReversesTransferredWageOnce(t *testing.T) {
	w := newWorld(t)
	// Only a program that chose it (with a recorded reason) takes wages back for sent goods.
	if err := w.dir.SetProgram(w.ctx, w.progA, bson.M{"refundsReverseWages": true,
		"refundsReverseWagesReason": "makers agreed: returns are remade and paid again"}); err != nil {
		t.Fatal(err)
	}
	w.mustOnboard(w.makerA, true)
	o := w.mustPay(w.mustProduct(w.makerA, 5))
	w.process()
	earn := w.mustEntry(earningID(o.ID, 0))
	if earn.Status != payments.EntryTransferred {
		t.Fatalf("earning %s", earn.Status)
	}
	if _, err := w.svc.Refund(w.ctx, w.coordA, o.ID, payments.RefundInput{}); err != nil {
		t.Fatalf("refund: %v", err)
	}
	rev := w.mustEntry(reversalID(o.ID, 0))
	if rev.Status != payments.EntryPending || rev.Amount != -earn.Amount || w.mustEntry(earn.ID).Status != payments.EntryTransferred {
		t.Fatalf("before the worker: reversal %+v, earning %s", rev, w.mustEntry(earn.ID).Status)
	}
	if st := w.process(); st.Reversed != 1 {
		t.Fatalf("reversal pass: %+v", st)
	}
	path := "/v1/transfers/" + earn.TransferID + "/reversals"
	rv := w.sm.Requests("POST", path)
	if len(rv) != 1 || rv[0].Form.Get("amount") != itoa(earn.Amount) || rv[0].IdempotencyKey != "fh-reversal-"+rev.ID {
		t.Fatalf("transfer reversals: %+v", rv)
	}
	earn, rev = w.mustEntry(earn.ID), w.mustEntry(rev.ID)
	if earn.Status != payments.EntryReversed || earn.ReversalID == "" || rev.Status != payments.EntryReversed ||
		rev.ReversalID != earn.ReversalID || rev.TransferID != earn.TransferID {
		t.Fatalf("after reversing: earning %+v, reversal %+v", earn, rev)
	}
	// Stripe's news of the reversal, and more passes, change nothing.
	w.mustDeliver(w.event("transfer.reversed", transferReversed(earn, earn.Amount, earn.ReversalID)))
	w.process()
	if len(w.sm.Requests("POST", path)) != 1 || w.audits("ledger.reverse", earn.ID) != 1 {
		t.Fatalf("reversed again: %d requests, %d audits", len(w.sm.Requests("POST", path)), w.audits("ledger.reverse", earn.ID))
	}
	if es := w.entries(o.ID); len(es) != 2 {
		t.Fatalf("ledger entries %d, want 2", len(es))
	}
}

// transferReversed is a transfer object as Stripe's transfer.reversed sends it.
func transferReversed(e payments.Entry, reversed int64, reversalID string) map[string]any {
	return map[string]any{"id": e.TransferID, "object": "transfer", "amount": e.Amount, "amount_reversed": reversed,
		"metadata":  map[string]any{"ledger_entry": e.ID, "order_id": e.OrderID},
		"reversals": map[string]any{"object": "list", "data": []any{map[string]any{"id": reversalID, "amount": reversed}}}}
}

// transfer.reversed records a reversal made at Stripe (in the Dashboard) against the earning:
// in full it reverses the earning once; in part it is only noted; one for a transfer still being
// recorded is handed back to Stripe.
func TestTransferReversedAtStripe(t *testing.T) {
	w := newWorld(t)
	w.mustOnboard(w.makerA, true)
	p := w.mustProduct(w.makerA, 20)
	transferred := func(t *testing.T) payments.Entry {
		t.Helper()
		o := w.mustPay(p)
		w.process()
		e := w.mustEntry(earningID(o.ID, 0))
		if e.Status != payments.EntryTransferred {
			t.Fatalf("earning %s", e.Status)
		}
		return e
	}

	t.Run("in full", func(t *testing.T) {
		e := transferred(t)
		for range 2 {
			w.mustDeliver(w.event("transfer.reversed", transferReversed(e, e.Amount, "trr_dash")))
		}
		got, rev := w.mustEntry(e.ID), w.mustEntry(reversalID(e.OrderID, 0))
		if got.Status != payments.EntryReversed || got.ReversalID != "trr_dash" || rev.Status != payments.EntryReversed ||
			rev.ReversalID != "trr_dash" || rev.Amount != -e.Amount {
			t.Fatalf("earning %+v, reversal %+v", got, rev)
		}
		if w.audits("ledger.reverse", e.ID) != 1 {
			t.Fatalf("ledger.reverse audited %d times", w.audits("ledger.reverse", e.ID))
		}
		// The worker does not reverse it at Stripe again, and a later refund of the item does
		// not take the wage back a second time.
		w.process()
		if _, err := w.svc.Refund(w.ctx, w.coordA, e.OrderID, payments.RefundInput{}); err != nil {
			t.Fatal(err)
		}
		w.process()
		if n := len(w.sm.Requests("POST", "/v1/transfers/"+e.TransferID+"/reversals")); n != 0 {
			t.Fatalf("reversed at Stripe %d more times", n)
		}
		if es := w.entries(e.OrderID); len(es) != 2 {
			t.Fatalf("ledger entries %d, want 2", len(es))
		}
	})

	t.Run("found by transfer id when metadata is missing", func(t *testing.T) {
		e := transferred(t)
		obj := transferReversed(e, e.Amount, "trr_nometa")
		obj["metadata"] = map[string]any{}
		w.mustDeliver(w.event("transfer.reversed", obj))
		if got := w.mustEntry(e.ID); got.Status != payments.EntryReversed || got.ReversalID != "trr_nometa" {
			t.Fatalf("earning %+v", got)
		}
	})

	t.Run("in part", func(t *testing.T) {
		e := transferred(t)
		w.mustDeliver(w.event("transfer.reversed", transferReversed(e, e.Amount/2, "trr_part")))
		if got := w.mustEntry(e.ID); got.Status != payments.EntryTransferred {
			t.Fatalf("a partial reversal reversed the earning: %s", got.Status)
		}
		if _, ok := w.entry(reversalID(e.OrderID, 0)); ok {
			t.Fatal("a partial reversal wrote a reversal entry")
		}
		if w.audits("ledger.partial_reversal", e.ID) != 1 {
			t.Fatal("the partial reversal is not in the audit trail")
		}
	})

	t.Run("while the transfer is being recorded", func(t *testing.T) {
		o := w.mustPay(p)
		e := w.mustEntry(earningID(o.ID, 0))
		w.setEntry(e.ID, bson.M{"status": payments.EntryTransferring, "claimedBy": "busy-worker",
			"leaseUntil": time.Now().Add(time.Hour), "transferId": "tr_inflight"})
		e.TransferID = "tr_inflight"
		payload := w.event("transfer.reversed", transferReversed(e, e.Amount, "trr_early"))
		if _, err := w.deliver(payload); codeOf(err) != "retry_later" {
			t.Fatalf("early transfer.reversed: %v, want retry_later", err)
		}
		w.setEntry(e.ID, bson.M{"status": payments.EntryTransferred})
		if dup := w.mustDeliver(payload); dup {
			t.Fatal("the retried event was taken for a duplicate")
		}
		if got := w.mustEntry(e.ID); got.Status != payments.EntryReversed || got.ReversalID != "trr_early" {
			t.Fatalf("after the retry: %+v", got)
		}
	})
}

// A dispute freezes the order's unpaid wages; won, they go; lost, they are taken back — from the
// payee by a Transfer Reversal when they had already gone.
func TestDisputes(t *testing.T) {
	w := newWorld(t)
	acct := w.mustOnboard(w.makerA, false)
	p := w.mustProduct(w.makerA, 20)
	dispute := func(o payments.Order, status string) map[string]any {
		return map[string]any{"id": "dp_" + o.ID, "object": "dispute", "charge": "ch_" + o.ID, "payment_intent": "pi_" + o.ID,
			"amount": o.Total, "status": status}
	}
	maker := accounts.Actor{UserID: "u", Role: accounts.RoleMaker, MakerID: w.makerA}

	t.Run("won", func(t *testing.T) {
		o := w.mustPay(p)
		w.mustDeliver(w.event("charge.dispute.created", dispute(o, "needs_response")))
		if got, e := w.order(o.ID), w.mustEntry(earningID(o.ID, 0)); !got.Disputed || e.Status != payments.EntryFrozen {
			t.Fatalf("after the dispute opened: disputed %v, earning %s", got.Disputed, e.Status)
		}
		// Payouts become possible meanwhile: a frozen wage still does not go.
		w.mustDeliver(w.event("account.updated", accountUpdated(acct, true)))
		w.process()
		if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryFrozen || len(w.transfersFor(o.ID)) != 0 {
			t.Fatalf("a frozen wage moved: %s", e.Status)
		}
		earn, err := w.svc.Earnings(w.ctx, maker, w.makerA)
		if err != nil || earn.Balance.Pending != w.share() {
			t.Fatalf("a frozen wage is not shown as pending: %+v %v", earn.Balance, err)
		}
		w.mustDeliver(w.event("charge.dispute.closed", dispute(o, "won")))
		if got, e := w.order(o.ID), w.mustEntry(earningID(o.ID, 0)); got.Disputed || e.Status != payments.EntryPending {
			t.Fatalf("after the dispute was won: disputed %v, earning %s", got.Disputed, e.Status)
		}
		w.process()
		w.process()
		if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryTransferred || len(w.transfersFor(o.ID)) != 1 {
			t.Fatalf("after winning: %s, %d transfers", e.Status, len(w.transfersFor(o.ID)))
		}
		if w.audits("order.dispute", o.ID) != 1 || w.audits("order.dispute_closed", o.ID) != 1 {
			t.Fatal("the dispute is not in the audit trail")
		}
	})

	t.Run("lost before the package went", func(t *testing.T) {
		o := w.mustPayUnsent(p)
		w.mustDeliver(w.event("charge.dispute.created", dispute(o, "needs_response")))
		w.mustDeliver(w.event("charge.dispute.closed", dispute(o, "lost")))
		got := w.order(o.ID)
		if got.Disputed || got.Status != payments.StatusRefunded || got.AmountRefunded != o.Total || got.Items[0].RefundID != "dispute:dp_"+o.ID {
			t.Fatalf("order after a lost dispute: %+v", got)
		}
		w.process()
		if e, r := w.mustEntry(earningID(o.ID, 0)), w.mustEntry(reversalID(o.ID, 0)); e.Status != payments.EntryReversed || r.Status != payments.EntryReversed {
			t.Fatalf("ledger after a lost dispute: %s %s", e.Status, r.Status)
		}
		if len(w.transfersFor(o.ID)) != 0 || len(w.refundsFor(o.ID)) != 0 {
			t.Fatal("a lost dispute moved money at Stripe (the dispute took it already)")
		}
	})

	t.Run("lost after the wage went", func(t *testing.T) {
		o := w.mustPay(p)
		w.process()
		earn := w.mustEntry(earningID(o.ID, 0))
		w.mustDeliver(w.event("charge.dispute.created", dispute(o, "needs_response")))
		if e := w.mustEntry(earn.ID); e.Status != payments.EntryTransferred {
			t.Fatalf("a transferred wage changed when the dispute opened: %s", e.Status)
		}
		w.mustDeliver(w.event("charge.dispute.closed", dispute(o, "lost")))
		w.process()
		w.process()
		// The goods were made and sent: the maker keeps her wage, and the program bears the loss.
		rv := w.sm.Requests("POST", "/v1/transfers/"+earn.TransferID+"/reversals")
		if len(rv) != 0 || w.mustEntry(earn.ID).Status != payments.EntryTransferred {
			t.Fatalf("reversals %+v, earning %s", rv, w.mustEntry(earn.ID).Status)
		}
		if c := w.mustEntry(o.ID + ":0:" + payments.KindProgramRefund); c.Amount != -o.Items[0].Total || c.ProgramID != w.progA {
			t.Fatalf("the program's charge: %+v", c)
		}
	})

	t.Run("opened while the payment was clearing", func(t *testing.T) {
		o := w.mustCheckout(p, 1)
		w.mustDeliver(w.event("checkout.session.completed", w.session(o, "unpaid", "")))
		w.mustDeliver(w.event("charge.dispute.created", dispute(o, "needs_response")))
		w.mustDeliver(w.event("checkout.session.async_payment_succeeded", w.session(o, "paid", "ch_"+o.ID)))
		if got, e := w.order(o.ID), w.mustEntry(earningID(o.ID, 0)); got.Status != payments.StatusPaid || e.Status != payments.EntryAwaitingDispatch {
			t.Fatalf("paid during a dispute: %s, earning %s", got.Status, e.Status)
		}
		// Sent while the dispute is open: the wage stays frozen, not payable.
		w.mustSend(o.ID)
		if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryFrozen {
			t.Fatalf("sent during a dispute: earning %s", e.Status)
		}
		w.process()
		if len(w.transfersFor(o.ID)) != 0 {
			t.Fatal("a disputed order's wage was transferred")
		}
	})
}

// Which statuses each pass leaves behind is visible in the maker's ledger, newest first.
func TestEarningsViewListsEveryEntry(t *testing.T) {
	w := newWorld(t)
	p := w.mustProduct(w.makerA, 5)
	o1 := w.mustPayUnsent(p)
	o2 := w.mustPay(p)
	if _, err := w.svc.Refund(w.ctx, w.coordA, o1.ID, payments.RefundInput{}); err != nil {
		t.Fatal(err)
	}
	earn, err := w.svc.Earnings(w.ctx, w.coordA, w.makerA)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range earn.Entries {
		kinds = append(kinds, e.Kind+"/"+e.Status+"/"+e.OrderID)
	}
	slices.Sort(kinds)
	want := []string{"earning/pending/" + o2.ID, "earning/reversed/" + o1.ID, "reversal/reversed/" + o1.ID}
	slices.Sort(want)
	if !slices.Equal(kinds, want) || earn.Balance.Pending != w.share() || earn.Balance.Transferred != 0 {
		t.Fatalf("earnings %v %+v, want %v", kinds, earn.Balance, want)
	}
	if _, err := w.svc.Earnings(w.ctx, w.coordB, w.makerA); err == nil {
		t.Fatal("another program's coordinator read the maker's earnings")
	}
	if w.audits("earnings.read", w.makerA) != 1 {
		t.Fatal("the coordinator's read is not audited")
	}
}
