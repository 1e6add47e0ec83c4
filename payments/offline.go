package payments

import (
	"context"
	"fmt"
	"strings"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/randid"
)

// OfflineSale records a sale a program made in person (a craft fair, the shop counter) by its
// coordinator: the stock is taken exactly as at checkout, and each maker's wage is credited
// exactly as for an online sale — as collected, because the program holds the money and hands
// the maker their wage, recorded as a disbursement.
func (s *Service) OfflineSale(ctx context.Context, actor accounts.Actor, programID string, in OfflineSaleInput) (Order, error) {
	if !actor.Coordinates(programID) {
		return Order{}, programs.ErrNotFound
	}
	in.PaymentMethod = strings.ToLower(strings.TrimSpace(in.PaymentMethod))
	in.Note = strings.TrimSpace(in.Note)
	if err := fault.Check(in); err != nil {
		return Order{}, err
	}
	items, currency, err := s.priceItems(ctx, in.Items, programID)
	if err != nil {
		return Order{}, err
	}
	id := randid.New()
	if err := s.reserve(ctx, id, items); err != nil {
		return Order{}, err
	}
	now := s.now()
	o := Order{ID: id, StockHeld: true, TokenHash: accounts.HashToken(accounts.NewToken()), Items: items, Currency: currency,
		Status: StatusDelivered, Channel: ChannelOffline, PaymentMethod: in.PaymentMethod, CreatedBy: actor.UserID,
		CreatedAt: now, PaidAt: now, DeliveredAt: now}
	// Handed over on the spot: one package, delivered.
	o.Fulfilments = splitFulfilments(id, items)
	for k := range o.Fulfilments {
		f := &o.Fulfilments[k]
		f.Status, f.SentAt, f.DeliveredAt, f.DueBy, f.DispatchDays = FulfilDelivered, now, now, now, 0
	}
	o.fillTotals()
	o.AmountPaid = o.Total
	if err := s.orders.insert(ctx, o); err != nil {
		s.release(ctx, o)
		return Order{}, err
	}
	s.settleHolds(ctx, o) // sold on the spot
	detail := fmt.Sprintf("%d %s in %s, %d items", o.Total, o.Currency, o.PaymentMethod, len(o.Items))
	if in.Note != "" {
		detail += "; " + in.Note
	}
	s.record(ctx, actor, "order.offline_sale", "order", o.ID, programID, detail)
	if err := s.creditEarnings(ctx, o, SettleOffline, EntryCollected, actor); err != nil {
		return Order{}, err
	}
	return o, nil
}
