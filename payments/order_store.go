package payments

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

const ordersColl = "orders"

// orderStore keeps orders. Every change is a compare-and-set on the status (or on Rev for
// changes within a status), so concurrent webhooks, workers and coordinators never overwrite
// each other.
type orderStore struct{ db *store.DB }

func newOrderStore(ctx context.Context, db *store.DB) (*orderStore, error) {
	err := db.EnsureIndexes(ctx, ordersColl,
		mongo.IndexModel{Keys: bson.D{{Key: "tokenHash", Value: 1}}, Options: options.Index().SetUnique(true)},
		mongo.IndexModel{Keys: bson.D{{Key: "status", Value: 1}, {Key: "expiresAt", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "buyerId", Value: 1}, {Key: "createdAt", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "programIds", Value: 1}, {Key: "createdAt", Value: -1}}},
		// A maker's work to prepare, and the orders whose sent packages wait for their wages.
		mongo.IndexModel{Keys: bson.D{{Key: "makerIds", Value: 1}, {Key: "status", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "releasePending", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "paymentIntentId", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "chargeId", Value: 1}}},
		// What one cart, client or e-mail holds unpaid (payments/holds.go).
		mongo.IndexModel{Keys: bson.D{{Key: "cartId", Value: 1}, {Key: "status", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "clientKey", Value: 1}, {Key: "status", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "email", Value: 1}, {Key: "status", Value: 1}}},
	)
	if err != nil {
		return nil, err
	}
	return &orderStore{db: db}, nil
}

func (s *orderStore) insert(ctx context.Context, o Order) error {
	if _, err := s.db.Write(ordersColl).InsertOne(ctx, o); err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	return nil
}

func (s *orderStore) one(ctx context.Context, filter bson.M) (Order, error) {
	var o Order
	err := s.db.Read(ordersColl).FindOne(ctx, filter).Decode(&o)
	if store.IsNotFound(err) {
		return Order{}, ErrOrderNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("load order: %w", err)
	}
	return o, nil
}

func (s *orderStore) byID(ctx context.Context, id string) (Order, error) {
	return s.one(ctx, bson.M{"_id": id})
}

func (s *orderStore) byTokenHash(ctx context.Context, h string) (Order, error) {
	return s.one(ctx, bson.M{"tokenHash": h})
}

// byPayment finds the order of a Stripe payment by whichever id is known.
func (s *orderStore) byPayment(ctx context.Context, paymentIntentID, chargeID string) (Order, error) {
	var or []bson.M
	if paymentIntentID != "" {
		or = append(or, bson.M{"paymentIntentId": paymentIntentID})
	}
	if chargeID != "" {
		or = append(or, bson.M{"chargeId": chargeID})
	}
	if len(or) == 0 {
		return Order{}, ErrOrderNotFound
	}
	return s.one(ctx, bson.M{"$or": or})
}

// transition applies update (a $set that usually includes a new status, perhaps an $unset) if
// the order is in one of the from statuses, atomically; false means another change won.
func (s *orderStore) transition(ctx context.Context, id string, from []string, update bson.M) (bool, error) {
	update["$inc"] = bson.M{"rev": 1}
	ok, err := s.db.UpdateIf(ctx, ordersColl, bson.M{"_id": id, "status": bson.M{"$in": from}}, update)
	if err != nil {
		return false, fmt.Errorf("update order: %w", err)
	}
	return ok, nil
}

// update applies set if the order is still at revision rev.
func (s *orderStore) update(ctx context.Context, id string, rev int64, set bson.M) (bool, error) {
	ok, err := s.db.UpdateIf(ctx, ordersColl, bson.M{"_id": id, "rev": rev}, bson.M{"$set": set, "$inc": bson.M{"rev": 1}})
	if err != nil {
		return false, fmt.Errorf("update order: %w", err)
	}
	return ok, nil
}

// set changes fields that no other writer changes concurrently in a conflicting way (flags).
func (s *orderStore) set(ctx context.Context, id string, set bson.M) error {
	if _, err := s.db.UpdateIf(ctx, ordersColl, bson.M{"_id": id}, bson.M{"$set": set, "$inc": bson.M{"rev": 1}}); err != nil {
		return fmt.Errorf("update order: %w", err)
	}
	return nil
}

// expired lists unpaid orders whose reservation has run out.
func (s *orderStore) expired(ctx context.Context, now time.Time, limit int64) ([]Order, error) {
	return s.list(ctx, bson.M{"status": StatusPendingPayment, "expiresAt": bson.M{"$lt": now}, "awaitingAsync": bson.M{"$ne": true}},
		options.Find().SetLimit(limit))
}

func (s *orderStore) list(ctx context.Context, filter bson.M, opts ...*options.FindOptions) ([]Order, error) {
	cur, err := s.db.Read(ordersColl).Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	out := []Order{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return out, nil
}
