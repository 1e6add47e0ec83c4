package accounts

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/fairhands/marketplace/store"
)

const sessionsColl = "sessions"

// SessionTTL is how long a login lasts.
const SessionTTL = 30 * 24 * time.Hour

// Session is a signed-in device. Its _id is the hash of the bearer token or cookie value.
type Session struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"userId"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
	IP        string    `bson:"ip,omitempty"`
	UserAgent string    `bson:"userAgent,omitempty"`
}

// SessionStore keeps sessions; every request's lookup is by _id, the embedded store's fast path.
type SessionStore struct{ db *store.DB }

// NewSessionStore returns a SessionStore and creates its indexes.
func NewSessionStore(ctx context.Context, db *store.DB) (*SessionStore, error) {
	err := db.EnsureIndexes(ctx, sessionsColl,
		mongo.IndexModel{Keys: bson.D{{Key: "userId", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "expiresAt", Value: 1}}},
	)
	if err != nil {
		return nil, err
	}
	return &SessionStore{db: db}, nil
}

// Create stores a session.
func (s *SessionStore) Create(ctx context.Context, sess Session) error {
	if _, err := s.db.Write(sessionsColl).InsertOne(ctx, sess); err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// ByTokenHash returns a live session, or ErrUnauthenticated.
func (s *SessionStore) ByTokenHash(ctx context.Context, hash string, now time.Time) (Session, error) {
	var sess Session
	err := s.db.Read(sessionsColl).FindOne(ctx, bson.M{"_id": hash}).Decode(&sess)
	if store.IsNotFound(err) {
		return Session{}, ErrUnauthenticated
	}
	if err != nil {
		return Session{}, fmt.Errorf("load session: %w", err)
	}
	if !now.Before(sess.ExpiresAt) {
		return Session{}, ErrUnauthenticated
	}
	return sess, nil
}

// Delete revokes one session.
func (s *SessionStore) Delete(ctx context.Context, hash string) error {
	if _, err := s.db.Write(sessionsColl).DeleteOne(ctx, bson.M{"_id": hash}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteForUser revokes every session of a user (a lost phone, "log out everywhere").
func (s *SessionStore) DeleteForUser(ctx context.Context, userID string) (int64, error) {
	res, err := s.db.Write(sessionsColl).DeleteMany(ctx, bson.M{"userId": userID})
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	return res.DeletedCount, nil
}

// DeleteExpired removes sessions past their expiry; a background job calls it (no TTL indexes on
// the embedded store).
func (s *SessionStore) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.Write(sessionsColl).DeleteMany(ctx, bson.M{"expiresAt": bson.M{"$lte": now}})
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.DeletedCount, nil
}
