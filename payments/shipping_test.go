package payments_test

import (
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

func (w *world) setShipping(programID string, sh programs.Shipping) {
	w.t.Helper()
	if err := w.dir.SetProgram(w.ctx, programID, bson.M{"shipping": sh}); err != nil {
		w.t.Fatal(err)
	}
}

func amount(n int64) *int64 { return &n }

// Shipping is charged per program, shown to Stripe as its own lines, recorded as each
// program's money (never a wage), and everything reconciles: items plus shipping is what the
// buyer paid. A program that does not ship to the address is a 422 naming it.
func TestShippingPerProgramReconciles(t *testing.T) {
	w := newWorld(t)
	w.setShipping(w.progA, programs.Shipping{Domestic: &programs.ShippingRate{First: 10000, Additional: 2000}, ProcessingDays: 3})
	w.setShipping(w.progB, programs.Shipping{Domestic: &programs.ShippingRate{First: 5000},
		International: &programs.ShippingRate{First: 25000, Additional: 5000}, FreeOver: amount(150000), ProcessingDays: 5})
	pa, pb := w.mustProduct(w.makerA, 5), w.mustProduct(w.makerB, 5)

	q, err := w.svc.Quote(w.ctx, []payments.ItemInput{{ProductID: pa, Quantity: 2}, {ProductID: pb, Quantity: 1}}, "IN")
	if err != nil || len(q.Packages) != 2 || q.Packages[0].Shipping != 12000 || q.Packages[1].Shipping != 5000 ||
		q.Packages[0].DispatchDays != 3 || q.Packages[1].DispatchDays != 5 || q.Total != 3*price+17000 {
		t.Fatalf("quote: %+v %v", q, err)
	}
	abroad, err := w.svc.Quote(w.ctx, []payments.ItemInput{{ProductID: pa, Quantity: 1}, {ProductID: pb, Quantity: 1}}, "GB")
	if err != nil || abroad.Packages[0].Ships || !abroad.Packages[1].Ships || abroad.Packages[1].Shipping != 25000 {
		t.Fatalf("quote abroad: %+v %v", abroad, err)
	}
	gb := *address
	gb.Country, gb.City, gb.PostalCode = "GB", "London", "N1 9GU"
	_, err = w.svc.Checkout(w.ctx, w.buyer, payments.CheckoutInput{Items: []payments.ItemInput{{ProductID: pa, Quantity: 1}},
		Email: "buyer@test.example", ShippingAddress: &gb})
	if fault.KindOf(err) != fault.Invalid || codeOf(err) != "no_shipping" || w.stock(pa) != 5 {
		t.Fatalf("checkout abroad from a program that does not ship there: %v (stock %d)", err, w.stock(pa))
	}

	o := w.mustCheckout(pa, 2, pb, 1)
	if o.Shipping != 17000 || o.Total != 3*price+17000 || o.Fulfilments[0].Shipping != 12000 || o.Fulfilments[1].Shipping != 5000 {
		t.Fatalf("order: shipping %d total %d packages %+v", o.Shipping, o.Total, o.Fulfilments)
	}
	sess := w.sm.Requests("POST", "/v1/checkout/sessions")
	last := sess[len(sess)-1].Form
	if last.Get("line_items[2][price_data][unit_amount]") != "12000" || last.Get("line_items[3][price_data][unit_amount]") != "5000" ||
		last.Get("line_items[2][price_data][product_data][name]") != "Shipping, package 1 of 2" {
		t.Fatalf("Stripe session lines: %v", last)
	}
	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	paid := w.order(o.ID)
	if paid.Status != payments.StatusPaid || paid.AmountPaid != o.Total {
		t.Fatalf("paid: %s %d", paid.Status, paid.AmountPaid)
	}
	var items, shipping int64
	for _, it := range paid.Items {
		items += it.Shares.Sum()
	}
	for _, e := range w.entries(o.ID) {
		if e.Kind == payments.KindShipping {
			shipping += e.Amount
			if e.MakerID != "" || e.PayeeType != payments.PayeeProgram {
				t.Fatalf("shipping recorded as a wage: %+v", e)
			}
		}
	}
	if items+shipping != paid.AmountPaid {
		t.Fatalf("shares %d + shipping %d != paid %d", items, shipping, paid.AmountPaid)
	}
	// Free over the threshold.
	big, err := w.svc.Quote(w.ctx, []payments.ItemInput{{ProductID: pb, Quantity: 3}}, "IN")
	if err != nil || big.Packages[0].Shipping != 0 {
		t.Fatalf("free shipping over 1,500: %+v %v", big, err)
	}

	// Cancelled before sending: the package's items and shipping go back, and so does the
	// program's shipping line.
	if _, err := w.svc.CancelFulfilment(w.ctx, w.coordB, paid.Fulfilments[1].ID, payments.CancelInput{Reason: "out of fabric"}); err != nil {
		t.Fatal(err)
	}
	rf := w.refundsFor(o.ID)
	if len(rf) != 1 || rf[0].Form.Get("amount") != itoa(price+5000) {
		t.Fatalf("refund of a cancelled package: %+v", rf)
	}
	if e := w.mustEntry(paid.Fulfilments[1].ID + ":shipping:refund"); e.Amount != -5000 || e.Kind != payments.KindShipping {
		t.Fatalf("the program's shipping line undone: %+v", e)
	}
	if got := w.order(o.ID); got.AmountRefunded != price+5000 || got.Status != payments.StatusPaid {
		t.Fatalf("after cancelling package 2: %s refunded %d", got.Status, got.AmountRefunded)
	}
}

// A made-to-order item sells without stock, and its package is due after its lead time.
func TestMadeToOrderSellsWithoutStock(t *testing.T) {
	w := newWorld(t)
	w.setShipping(w.progA, programs.Shipping{ProcessingDays: 2})
	m, err := w.dir.Maker(w.ctx, w.makerA)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	p := catalog.Product{ID: "mto-" + m.ID, MakerID: m.ID, ProgramID: m.ProgramID, Title: "Kantha quilt, made to order",
		Description: "Stitched by hand once ordered.", Category: "textiles", Price: price, Currency: "INR", Stock: 0,
		MadeToOrder: true, LeadTimeDays: 14, HoursOfWork: 3, MaterialsCost: materials, Status: catalog.StatusPublished,
		Images: []catalog.Image{}, CreatedAt: now, UpdatedAt: now, PublishedAt: now, Version: 1}
	if err := w.prods.Insert(w.ctx, p); err != nil {
		t.Fatal(err)
	}
	stocked := w.mustProduct(w.makerA, 3)
	o := w.mustCheckout(p.ID, 2, stocked, 1)
	if !o.Items[0].MadeToOrder || o.Items[0].DispatchDays != 14 || o.Items[1].DispatchDays != 2 || o.Fulfilments[0].DispatchDays != 14 {
		t.Fatalf("items %+v packages %+v", o.Items, o.Fulfilments)
	}
	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	paid := w.order(o.ID)
	if want := paid.PaidAt.AddDate(0, 0, 14); !paid.Fulfilments[0].DueBy.Equal(want) {
		t.Fatalf("due by %s, want %s", paid.Fulfilments[0].DueBy, want)
	}
	if w.stock(p.ID) != 0 || w.stock(stocked) != 2 {
		t.Fatalf("stock after the sale: made to order %d, stocked %d", w.stock(p.ID), w.stock(stocked))
	}
	if bv := paid.BuyerView(); !bv.Items[0].MadeToOrder || bv.Fulfilments[0].DueBy.IsZero() {
		t.Fatalf("the buyer is not told when it comes: %+v", bv)
	}
}
