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

const ledgerColl = "ledger"

// ledgerStore keeps ledger entries, one document each, keyed by their natural key.
type ledgerStore struct{ db *store.DB }

func newLedgerStore(ctx context.Context, db *store.DB) (*ledgerStore, error) {
	err := db.EnsureIndexes(ctx, ledgerColl,
		mongo.IndexModel{Keys: bson.D{{Key: "makerId", Value: 1}, {Key: "createdAt", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "programId", Value: 1}, {Key: "createdAt", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "kind", Value: 1}, {Key: "status", Value: 1}, {Key: "nextAttemptAt", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "orderId", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "transferId", Value: 1}}},
	)
	if err != nil {
		return nil, err
	}
	return &ledgerStore{db: db}, nil
}

// insert adds e; false (and no error) when an entry with its key exists already.
func (s *ledgerStore) insert(ctx context.Context, e Entry) (bool, error) {
	_, err := s.db.Write(ledgerColl).InsertOne(ctx, e)
	if store.IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert ledger entry: %w", err)
	}
	return true, nil
}

func (s *ledgerStore) byID(ctx context.Context, id string) (Entry, error) {
	var e Entry
	err := s.db.Read(ledgerColl).FindOne(ctx, bson.M{"_id": id}).Decode(&e)
	if store.IsNotFound(err) {
		return Entry{}, errEntryNotFound
	}
	if err != nil {
		return Entry{}, fmt.Errorf("load ledger entry: %w", err)
	}
	return e, nil
}

func (s *ledgerStore) list(ctx context.Context, filter bson.M, opts ...*options.FindOptions) ([]Entry, error) {
	cur, err := s.db.Read(ledgerColl).Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("list ledger entries: %w", err)
	}
	out := []Entry{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list ledger entries: %w", err)
	}
	return out, nil
}

// cas applies set (and inc) to entry id if it is in one of the from statuses and matches extra.
func (s *ledgerStore) cas(ctx context.Context, id string, from []string, extra bson.M, update bson.M) (bool, error) {
	filter := bson.M{"_id": id, "status": bson.M{"$in": from}}
	for k, v := range extra {
		filter[k] = v
	}
	ok, err := s.db.UpdateIf(ctx, ledgerColl, filter, update)
	if err != nil {
		return false, fmt.Errorf("update ledger entry: %w", err)
	}
	return ok, nil
}

// setMany sets fields on every entry matching filter (each document atomically), for freezing
// and unfreezing an order's earnings.
func (s *ledgerStore) setMany(ctx context.Context, filter bson.M, set bson.M) (int64, error) {
	n, err := s.db.UpdateAll(ctx, ledgerColl, filter, bson.M{"$set": set})
	if err != nil {
		return 0, fmt.Errorf("update ledger entries: %w", err)
	}
	return n, nil
}

// postpone moves a pending entry's next look to at.
func (s *ledgerStore) postpone(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.UpdateIf(ctx, ledgerColl, bson.M{"_id": id, "status": EntryPending},
		bson.M{"$set": bson.M{"nextAttemptAt": at}})
	if err != nil {
		return fmt.Errorf("postpone ledger entry: %w", err)
	}
	return nil
}

// bringForward makes a payee's pending earnings due now (its account became ready).
func (s *ledgerStore) bringForward(ctx context.Context, payeeType, payeeID string, now time.Time) error {
	_, err := s.db.UpdateAll(ctx, ledgerColl,
		bson.M{"kind": KindEarning, "status": EntryPending, "payeeType": payeeType, "payeeId": payeeID, "nextAttemptAt": bson.M{"$gt": now}},
		bson.M{"$set": bson.M{"nextAttemptAt": now}})
	if err != nil {
		return fmt.Errorf("bring earnings forward: %w", err)
	}
	return nil
}

// due lists earnings and reversals a worker may claim now: pending ones whose time has come,
// and claimed ones whose worker's lease ran out (it crashed or hung).
func (s *ledgerStore) due(ctx context.Context, kind string, now time.Time, limit int64) ([]Entry, error) {
	pending := bson.M{"kind": kind, "status": EntryPending, "nextAttemptAt": bson.M{"$lte": now}}
	if kind == KindEarning {
		pending["settlement"] = SettleStripe
		pending["availableAt"] = bson.M{"$lte": now}
	}
	busy := EntryTransferring
	if kind == KindReversal {
		busy = EntryReversing
	}
	stale := bson.M{"kind": kind, "status": busy, "leaseUntil": bson.M{"$lt": now}}
	return s.list(ctx, bson.M{"$or": []bson.M{pending, stale}},
		options.Find().SetSort(bson.D{{Key: "nextAttemptAt", Value: 1}}).SetLimit(limit))
}

// sums adds up amounts grouped by the given fields over the entries matching match. One
// accumulator only: FerretDB v1.24 computes just the first accumulator of a $group and answers
// 0 for the others (found in our tests).
func (s *ledgerStore) sums(ctx context.Context, match bson.M, by ...string) ([]groupSum, error) {
	id := bson.M{}
	for _, f := range by {
		id[f] = "$" + f
	}
	pipe := mongo.Pipeline{
		{{Key: "$match", Value: match}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: id}, {Key: "total", Value: bson.M{"$sum": "$amount"}}}}},
	}
	cur, err := s.db.Read(ledgerColl).Aggregate(ctx, pipe)
	if err != nil {
		return nil, fmt.Errorf("sum ledger: %w", err)
	}
	var rows []struct {
		ID    map[string]any `bson:"_id"`
		Total int64          `bson:"total"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("sum ledger: %w", err)
	}
	out := make([]groupSum, 0, len(rows))
	for _, r := range rows {
		g := groupSum{Key: map[string]string{}, Total: r.Total}
		for k, v := range r.ID {
			g.Key[k], _ = v.(string)
		}
		out = append(out, g)
	}
	return out, nil
}

// groupSum is one row of sums.
type groupSum struct {
	Key   map[string]string
	Total int64
}
