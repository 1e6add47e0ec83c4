package payments_test

import (
	"slices"
	"testing"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
)

// A cart from two workshops is two packages. Each workshop's coordinators see, send and
// deliver only their own; the other's is a 404 to them; the buyer sees both packages and is
// told of each; the order's status follows the packages; a wage is payable only once its
// package is sent.
func TestTwoWorkshopsTwoPackages(t *testing.T) {
	w := newWorld(t)
	w.mustOnboard(w.makerA, true)
	w.mustOnboard(w.makerB, true)
	pa, pb := w.mustProduct(w.makerA, 5), w.mustProduct(w.makerB, 5)
	o := w.mustCheckout(pa, 2, pb, 1)
	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	o = w.order(o.ID)

	if len(o.Fulfilments) != 2 || o.Fulfilments[0].ProgramID != w.progA || o.Fulfilments[1].ProgramID != w.progB ||
		!slices.Equal(o.Fulfilments[0].Items, []int{0}) || !slices.Equal(o.Fulfilments[1].Items, []int{1}) ||
		o.Fulfilments[0].Status != payments.FulfilToPrepare || o.Fulfilments[0].DueBy.IsZero() {
		t.Fatalf("packages: %+v", o.Fulfilments)
	}
	idA, idB := o.Fulfilments[0].ID, o.Fulfilments[1].ID

	// Each desk lists its own package, with the address, audited.
	deskA, err := w.svc.Fulfilments(w.ctx, w.coordA, w.progA, payments.FulfilmentQuery{Status: payments.FulfilToPrepare})
	if err != nil || len(deskA) != 1 || deskA[0].ID != idA || deskA[0].ShippingAddress == nil || len(deskA[0].Items) != 1 ||
		deskA[0].Items[0].Quantity != 2 || deskA[0].Items[0].MakerDisplayName == "" || deskA[0].OrderReference != o.Reference() ||
		deskA[0].Number != 1 || deskA[0].Of != 2 {
		t.Fatalf("desk A: %+v %v", deskA, err)
	}
	if w.audits("fulfilment.list", w.progA) != 1 {
		t.Fatal("reading the delivery addresses was not audited")
	}
	// A count for the dashboard reads no address, so it is not a read of personal data.
	bare, err := w.svc.Fulfilments(w.ctx, w.coordA, w.progA, payments.FulfilmentQuery{Status: payments.FulfilToPrepare, WithoutAddress: true})
	if err != nil || len(bare) != 1 || bare[0].ShippingAddress != nil || bare[0].Email != "" || w.audits("fulfilment.list", w.progA) != 1 {
		t.Fatalf("address-free list: %+v %v", bare, err)
	}
	if _, err := w.svc.Fulfilments(w.ctx, w.coordB, w.progA, payments.FulfilmentQuery{}); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("program B's coordinator listing A's desk: %v", err)
	}
	maker := accounts.Actor{UserID: "user-maker-a", Role: accounts.RoleMaker, MakerID: w.makerA}
	for _, who := range []accounts.Actor{w.coordB, maker, w.buyer, {}} {
		if _, err := w.svc.Fulfilment(w.ctx, who, idA); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("%+v reading package A: %v", who, err)
		}
		if _, err := w.svc.SendFulfilment(w.ctx, who, idA, payments.ShipInput{Carrier: "x"}); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("%+v sending package A: %v", who, err)
		}
	}
	// A coordinator's order view holds only their own items and package.
	v, err := w.svc.Order(w.ctx, w.coordA, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if so := v.(payments.ScopedOrder); len(so.Items) != 1 || len(so.Fulfilments) != 1 || so.Fulfilments[0].ID != idA ||
		so.Total != o.Items[0].Total || len(so.OrderItems) != 1 || so.OrderItems[0].Index != 0 {
		t.Fatalf("coordinator A's order view: %+v", so)
	}

	// Nothing is transferred before sending.
	w.process()
	if len(w.transfersFor(o.ID)) != 0 {
		t.Fatal("a wage was paid before its package was sent")
	}

	// Kolkata sends its package.
	sent, err := w.svc.SendFulfilment(w.ctx, w.coordA, idA, payments.ShipInput{Carrier: "India Post", TrackingNumber: "EE1IN"})
	if err != nil || sent.Status != payments.FulfilSent || sent.SentAt.IsZero() || sent.TrackingNumber != "EE1IN" {
		t.Fatalf("send A: %+v %v", sent, err)
	}
	if _, err := w.svc.SendFulfilment(w.ctx, w.coordA, idA, payments.ShipInput{}); codeOf(err) != "already_sent" || fault.KindOf(err) != fault.Conflict {
		t.Fatalf("second send: %v", err)
	}
	got := w.order(o.ID)
	if got.Status != payments.StatusPartlyShipped || got.Fulfilments[1].Status != payments.FulfilToPrepare {
		t.Fatalf("after one package: %s %+v", got.Status, got.Fulfilments)
	}
	if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryPending {
		t.Fatalf("A's wage after sending: %s", e.Status)
	}
	if e := w.mustEntry(earningID(o.ID, 1)); e.Status != payments.EntryAwaitingDispatch {
		t.Fatalf("B's wage before sending: %s", e.Status)
	}
	w.process()
	if tr := w.transfersFor(o.ID); len(tr) != 1 || tr[0].Form.Get("amount") != itoa(2*w.share()) {
		t.Fatalf("transfers after A sent: %+v", tr)
	}
	// The Mumbai desk still has its package; the buyer sees one sent, one being prepared.
	deskB, err := w.svc.Fulfilments(w.ctx, w.coordB, w.progB, payments.FulfilmentQuery{Status: payments.FulfilToPrepare})
	if err != nil || len(deskB) != 1 || deskB[0].ID != idB {
		t.Fatalf("desk B: %+v %v", deskB, err)
	}
	bv := got.BuyerView()
	if len(bv.Fulfilments) != 2 || bv.Fulfilments[0].Status != payments.FulfilSent || bv.Fulfilments[0].TrackingNumber != "EE1IN" ||
		bv.Fulfilments[1].Status != payments.FulfilToPrepare {
		t.Fatalf("buyer's packages: %+v", bv.Fulfilments)
	}
	// Shipping the whole order as B sends B's package only.
	if _, err := w.svc.Ship(w.ctx, w.coordB, o.ID, payments.ShipInput{Carrier: "DTDC", TrackingNumber: "D2"}); err != nil {
		t.Fatalf("B ships: %v", err)
	}
	got = w.order(o.ID)
	if got.Status != payments.StatusShipped || got.Fulfilments[0].TrackingNumber != "EE1IN" || got.Fulfilments[1].TrackingNumber != "D2" {
		t.Fatalf("after both: %s %+v", got.Status, got.Fulfilments)
	}
	if told := w.toldOf(o.ID); !slices.Equal(told, []string{"paid", "package_sent", "package_sent"}) {
		t.Fatalf("buyer told %v", told)
	}
	// Delivered one by one.
	if _, err := w.svc.DeliverFulfilment(w.ctx, w.coordA, idA); err != nil {
		t.Fatal(err)
	}
	if got = w.order(o.ID); got.Status != payments.StatusShipped {
		t.Fatalf("one delivered: %s", got.Status)
	}
	if _, err := w.svc.DeliverFulfilment(w.ctx, w.coordB, idB); err != nil {
		t.Fatal(err)
	}
	if got = w.order(o.ID); got.Status != payments.StatusDelivered || got.DeliveredAt.IsZero() {
		t.Fatalf("both delivered: %s", got.Status)
	}
	// Delivered packages are found by order reference.
	found, err := w.svc.Fulfilments(w.ctx, w.coordA, w.progA, payments.FulfilmentQuery{Status: payments.FulfilDelivered, Reference: o.Reference()[:5]})
	if err != nil || len(found) != 1 || found[0].ID != idA {
		t.Fatalf("search by reference: %+v %v", found, err)
	}
}

// A refund of a sent item leaves the maker's earning and transfer as they are and charges the
// program; a refund of an unsent item cancels its earning and puts the unit back.
func TestRefundsNeverTakeBackAWage(t *testing.T) {
	w := newWorld(t)
	w.mustOnboard(w.makerA, true)
	pa, pb := w.mustProduct(w.makerA, 5), w.mustProduct(w.makerB, 5)
	o := w.mustCheckout(pa, 1, pb, 1)
	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	o = w.order(o.ID)
	idA, idB := o.Fulfilments[0].ID, o.Fulfilments[1].ID
	if _, err := w.svc.SendFulfilment(w.ctx, w.coordA, idA, payments.ShipInput{Carrier: "India Post"}); err != nil {
		t.Fatal(err)
	}
	w.process()
	earn := w.mustEntry(earningID(o.ID, 0))
	if earn.Status != payments.EntryTransferred {
		t.Fatalf("A's wage: %s", earn.Status)
	}

	// Lost in the post: refunded, and the wage stands.
	v, err := w.svc.RefundFulfilment(w.ctx, w.coordA, idA, payments.RefundInput{Reason: "lost in the post"})
	if err != nil || v.Status != payments.FulfilRefunded || !v.Items[0].Refunded {
		t.Fatalf("refund sent package: %+v %v", v, err)
	}
	w.process()
	if e := w.mustEntry(earn.ID); e.Status != payments.EntryTransferred || len(w.sm.Requests("POST", "/v1/transfers/"+earn.TransferID+"/reversals")) != 0 {
		t.Fatalf("a sent item's wage was taken back: %s", e.Status)
	}
	if _, ok := w.entry(reversalID(o.ID, 0)); ok {
		t.Fatal("a reversal was recorded for a sent item")
	}
	charge := w.mustEntry(o.ID + ":0:" + payments.KindProgramRefund)
	if charge.Amount != -o.Items[0].Total || charge.ProgramID != w.progA || charge.Status != payments.EntryRecorded {
		t.Fatalf("the program's charge: %+v", charge)
	}
	if w.stock(pa) != 4 {
		t.Fatalf("a lost item came back to stock: %d", w.stock(pa))
	}
	rep, err := w.svc.Payouts(w.ctx, w.coordA, w.progA, o.CreatedAt.AddDate(0, 0, -1), o.CreatedAt.AddDate(0, 0, 1))
	if err != nil || rep.Program.Refunds != -o.Items[0].Total || rep.Program.RefundCount != 1 {
		t.Fatalf("payout report's program lines: %+v %v", rep.Program, err)
	}

	// Cancelled before sending: refunded, earning cancelled, unit back.
	v, err = w.svc.CancelFulfilment(w.ctx, w.coordB, idB, payments.CancelInput{Reason: "maker ill"})
	if err != nil || v.Status != payments.FulfilCancelled {
		t.Fatalf("cancel B: %+v %v", v, err)
	}
	if e := w.mustEntry(earningID(o.ID, 1)); e.Status != payments.EntryReversed {
		t.Fatalf("an unsent item's earning: %s", e.Status)
	}
	if w.stock(pb) != 5 {
		t.Fatalf("an unsent item's unit: stock %d", w.stock(pb))
	}
	got := w.order(o.ID)
	if got.Status != payments.StatusRefunded || got.AmountRefunded != o.Total {
		t.Fatalf("order after both: %s refunded %d of %d", got.Status, got.AmountRefunded, o.Total)
	}
	if _, err := w.svc.CancelFulfilment(w.ctx, w.coordA, idA, payments.CancelInput{}); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("cancelling a refunded package: %v", err)
	}
}

// A send whose wage release was cut short (the process died between the two writes) is
// finished by the ledger worker.
func TestReleaseCutShortIsFinished(t *testing.T) {
	w := newWorld(t)
	w.mustOnboard(w.makerA, true)
	o := w.mustPayUnsent(w.mustProduct(w.makerA, 5))
	fs := o.Fulfilments
	fs[0].Status, fs[0].SentAt = payments.FulfilSent, w.order(o.ID).PaidAt
	w.setOrder(o.ID, map[string]any{"fulfilments": fs, "status": payments.StatusShipped, "releasePending": true})
	if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryAwaitingDispatch {
		t.Fatalf("staged: %s", e.Status)
	}
	w.process()
	w.process()
	if e := w.mustEntry(earningID(o.ID, 0)); e.Status != payments.EntryTransferred {
		t.Fatalf("after the worker: %s", e.Status)
	}
	if w.order(o.ID).ReleasePending {
		t.Fatal("the mark was not cleared")
	}
}
