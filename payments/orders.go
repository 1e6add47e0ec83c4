package payments

import (
	"context"
	"slices"
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
	case actor.IsAdmin():
		return o, nil
	case coordinatesAny(actor, o):
		// Only their own packages: never another workshop's items, prices or buyer details
		// beyond what their package needs.
		return o.scopedFor(actor.Coordinates), nil
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
	if actor.IsAdmin() {
		return os, nil
	}
	if actor.Role == accounts.RoleCoordinator {
		for i, o := range os {
			os[i] = o.scopedFor(actor.Coordinates).Order
		}
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
