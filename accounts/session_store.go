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

// SessionTTL is the longest a maker's or buyer's session lasts by default (DefaultSessionPolicy).
const SessionTTL = 30 * 24 * time.Hour

// touchEvery is how stale a session's last-seen time may be before a request writes it again:
// the idle deadline moves at most once a minute, not with a database write per request.
const touchEvery = time.Minute

// SessionPolicy is how long sessions last: staff (coordinators and admins) reach private records,
// so theirs end sooner, and phones are often shared.
type SessionPolicy struct {
	StaffIdle, StaffMax   time.Duration // coordinators and admins
	MemberIdle, MemberMax time.Duration // makers and buyers
}

// DefaultSessionPolicy: staff sessions end after 30 minutes idle or 12 hours in all; makers' and
// buyers' after 7 days idle or 30 days in all.
func DefaultSessionPolicy() SessionPolicy {
	return SessionPolicy{StaffIdle: 30 * time.Minute, StaffMax: 12 * time.Hour,
		MemberIdle: 7 * 24 * time.Hour, MemberMax: SessionTTL}
}

// Validate refuses durations that are not positive, or an idle limit longer than the whole.
func (p SessionPolicy) Validate() error {
	if p.StaffIdle <= 0 || p.StaffMax <= 0 || p.MemberIdle <= 0 || p.MemberMax <= 0 {
		return fmt.Errorf("session durations must be positive: %+v", p)
	}
	if p.StaffIdle > p.StaffMax || p.MemberIdle > p.MemberMax {
		return fmt.Errorf("a session's idle limit cannot be longer than its whole lifetime: %+v", p)
	}
	return nil
}

// For returns the idle limit and the whole lifetime of a session of role r.
func (p SessionPolicy) For(r Role) (idle, lifetime time.Duration) {
	if r == RoleAdmin || r == RoleCoordinator {
		return p.StaffIdle, p.StaffMax
	}
	return p.MemberIdle, p.MemberMax
}

// Session is a signed-in device. Its _id is the hash of the bearer token or cookie value.
type Session struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"userId"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
	// LastSeenAt is when the session was last used, to within touchEvery; zero (sessions made
	// before idle limits) counts as CreatedAt.
	LastSeenAt time.Time `bson:"lastSeenAt,omitempty"`
	IP         string    `bson:"ip,omitempty"`
	UserAgent  string    `bson:"userAgent,omitempty"`
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

// Touch moves a session's last-seen time forward to now ($max: never backwards).
func (s *SessionStore) Touch(ctx context.Context, hash string, now time.Time) error {
	if _, err := s.db.Write(sessionsColl).UpdateOne(ctx, bson.M{"_id": hash}, bson.M{"$max": bson.M{"lastSeenAt": now}}); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
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

// DeleteExpired removes sessions past their expiry, and those unused since idleBefore; a
// background job calls it (no TTL indexes on the embedded store).
func (s *SessionStore) DeleteExpired(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	res, err := s.db.Write(sessionsColl).DeleteMany(ctx, bson.M{"$or": bson.A{
		bson.M{"expiresAt": bson.M{"$lte": now}},
		bson.M{"lastSeenAt": bson.M{"$lte": idleBefore}},
	}})
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.DeletedCount, nil
}
