package payments_test

import (
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// The payout report splits what was transferred by who holds it: the maker's own account, or
// the program's (as paying agent, or cash it collected at a fair), so a coordinator can see what
// the workshop still owes each maker.
func TestPayoutsSplitTransferredByPayee(t *testing.T) {
	w := newWorld(t)
	// A: one unit sold online and transferred to the maker's own account, two sold at a fair.
	w.mustOnboard(w.makerA, true)
	o := w.mustPay(w.mustProduct(w.makerA, 5))
	w.process()
	if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryTransferred {
		t.Fatalf("A's online wage: %s", e.Status)
	}
	if _, err := w.svc.OfflineSale(w.ctx, w.coordA, w.progA, payments.OfflineSaleInput{
		Items: []payments.ItemInput{{ProductID: w.mustProduct(w.makerA, 5), Quantity: 2}}, PaymentMethod: "upi"}); err != nil {
		t.Fatalf("offline sale: %v", err)
	}
	// B: the workshop is the paying agent; its maker's wage goes to the program's account.
	if err := w.dir.SetProgram(w.ctx, w.progB, bson.M{"payeeModel": programs.PayeeProgram}); err != nil {
		t.Fatal(err)
	}
	ob, err := w.svc.OnboardProgram(w.ctx, w.coordB, w.progB)
	if err != nil {
		t.Fatal(err)
	}
	w.mustDeliver(w.event("account.updated", accountUpdated(ob.AccountID, true)))
	ob2 := w.mustPay(w.mustProduct(w.makerB, 5))
	w.process()
	if e := w.mustEntry(earningID(ob2.ID, 0)); e.Status != payments.EntryTransferred || e.PayeeType != payments.PayeeProgram {
		t.Fatalf("B's wage: %+v", e)
	}

	share := w.share()
	from, to := time.Now().AddDate(0, 0, -1), time.Now().AddDate(0, 0, 1)
	rep, err := w.svc.Payouts(w.ctx, w.coordA, w.progA, from, to)
	if err != nil || len(rep.Makers) != 1 {
		t.Fatalf("report A: %+v %v", rep, err)
	}
	if r := rep.Makers[0]; r.Transferred != 3*share || r.ToMaker != share || r.ToProgram != 2*share || r.Earned != 3*share {
		t.Fatalf("A's row: %+v (share %d)", r, share)
	}
	if rep.Totals.ToMaker != share || rep.Totals.ToProgram != 2*share {
		t.Fatalf("A's totals: %+v", rep.Totals)
	}
	rep, err = w.svc.Payouts(w.ctx, w.coordB, w.progB, from, to)
	if err != nil || len(rep.Makers) != 1 {
		t.Fatalf("report B: %+v %v", rep, err)
	}
	if r := rep.Makers[0]; r.Transferred != share || r.ToMaker != 0 || r.ToProgram != share {
		t.Fatalf("B's row: %+v", r)
	}
}
