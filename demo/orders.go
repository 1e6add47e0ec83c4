package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// shippingFor is each demo program's shipping: Kolkata ships abroad too, Mumbai within India.
var shippingFor = map[string]programs.Shipping{
	"Kolkata": {Domestic: &programs.ShippingRate{First: 8000, Additional: 2000},
		International: &programs.ShippingRate{First: 120000, Additional: 40000}, FreeOver: ptr(int64(300000)), ProcessingDays: 3},
	"Mumbai": {Domestic: &programs.ShippingRate{First: 6000, Additional: 1500}, ProcessingDays: 5},
}

// demoAddress is where the demo buyers' orders go: a made-up address.
var demoAddress = payments.Address{Name: "Demo Buyer", Line1: "12 Example Lane", City: "Bengaluru", State: "Karnataka",
	PostalCode: "560001", Country: "IN", Phone: "+91 90000 00000"}

// seedOrders sets the programs' shipping and, when payments run on the test-payment page,
// places a few paid orders so the order desks, the buyer's pages and the makers' "to make"
// lists have something to show: a cart from both workshops waiting on both desks, a Kolkata
// package sent, a Mumbai package delivered and a made-to-order kurta due in ten days.
func seedOrders(ctx context.Context, a *app.App, admin accounts.Actor, published map[string][]catalog.Product) error {
	progs, err := a.Programs.Registry().Programs(ctx, nil)
	if err != nil {
		return err
	}
	byCity := map[string]programs.Program{}
	for _, p := range progs {
		sh, ok := shippingFor[p.City]
		if !ok {
			continue
		}
		if _, err := a.Programs.UpdateSettings(ctx, admin, p.ID, programs.SettingsInput{Shipping: &sh}); err != nil {
			return fmt.Errorf("shipping of %s: %w", p.Name, err)
		}
		byCity[p.City] = p
	}
	if !a.Payments.TestMode() {
		return nil // real Stripe: no pretend payments
	}
	kol, mum := published[byCity["Kolkata"].ID], published[byCity["Mumbai"].ID]
	if len(kol) < 3 || len(mum) < 3 {
		return nil
	}
	var kurta catalog.Product
	for _, p := range mum {
		if p.MadeToOrder {
			kurta = p
		}
	}
	buyer := accounts.Actor{IP: "192.0.2.10"}
	order := func(email string, lines ...payments.ItemInput) (string, error) {
		addr := demoAddress
		res, err := a.Payments.Checkout(ctx, buyer, payments.CheckoutInput{Items: lines, Email: email, ShippingAddress: &addr})
		if err != nil {
			return "", err
		}
		token := res.OrderURL[strings.LastIndex(res.OrderURL, "/")+1:]
		if _, err := a.Payments.PayTestOrder(ctx, res.OrderID, token); err != nil {
			return "", err
		}
		return res.OrderID, nil
	}
	coord := func(p programs.Program) (accounts.Actor, error) {
		for _, ps := range seeds {
			if ps.in.Name == p.Name {
				u, err := a.Accounts.UserByLogin(ctx, ps.coordinator.Email)
				if err != nil {
					return accounts.Actor{}, err
				}
				return accounts.ActorOf(u, "seed"), nil
			}
		}
		return accounts.Actor{}, fmt.Errorf("no coordinator for %s", p.Name)
	}
	ck, err := coord(byCity["Kolkata"])
	if err != nil {
		return err
	}
	cm, err := coord(byCity["Mumbai"])
	if err != nil {
		return err
	}
	if _, err := order("ritu@buyers.demo.fairhands.test", payments.ItemInput{ProductID: kol[0].ID, Quantity: 1},
		payments.ItemInput{ProductID: mum[0].ID, Quantity: 1}); err != nil {
		return fmt.Errorf("two-workshop order: %w", err)
	}
	sent, err := order("dev@buyers.demo.fairhands.test", payments.ItemInput{ProductID: kol[1].ID, Quantity: 2})
	if err != nil {
		return err
	}
	if _, err := a.Payments.Ship(ctx, ck, sent, payments.ShipInput{Carrier: "India Post", TrackingNumber: "EK123456789IN"}); err != nil {
		return err
	}
	done, err := order("sam@buyers.demo.fairhands.test", payments.ItemInput{ProductID: mum[1].ID, Quantity: 1})
	if err != nil {
		return err
	}
	if _, err := a.Payments.Ship(ctx, cm, done, payments.ShipInput{Carrier: "DTDC", TrackingNumber: "D1002003004"}); err != nil {
		return err
	}
	if _, err := a.Payments.Deliver(ctx, cm, done); err != nil {
		return err
	}
	if kurta.ID != "" {
		if _, err := order("lina@buyers.demo.fairhands.test", payments.ItemInput{ProductID: kurta.ID, Quantity: 1}); err != nil {
			return fmt.Errorf("made-to-order order: %w", err)
		}
	}
	return seedHistory(ctx, a, order, []workshopSales{
		{byCity["Kolkata"], ck, kol, "cash", "Durga Puja craft fair stall", "", "anu", "farah"},
		{byCity["Mumbai"], cm, mum, "upi", "Kala Ghoda arts festival stall", "DEMO-UPI-", "joy", "neel"},
	})
}

// workshopSales is what a demo program sold besides the orders above: two online orders and a
// craft-fair stall, paid to its makers in cash or by UPI.
type workshopSales struct {
	prog              programs.Program
	coord             accounts.Actor
	published         []catalog.Product
	method, fair, ref string
	sentTo, waitingTo string // buyers' names: one order sent, one waiting on the desk
}

// seedHistory gives every demo maker a sale, so the dashboards, the payout reports and the
// impact page have figures: the impact page shows money only for groups of 11 makers or more
// (k = 11), which the twelve demo makers reach together, never one six-maker workshop alone.
// Each workshop has two more online orders (one sent, one waiting), a craft-fair stall sold
// through the offline-sale desk with one piece from every maker, and two of those wages handed
// over and recorded as disbursements.
func seedHistory(ctx context.Context, a *app.App, order func(string, ...payments.ItemInput) (string, error), ws []workshopSales) error {
	today := time.Now().UTC().Format(time.DateOnly)
	for _, w := range ws {
		makers := byMaker(w.published)
		if len(makers) < 6 {
			continue
		}
		one := func(k int) payments.ItemInput { return payments.ItemInput{ProductID: makers[k][0].ID, Quantity: 1} }
		sent, err := order(w.sentTo+"@buyers.demo.fairhands.test", one(2), one(3))
		if err != nil {
			return fmt.Errorf("%s order: %w", w.prog.Name, err)
		}
		if _, err := a.Payments.Ship(ctx, w.coord, sent, payments.ShipInput{Carrier: "India Post", TrackingNumber: "EK20" + sent[:7] + "IN"}); err != nil {
			return fmt.Errorf("%s send: %w", w.prog.Name, err)
		}
		if _, err := order(w.waitingTo+"@buyers.demo.fairhands.test", one(4), one(5)); err != nil {
			return fmt.Errorf("%s order: %w", w.prog.Name, err)
		}
		var stall []payments.ItemInput
		for _, ps := range makers {
			p := ps[len(ps)-1] // each maker's last published piece, sold from stock
			if p.MadeToOrder {
				p = ps[0]
			}
			if !p.MadeToOrder {
				stall = append(stall, payments.ItemInput{ProductID: p.ID, Quantity: 1})
			}
		}
		fair, err := a.Payments.OfflineSale(ctx, w.coord, w.prog.ID, payments.OfflineSaleInput{Items: stall, PaymentMethod: w.method, Note: w.fair})
		if err != nil {
			return fmt.Errorf("%s craft fair: %w", w.prog.Name, err)
		}
		for k, it := range fair.Items[:2] {
			in := payments.DisbursementInput{MakerID: it.MakerID, Amount: it.Shares.Maker, Method: w.method, Date: today}
			if w.ref != "" {
				in.Reference = fmt.Sprintf("%s%04d", w.ref, k+1)
			}
			if _, err := a.Payments.RecordDisbursement(ctx, w.coord, w.prog.ID, in); err != nil {
				return fmt.Errorf("%s disbursement: %w", w.prog.Name, err)
			}
		}
	}
	return nil
}

// byMaker groups published products by maker, in the order the makers first appear.
func byMaker(ps []catalog.Product) [][]catalog.Product {
	var out [][]catalog.Product
	at := map[string]int{}
	for _, p := range ps {
		k, ok := at[p.MakerID]
		if !ok {
			k = len(out)
			at[p.MakerID] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], p)
	}
	return out
}
