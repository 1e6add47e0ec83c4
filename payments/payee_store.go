package payments

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/fairhands/marketplace/store"
)

const payeesColl = "stripe_accounts"

// Payee types: who a connected account belongs to.
const (
	PayeeMaker   = "maker"
	PayeeProgram = "program"
)

// payee is a connected Stripe account and whether it can receive payouts. It is the source of
// truth the transfer worker reads; the maker's or program's PayoutsEnabled mirrors it for
// display. EventAt is the creation time of the newest account.updated event applied, so a late,
// older event never switches payouts back.
type payee struct {
	AccountID      string    `bson:"_id"`
	OwnerType      string    `bson:"ownerType"`
	OwnerID        string    `bson:"ownerId"`
	PayoutsEnabled bool      `bson:"payoutsEnabled"`
	EventAt        int64     `bson:"eventAt"`
	CreatedAt      time.Time `bson:"createdAt"`
	UpdatedAt      time.Time `bson:"updatedAt"`
}

type payeeStore struct{ db *store.DB }

func newPayeeStore(ctx context.Context, db *store.DB) (*payeeStore, error) {
	err := db.EnsureIndexes(ctx, payeesColl,
		mongo.IndexModel{Keys: bson.D{{Key: "ownerType", Value: 1}, {Key: "ownerId", Value: 1}}})
	if err != nil {
		return nil, err
	}
	return &payeeStore{db: db}, nil
}

// ensure records a new connected account (no-op when it is known).
func (s *payeeStore) ensure(ctx context.Context, p payee) error {
	_, err := s.db.Write(payeesColl).InsertOne(ctx, p)
	if err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("record connected account: %w", err)
	}
	return nil
}

func (s *payeeStore) byAccount(ctx context.Context, accountID string) (payee, error) {
	var p payee
	err := s.db.Read(payeesColl).FindOne(ctx, bson.M{"_id": accountID}).Decode(&p)
	if store.IsNotFound(err) {
		return payee{}, errPayeeUnknown
	}
	if err != nil {
		return payee{}, fmt.Errorf("load connected account: %w", err)
	}
	return p, nil
}

// applyEvent sets payouts readiness from an account.updated event created at eventAt, unless a
// newer event was applied already. It reports whether it changed anything.
func (s *payeeStore) applyEvent(ctx context.Context, accountID string, enabled bool, eventAt int64, now time.Time) (bool, error) {
	res, err := s.db.Write(payeesColl).UpdateOne(ctx,
		bson.M{"_id": accountID, "eventAt": bson.M{"$lte": eventAt}},
		bson.M{"$set": bson.M{"payoutsEnabled": enabled, "eventAt": eventAt, "updatedAt": now}})
	if err != nil {
		return false, fmt.Errorf("update connected account: %w", err)
	}
	return res.MatchedCount == 1, nil
}
