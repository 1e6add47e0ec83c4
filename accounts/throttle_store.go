package accounts

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

const throttleColl = "login_throttle"

// ThrottleStore counts sign-in attempts per key (a login and a client address, a client address,
// a login) in fixed windows. Each window is its own document, so a count is one atomic $inc
// (an upsert): guesses sent in parallel each count. Old windows are removed by DeleteExpired.
type ThrottleStore struct{ db *store.DB }

// NewThrottleStore returns a ThrottleStore and creates its indexes.
func NewThrottleStore(ctx context.Context, db *store.DB) (*ThrottleStore, error) {
	if err := db.EnsureIndexes(ctx, throttleColl, mongo.IndexModel{Keys: bson.D{{Key: "expiresAt", Value: 1}}}); err != nil {
		return nil, err
	}
	return &ThrottleStore{db: db}, nil
}

type throttleDoc struct {
	ID        string    `bson:"_id"`
	Count     int       `bson:"count"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

func windowID(key string, window time.Duration, now time.Time) (string, time.Time) {
	start := now.Truncate(window)
	return key + "@" + strconv.FormatInt(start.Unix(), 10), start
}

// Hit counts one attempt for key in the window that holds now and returns the count after it.
func (s *ThrottleStore) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	id, start := windowID(key, window, now)
	var d throttleDoc
	err := s.db.Write(throttleColl).FindOneAndUpdate(ctx, bson.M{"_id": id},
		bson.M{"$inc": bson.M{"count": 1}, "$setOnInsert": bson.M{"expiresAt": start.Add(window)}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return 0, fmt.Errorf("count sign-in attempt: %w", err)
	}
	return d.Count, nil
}

// Count returns the attempts counted for key in the window that holds now.
func (s *ThrottleStore) Count(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	id, _ := windowID(key, window, now)
	var d throttleDoc
	err := s.db.Read(throttleColl).FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if store.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read sign-in attempts: %w", err)
	}
	return d.Count, nil
}

// Clear forgets the attempts counted for key in the window that holds now.
func (s *ThrottleStore) Clear(ctx context.Context, key string, window time.Duration, now time.Time) error {
	id, _ := windowID(key, window, now)
	if _, err := s.db.Write(throttleColl).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("clear sign-in attempts: %w", err)
	}
	return nil
}

// DeleteExpired removes windows that ended before now.
func (s *ThrottleStore) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.Write(throttleColl).DeleteMany(ctx, bson.M{"expiresAt": bson.M{"$lte": now}})
	if err != nil {
		return 0, fmt.Errorf("delete old sign-in attempts: %w", err)
	}
	return res.DeletedCount, nil
}
