package payments

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/randid"
)

var (
	testPayActor = accounts.Actor{UserID: "system:test-payment", Role: "system"}
	errNotOrder  = fault.New(fault.Conflict, "order_not_payable", "this order can no longer be paid: it was cancelled or its reservation ran out; please check out again")
)

// Checkout prices a cart from the database, reserves its stock atomically (all or nothing), and
// opens payment: a Stripe Checkout Session, or the app's test-payment page when Stripe is off.
// A short item is a 409 naming the product. A guest must give an email; the order's private
// link is the guest's way back to it.
func (s *Service) Checkout(ctx context.Context, actor accounts.Actor, in CheckoutInput) (CheckoutResult, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	if err := fault.Check(in); err != nil {
		return CheckoutResult{}, err
	}
	if actor.Anonymous() && in.Email == "" {
		return CheckoutResult{}, fault.Fields(map[string]string{"email": "is required when checking out without an account: your order link is sent there"})
	}
	if !actor.Anonymous() && in.Email == "" && s.cfg.BuyerEmail != nil {
		if email, err := s.cfg.BuyerEmail(ctx, actor.UserID); err == nil {
			in.Email = email
		}
	}
	items, currency, err := s.priceItems(ctx, in.Items, "")
	if err != nil {
		return CheckoutResult{}, err
	}
	client := clientKey(actor.IP)
	unpaid, err := s.unpaidOf(ctx, in.CartID, client, in.Email)
	if err != nil {
		return CheckoutResult{}, err
	}
	if unpaid, err = s.releaseCart(ctx, in.CartID, unpaid, actor); err != nil {
		return CheckoutResult{}, err
	}
	if err := s.checkHoldLimits(items, unpaid); err != nil {
		return CheckoutResult{}, err
	}
	id := randid.New()
	packages, err := s.quoteShipping(ctx, splitFulfilments(id, items), items, in.ShippingAddress.Country)
	if err != nil {
		return CheckoutResult{}, err
	}
	if err := s.reserve(ctx, id, items); err != nil {
		return CheckoutResult{}, err
	}
	now := s.now()
	token := accounts.NewToken()
	o := Order{ID: id, TokenHash: accounts.HashToken(token), BuyerID: actor.UserID, Email: in.Email,
		ShippingAddress: in.ShippingAddress, Items: items, Fulfilments: packages, Currency: currency, Status: StatusPendingPayment,
		CartID: in.CartID, ClientKey: client,
		Channel: ChannelOnline, CreatedAt: now, ExpiresAt: now.Add(ReservationTTL), StockHeld: true}
	o.fillTotals()
	if s.cfg.SealToken != nil {
		o.TokenSealed = s.cfg.SealToken(token)
	}
	if err := s.orders.insert(ctx, o); err != nil {
		s.release(ctx, o)
		return CheckoutResult{}, err
	}
	res := CheckoutResult{OrderID: o.ID, Status: o.Status, Total: o.Total, Currency: o.Currency,
		OrderURL: s.orderURL(token), TestMode: s.TestMode()}
	if s.stripe == nil {
		res.CheckoutURL = s.testPaymentURL(o.ID, token)
	} else {
		wait := s.CheckoutWait
		if wait <= 0 {
			wait = defaultCheckoutWait
		}
		sctx, cancel := context.WithTimeout(ctx, wait)
		id, url, err := s.stripe.checkoutSession(sctx, o, s.orderURL(token), s.orderURL(token))
		cancel()
		if err != nil {
			s.log.Error("create Stripe Checkout Session", "order", o.ID, "err", err.Error())
			if _, cerr := s.cancelUnpaid(ctx, o, "the payment provider did not answer", actor); cerr != nil {
				s.log.Error("cancel order after Stripe failure", "order", o.ID, "err", cerr.Error())
			}
			return CheckoutResult{}, ErrStripeDown
		}
		if err := s.orders.set(ctx, o.ID, bson.M{"stripeSessionId": id}); err != nil {
			return CheckoutResult{}, err
		}
		res.CheckoutURL = url
	}
	s.record(ctx, actor, "order.create", "order", o.ID, firstOr(o.ProgramIDs), fmt.Sprintf("%d %s, %d items", o.Total, o.Currency, len(o.Items)))
	return res, nil
}

// fillTotals sets the order's total and its program and maker lists from its items.
func (o *Order) fillTotals() {
	o.Total = o.shippingTotal()
	o.Shipping = o.Total
	o.ProgramIDs, o.MakerIDs = []string{}, []string{}
	for _, it := range o.Items {
		o.Total += it.Total
		if !slices.Contains(o.ProgramIDs, it.ProgramID) {
			o.ProgramIDs = append(o.ProgramIDs, it.ProgramID)
		}
		if !slices.Contains(o.MakerIDs, it.MakerID) {
			o.MakerIDs = append(o.MakerIDs, it.MakerID)
		}
	}
}

func firstOr(ids []string) string {
	if len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// priceItems turns cart lines into order items priced from the database, with each item's
// shares computed by catalog.Breakdown per unit (what the product page shows) times the
// quantity, and its payee from the program's payee model. Repeated products are merged. With
// programID set, every product must belong to that program (offline sales).
func (s *Service) priceItems(ctx context.Context, in []ItemInput, programID string) ([]Item, string, error) {
	var merged []ItemInput
	for _, l := range in {
		l.ProductID = strings.TrimSpace(l.ProductID)
		if i := slices.IndexFunc(merged, func(m ItemInput) bool { return m.ProductID == l.ProductID }); i >= 0 {
			merged[i].Quantity += l.Quantity
			continue
		}
		merged = append(merged, l)
	}
	progs := map[string]programs.Program{}
	items := make([]Item, 0, len(merged))
	currencies := []string{}
	for i, l := range merged {
		field := fmt.Sprintf("items[%d].productId", i)
		p, err := s.products.ForSale(ctx, l.ProductID)
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, "", fault.Fields(map[string]string{field: fmt.Sprintf("product %q is not for sale", l.ProductID)})
		}
		if err != nil {
			return nil, "", err
		}
		if programID != "" && p.ProgramID != programID {
			return nil, "", fault.Fields(map[string]string{field: fmt.Sprintf("“%s” is not a product of this program", p.Title)})
		}
		prog, ok := progs[p.ProgramID]
		if !ok {
			if prog, err = s.dir.Program(ctx, p.ProgramID); err != nil {
				return nil, "", fmt.Errorf("program of product %s: %w", p.ID, err)
			}
			progs[p.ProgramID] = prog
		}
		if !slices.Contains(currencies, p.Currency) {
			currencies = append(currencies, p.Currency)
		}
		b := catalog.Breakdown(p.Price, p.MaterialsCost, prog.ProgramSharePercent, s.cfg.Fees)
		q := int64(l.Quantity)
		it := Item{ProductID: p.ID, Title: p.Title, MakerID: p.MakerID, ProgramID: p.ProgramID, Quantity: l.Quantity,
			UnitPrice: p.Price, Total: p.Price * q,
			Shares:    Shares{Maker: b.Maker * q, Materials: b.Materials * q, Program: b.Program * q, Fees: b.Fees * q},
			PayeeType: PayeeMaker, PayeeID: p.MakerID, HoldDays: prog.HoldDays, DispatchDays: prog.DispatchDays()}
		if p.MadeToOrder {
			it.MadeToOrder, it.DispatchDays = true, p.LeadTimeDays // the lead time replaces the processing days
		}
		if prog.PayeeModel == programs.PayeeProgram {
			it.PayeeType, it.PayeeID = PayeeProgram, prog.ID
		}
		items = append(items, it)
	}
	if len(currencies) > 1 {
		e := *ErrMixedCurrency
		e.Details = map[string]any{"currencies": currencies}
		return nil, "", &e
	}
	return items, currencies[0], nil
}

// reserve holds the stock of every item for the order orderID, or none: on a shortage it lets
// go of what it took and returns the catalog's out-of-stock conflict naming the product. Each
// hold records the order it is for in the same write that takes the units, so a process killed
// before the order is stored leaves holds the sweeper can release (sweepHolds).
func (s *Service) reserve(ctx context.Context, orderID string, items []Item) error {
	for i, it := range items {
		if err := s.products.HoldStock(ctx, it.ProductID, orderID, it.Quantity); err != nil {
			s.releaseHolds(ctx, orderID, items[:i])
			return err
		}
	}
	return nil
}

// release puts an unpaid order's units back into stock, each at most once.
func (s *Service) release(ctx context.Context, o Order) {
	if !o.StockHeld {
		// Taken before holds existed: no record says whose units they are, so put them back
		// by count (the status change before this call makes it happen once).
		s.restock(ctx, o.Items)
		return
	}
	s.releaseHolds(ctx, o.ID, o.Items)
}

func (s *Service) releaseHolds(ctx context.Context, orderID string, items []Item) {
	for _, it := range items {
		if _, err := s.products.ReleaseHold(ctx, it.ProductID, orderID); err != nil {
			// The hold stays; the sweeper tries again within the minute (never oversold).
			s.log.Error("release held stock", "product", it.ProductID, "order", orderID, "err", err.Error())
		}
	}
}

// settleHolds records a paid order's units as sold: its holds are forgotten, the units stay out.
func (s *Service) settleHolds(ctx context.Context, o Order) {
	for _, it := range o.Items {
		if _, err := s.products.SettleHold(ctx, it.ProductID, o.ID); err != nil {
			s.log.Warn("settle held stock", "product", it.ProductID, "order", o.ID, "err", err.Error())
		}
	}
}

// restock puts refunded items' units back into stock.
func (s *Service) restock(ctx context.Context, items []Item) {
	for _, it := range items {
		if err := s.products.ReleaseStock(ctx, it.ProductID, it.Quantity); err != nil {
			// The units stay out of stock (never oversold); a coordinator can add them back.
			s.log.Error("restock", "product", it.ProductID, "quantity", it.Quantity, "err", err.Error())
		}
	}
}

// cancelUnpaid cancels an order still waiting for payment and puts its stock back. The status
// changes first, by compare-and-set, so the stock is released exactly once whoever races.
func (s *Service) cancelUnpaid(ctx context.Context, o Order, reason string, actor accounts.Actor) (bool, error) {
	ok, err := s.orders.transition(ctx, o.ID, []string{StatusPendingPayment},
		bson.M{"$set": bson.M{"status": StatusCancelled, "cancelledAt": s.now(), "cancelReason": reason}})
	if err != nil || !ok {
		return false, err
	}
	s.release(ctx, o)
	s.record(ctx, actor, "order.cancel", "order", o.ID, firstOr(o.ProgramIDs), reason+"; stock released")
	return true, nil
}

// QuotePackage is one workshop's part of a cart before checkout: its items, shipping and when
// it would be sent.
type QuotePackage struct {
	ProgramID    string `json:"programId"`
	Items        []int  `json:"items"`
	ItemsTotal   int64  `json:"itemsTotal"`
	Shipping     int64  `json:"shipping"`
	DispatchDays int    `json:"dispatchDays"`
	// Ships is false when the program does not ship to the chosen country.
	Ships bool `json:"ships"`
}

// Quote is what a cart would cost to a country: its packages with their shipping, and the total.
type Quote struct {
	Currency string         `json:"currency"`
	Items    []Item         `json:"-"`
	Packages []QuotePackage `json:"packages"`
	Shipping int64          `json:"shipping"`
	Total    int64          `json:"total"`
}

// Quote prices a cart as Checkout would, without reserving anything: the buyer sees each
// package's shipping and dispatch time before paying. A package its program does not ship to
// the country is marked, not refused (Checkout refuses it).
func (s *Service) Quote(ctx context.Context, lines []ItemInput, country string) (Quote, error) {
	items, currency, err := s.priceItems(ctx, lines, "")
	if err != nil {
		return Quote{}, err
	}
	q := Quote{Currency: currency, Items: items}
	for _, f := range splitFulfilments("", items) {
		prog, err := s.dir.Program(ctx, f.ProgramID)
		if err != nil {
			return Quote{}, err
		}
		qp := QuotePackage{ProgramID: f.ProgramID, Items: f.Items, DispatchDays: f.DispatchDays}
		units := 0
		for _, i := range f.Items {
			qp.ItemsTotal += items[i].Total
			units += items[i].Quantity
		}
		qp.Shipping, qp.Ships = prog.ShippingQuote(country, qp.ItemsTotal, units)
		q.Packages = append(q.Packages, qp)
		q.Shipping += qp.Shipping
		q.Total += qp.ItemsTotal + qp.Shipping
	}
	return q, nil
}
