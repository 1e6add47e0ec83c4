package accounts

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

const pendingColl = "signin_pending"

// PendingSignIn is a sign-in whose password was right and which waits for its second factor.
// Its _id is the hash of the token the client holds (never the password).
type PendingSignIn struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"userId"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
	Failures  int       `bson:"failures"`
	IP        string    `bson:"ip,omitempty"`
}

// PendingStore keeps pending sign-ins; every lookup is by _id.
type PendingStore struct{ db *store.DB }

// NewPendingStore returns a PendingStore and creates its indexes.
func NewPendingStore(ctx context.Context, db *store.DB) (*PendingStore, error) {
	if err := db.EnsureIndexes(ctx, pendingColl, mongo.IndexModel{Keys: bson.D{{Key: "expiresAt", Value: 1}}}); err != nil {
		return nil, err
	}
	return &PendingStore{db: db}, nil
}

// Create stores a pending sign-in.
func (s *PendingStore) Create(ctx context.Context, p PendingSignIn) error {
	if _, err := s.db.Write(pendingColl).InsertOne(ctx, p); err != nil {
		return fmt.Errorf("insert pending sign-in: %w", err)
	}
	return nil
}

// ByHash returns a live pending sign-in, or ErrPendingSignInInvalid.
func (s *PendingStore) ByHash(ctx context.Context, hash string, now time.Time) (PendingSignIn, error) {
	var p PendingSignIn
	err := s.db.Read(pendingColl).FindOne(ctx, bson.M{"_id": hash}).Decode(&p)
	if store.IsNotFound(err) {
		return PendingSignIn{}, ErrPendingSignInInvalid
	}
	if err != nil {
		return PendingSignIn{}, fmt.Errorf("load pending sign-in: %w", err)
	}
	if !now.Before(p.ExpiresAt) || p.Failures >= pendingTries {
		return PendingSignIn{}, ErrPendingSignInInvalid
	}
	return p, nil
}

// Fail counts a wrong code; at limit wrong codes the pending sign-in is removed.
func (s *PendingStore) Fail(ctx context.Context, hash string, limit int) error {
	var p PendingSignIn
	err := s.db.Write(pendingColl).FindOneAndUpdate(ctx, bson.M{"_id": hash}, bson.M{"$inc": bson.M{"failures": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&p)
	if store.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("count wrong code: %w", err)
	}
	if p.Failures >= limit {
		return s.Delete(ctx, hash)
	}
	return nil
}

// Claim uses a pending sign-in up: exactly one caller gets nil, every other
// ErrPendingSignInInvalid.
func (s *PendingStore) Claim(ctx context.Context, hash string) error {
	res, err := s.db.Write(pendingColl).DeleteOne(ctx, bson.M{"_id": hash})
	if err != nil {
		return fmt.Errorf("claim pending sign-in: %w", err)
	}
	if res.DeletedCount != 1 {
		return ErrPendingSignInInvalid
	}
	return nil
}

// Delete removes a pending sign-in.
func (s *PendingStore) Delete(ctx context.Context, hash string) error {
	if _, err := s.db.Write(pendingColl).DeleteOne(ctx, bson.M{"_id": hash}); err != nil {
		return fmt.Errorf("delete pending sign-in: %w", err)
	}
	return nil
}

// DeleteExpired removes pending sign-ins that ended before now.
func (s *PendingStore) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.Write(pendingColl).DeleteMany(ctx, bson.M{"expiresAt": bson.M{"$lte": now}})
	if err != nil {
		return 0, fmt.Errorf("delete old pending sign-ins: %w", err)
	}
	return res.DeletedCount, nil
}
