package accounts

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/fairhands/marketplace/store"
)

const invitesColl = "invites"

// InviteTTL is how long an invitation link works.
const InviteTTL = 7 * 24 * time.Hour

// Invite lets an invited coordinator or maker set their login and password once.
type Invite struct {
	ID        string    `bson:"_id"` // hash of the token
	UserID    string    `bson:"userId"`
	CreatedBy string    `bson:"createdBy"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
	UsedAt    time.Time `bson:"usedAt,omitempty"`
	// RevokedAt is set when a newer invitation, an acceptance or a coordinator withdrew this
	// one; usedAt is set at the same time, so every check of "still usable" refuses it.
	RevokedAt time.Time `bson:"revokedAt,omitempty"`
}

// InviteStore keeps invitations.
type InviteStore struct{ db *store.DB }

// NewInviteStore returns an InviteStore and creates its indexes.
func NewInviteStore(ctx context.Context, db *store.DB) (*InviteStore, error) {
	if err := db.EnsureIndexes(ctx, invitesColl, mongo.IndexModel{Keys: bson.D{{Key: "userId", Value: 1}}}); err != nil {
		return nil, err
	}
	return &InviteStore{db: db}, nil
}

// Create stores an invitation.
func (s *InviteStore) Create(ctx context.Context, inv Invite) error {
	if _, err := s.db.Write(invitesColl).InsertOne(ctx, inv); err != nil {
		return fmt.Errorf("insert invite: %w", err)
	}
	return nil
}

// Claim marks an unused, unexpired invitation used and returns it; a second claim of the same
// token fails with ErrInviteInvalid (compare-and-set on usedAt).
func (s *InviteStore) Claim(ctx context.Context, hash string, now time.Time) (Invite, error) {
	var inv Invite
	err := s.db.Write(invitesColl).FindOneAndUpdate(ctx,
		bson.M{"_id": hash, "usedAt": bson.M{"$exists": false}, "expiresAt": bson.M{"$gt": now}},
		bson.M{"$set": bson.M{"usedAt": now}},
	).Decode(&inv)
	if store.IsNotFound(err) {
		return Invite{}, ErrInviteInvalid
	}
	if err != nil {
		return Invite{}, fmt.Errorf("claim invite: %w", err)
	}
	return inv, nil
}

// Release undoes a claim whose acceptance failed (e.g. the chosen login was taken), so the
// person can try again with the same link.
func (s *InviteStore) Release(ctx context.Context, hash string) error {
	if _, err := s.db.Write(invitesColl).UpdateOne(ctx, bson.M{"_id": hash}, bson.M{"$unset": bson.M{"usedAt": ""}}); err != nil {
		return fmt.Errorf("release invite: %w", err)
	}
	return nil
}

// ByHash returns an invitation by its token hash, used or not, or ErrInviteInvalid.
func (s *InviteStore) ByHash(ctx context.Context, hash string) (Invite, error) {
	var inv Invite
	err := s.db.Read(invitesColl).FindOne(ctx, bson.M{"_id": hash}).Decode(&inv)
	if store.IsNotFound(err) {
		return Invite{}, ErrInviteInvalid
	}
	if err != nil {
		return Invite{}, fmt.Errorf("load invite: %w", err)
	}
	return inv, nil
}

// RevokeOthers withdraws every unused invitation of a user except keep (empty keeps none) and
// returns how many it withdrew. It marks them used, so Claim and every lookup refuse them.
func (s *InviteStore) RevokeOthers(ctx context.Context, userID, keep string, now time.Time) (int64, error) {
	filter := bson.M{"userId": userID, "usedAt": bson.M{"$exists": false}}
	if keep != "" {
		filter["_id"] = bson.M{"$ne": keep}
	}
	res, err := s.db.Write(invitesColl).UpdateMany(ctx, filter, bson.M{"$set": bson.M{"usedAt": now, "revokedAt": now}})
	if err != nil {
		return 0, fmt.Errorf("revoke invites: %w", err)
	}
	return res.ModifiedCount, nil
}
