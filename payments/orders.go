package payments

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
)

var errNotRefundable = fault.New(fault.Conflict, "not_refundable", "only a paid order can be refunded")

// coordinatesAny reports whether actor manages at least one program of the order.
func coordinatesAny(actor accounts.Actor, o Order) bool {
	return slices.ContainsFunc(o.ProgramIDs, actor.Coordinates)
}

// Order returns an order to its buyer (as BuyerView) or to a coordinator of one of its programs
// (in full); everyone else gets ErrOrderNotFound.
func (s *Service) Order(ctx context.Context, actor accounts.Actor, id string) (any, error) {
	o, err := s.orders.byID(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case coordinatesAny(actor, o):
		return o, nil
	case !actor.Anonymous() && o.BuyerID == actor.UserID:
		return o.BuyerView(), nil
	}
	return nil, ErrOrderNotFound
}

// OrderQuery selects orders for a list.
type OrderQuery struct {
	Status string
	// Flagged keeps only orders with a payment that did not match (PaymentFlag).
	Flagged bool
	Limit   int64
	Offset  int64
}

// Orders lists the actor's orders: a buyer's own (as BuyerViews), a coordinator's programs',
// an admin's all; newest first.
func (s *Service) Orders(ctx context.Context, actor accounts.Actor, q OrderQuery) (any, error) {
	filter := bson.M{}
	switch {
	case actor.IsAdmin():
	case actor.Role == accounts.RoleCoordinator:
		filter["programIds"] = bson.M{"$in": append([]string{}, actor.ProgramIDs...)}
	default:
		filter["buyerId"] = actor.UserID
	}
	if q.Status != "" {
		filter["status"] = q.Status
	}
	if q.Flagged {
		filter["paymentFlag"] = bson.M{"$exists": true}
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	os, err := s.orders.list(ctx, filter, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(max(q.Offset, 0)).SetLimit(q.Limit))
	if err != nil {
		return nil, err
	}
	if actor.IsAdmin() || actor.Role == accounts.RoleCoordinator {
		return os, nil
	}
	out := make([]BuyerView, 0, len(os))
	for _, o := range os {
		out = append(out, o.BuyerView())
	}
	return out, nil
}

// managed loads an order a coordinator of one of its programs may act on.
func (s *Service) managed(ctx context.Context, actor accounts.Actor, id string) (Order, error) {
	o, err := s.orders.byID(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if !coordinatesAny(actor, o) {
		return Order{}, ErrOrderNotFound
	}
	return o, nil
}

func statusConflict(o Order, want string) error {
	return fault.New(fault.Conflict, "wrong_status", "the order is %s; it must be %s for this", strings.ReplaceAll(o.Status, "_", " "), want)
}

// Ship marks a paid order shipped, with its tracking number.
func (s *Service) Ship(ctx context.Context, actor accounts.Actor, id string, in ShipInput) (Order, error) {
	in.TrackingNumber, in.Carrier = strings.TrimSpace(in.TrackingNumber), strings.TrimSpace(in.Carrier)
	if err := fault.Check(in); err != nil {
		return Order{}, err
	}
	o, err := s.managed(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	ok, err := s.orders.transition(ctx, o.ID, []string{StatusPaid}, bson.M{"$set": bson.M{
		"status": StatusShipped, "shippedAt": s.now(), "trackingNumber": in.TrackingNumber, "carrier": in.Carrier}})
	if err != nil {
		return Order{}, err
	}
	if !ok {
		return Order{}, statusConflict(o, "paid")
	}
	s.record(ctx, actor, "order.ship", "order", o.ID, firstOr(o.ProgramIDs), in.Carrier+" "+in.TrackingNumber)
	o, err = s.orders.byID(ctx, o.ID)
	if err == nil {
		s.tell(ctx, "shipped", o, nil)
	}
	return o, err
}

// Deliver marks an order delivered (shipped, or handed over in person from paid).
func (s *Service) Deliver(ctx context.Context, actor accounts.Actor, id string) (Order, error) {
	o, err := s.managed(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	ok, err := s.orders.transition(ctx, o.ID, []string{StatusPaid, StatusShipped}, bson.M{"$set": bson.M{
		"status": StatusDelivered, "deliveredAt": s.now()}})
	if err != nil {
		return Order{}, err
	}
	if !ok {
		return Order{}, statusConflict(o, "paid or shipped")
	}
	s.record(ctx, actor, "order.deliver", "order", o.ID, firstOr(o.ProgramIDs), "")
	return s.orders.byID(ctx, o.ID)
}

// Cancel cancels an order. An unpaid one releases its stock (and its Checkout Session is
// expired, so it can no longer be paid); a paid one not yet shipped is refunded in full and its
// stock returned. Shipped orders are refunded instead.
func (s *Service) Cancel(ctx context.Context, actor accounts.Actor, id string, in CancelInput) (Order, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := fault.Check(in); err != nil {
		return Order{}, err
	}
	o, err := s.managed(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	reason := "cancelled by a coordinator"
	if in.Reason != "" {
		reason += ": " + in.Reason
	}
	switch o.Status {
	case StatusPendingPayment:
		if o.StripeSessionID != "" && s.stripe != nil {
			if err := s.stripe.expireSession(ctx, o.StripeSessionID); err != nil {
				return Order{}, fault.New(fault.Conflict, "payment_in_progress", "the buyer may be paying right now (Stripe would not close the checkout): try again in a minute")
			}
		}
		ok, err := s.cancelUnpaid(ctx, o, reason, actor)
		if err != nil {
			return Order{}, err
		}
		if !ok {
			return s.Cancel(ctx, actor, id, in) // it changed meanwhile (paid?): decide again
		}
	case StatusPaid:
		if !s.coordinatesAll(actor, o, allIndexes(len(o.Items))) {
			return Order{}, fault.New(fault.Forbidden, "forbidden", "this order has items of programs you do not coordinate; ask an admin to cancel it")
		}
		if _, err := s.refund(ctx, actor, o, allIndexes(len(o.Items)), true, StatusCancelled, reason); err != nil {
			return Order{}, err
		}
	default:
		return Order{}, statusConflict(o, "pending payment or paid (not yet shipped)")
	}
	return s.orders.byID(ctx, o.ID)
}

// coordinatesAll reports whether actor manages the programs of all the given items.
func (s *Service) coordinatesAll(actor accounts.Actor, o Order, idx []int) bool {
	for _, i := range idx {
		if !actor.Coordinates(o.Items[i].ProgramID) {
			return false
		}
	}
	return true
}

// Refund refunds the listed items of a paid order, or every item not yet refunded: the money
// goes back to the buyer through Stripe (with an idempotency key naming the order and items),
// the items are marked, and their makers' earnings are reversed — cancelled if not yet paid
// out, or taken back by a Transfer Reversal. A coordinator may refund only items of their
// programs.
func (s *Service) Refund(ctx context.Context, actor accounts.Actor, id string, in RefundInput) (Order, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := fault.Check(in); err != nil {
		return Order{}, err
	}
	o, err := s.managed(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	if !o.paidOrLater() || o.Status == StatusCancelled {
		return Order{}, errNotRefundable
	}
	idx := in.Items
	if len(idx) == 0 {
		for i, it := range o.Items {
			if !it.Refunded() && actor.Coordinates(it.ProgramID) {
				idx = append(idx, i)
			}
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		if i >= len(o.Items) {
			return Order{}, fault.Fields(map[string]string{"items": fmt.Sprintf("the order has %d items (0 to %d)", len(o.Items), len(o.Items)-1)})
		}
		if o.Items[i].Refunded() {
			return Order{}, fault.New(fault.Conflict, "already_refunded", "item %d (“%s”) was refunded already", i, o.Items[i].Title)
		}
	}
	if len(idx) == 0 {
		return Order{}, fault.New(fault.Conflict, "already_refunded", "every item of this order you coordinate was refunded already")
	}
	if !s.coordinatesAll(actor, o, idx) {
		return Order{}, fault.New(fault.Forbidden, "forbidden", "you may refund only items of programs you coordinate")
	}
	var amount int64
	for _, i := range idx {
		amount += o.Items[i].Total
	}
	res, err := s.refund(ctx, actor, o, idx, in.Restock, StatusRefunded, in.Reason)
	if err == nil {
		s.tell(ctx, "refunded", res, map[string]any{"amount": amount, "key": strings.Join(strings.Fields(fmt.Sprint(idx)), ",")})
	}
	return res, err
}

// refund sends the money back at Stripe (when the order was paid through Stripe) and records
// the refund locally.
func (s *Service) refund(ctx context.Context, actor accounts.Actor, o Order, idx []int, restock bool, finalStatus, reason string) (Order, error) {
	var amount int64
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		if !o.Items[i].Refunded() {
			amount += o.Items[i].Total
		}
		parts = append(parts, strconv.Itoa(i))
	}
	items := strings.Join(parts, ",")
	// Money refunded at Stripe without item details (see onChargeRefunded) is back with the buyer
	// already: refunding items afterwards, as the audit trail advises, sends only the rest.
	amount -= min(amount, o.unallocatedRefund())
	refundID := ""
	if o.Channel == ChannelOnline && o.PaymentIntentID != "" && amount > 0 {
		if s.stripe == nil {
			return Order{}, ErrStripeOff
		}
		var err error
		refundID, err = s.stripe.refund(ctx, o.PaymentIntentID, amount, "fh-refund-"+o.ID+"-"+items,
			map[string]string{"order_id": o.ID, "items": items})
		if err != nil {
			s.log.Error("create Stripe refund", "order", o.ID, "err", err.Error())
			return Order{}, ErrStripeDown
		}
	}
	return s.refundItems(ctx, o.ID, idx, refundID, restock, finalStatus, actor, reason)
}

// refundItems records a refund of items: marks them (once — a repeat changes nothing), moves
// the order to finalStatus (refunded, unless given) when no item is left, returns stock if
// asked, and reverses the items' earnings. It is the local half of every refund: ours, Stripe's
// charge.refunded event, and a lost dispute.
func (s *Service) refundItems(ctx context.Context, orderID string, idx []int, refundID string, restock bool, finalStatus string, actor accounts.Actor, reason ...string) (Order, error) {
	if finalStatus == "" {
		finalStatus = StatusRefunded
	}
	for attempt := 0; ; attempt++ {
		o, err := s.orders.byID(ctx, orderID)
		if err != nil {
			return Order{}, err
		}
		now := s.now()
		items := slices.Clone(o.Items)
		var newly []int
		var amount int64
		for _, i := range idx {
			if i < 0 || i >= len(items) || items[i].Refunded() {
				continue
			}
			items[i].RefundedAt, items[i].RefundID = now, refundID
			newly = append(newly, i)
			amount += items[i].Total
		}
		if len(newly) > 0 {
			// Refunded at Stripe without item details counts towards these items, not on top.
			set := bson.M{"items": items, "amountRefunded": o.AmountRefunded + max(amount-o.unallocatedRefund(), 0)}
			if !slices.ContainsFunc(items, func(it Item) bool { return !it.Refunded() }) {
				set["status"], set["refundedAt"] = finalStatus, now
				if finalStatus == StatusCancelled {
					set["cancelledAt"] = now
					set["cancelReason"] = strings.Join(reason, "")
				}
			}
			ok, err := s.orders.update(ctx, o.ID, o.Rev, set)
			if err != nil {
				return Order{}, err
			}
			if !ok {
				if attempt >= 20 {
					return Order{}, fault.New(fault.Conflict, "edit_conflict", "the order is changing right now: try again")
				}
				continue // another change won; look again
			}
			if restock {
				var back []Item
				for _, i := range newly {
					back = append(back, items[i])
				}
				s.restock(ctx, back)
			}
			detail := fmt.Sprintf("items %v, %d %s, refund %s", newly, amount, o.Currency, refundID)
			if len(reason) > 0 && reason[0] != "" {
				detail += "; " + reason[0]
			}
			s.record(ctx, actor, "order.refund", "order", o.ID, firstOr(o.ProgramIDs), detail)
		}
		// Reverse every listed item's earning, not only the newly refunded: a repeat after a
		// crash finishes what the first call started (each step is idempotent).
		for _, i := range idx {
			if i < 0 || i >= len(items) || !items[i].Refunded() {
				continue
			}
			if err := s.reverseEarning(ctx, o.ID, i, actor); err != nil {
				return Order{}, err
			}
		}
		s.kick()
		return s.orders.byID(ctx, o.ID)
	}
}
