package payments

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/fairhands/marketplace/store"
)

const eventsColl = "stripe_events"

// eventLease is how long one instance owns an event it is processing; a claim older than this
// belongs to a crashed instance and the next delivery takes it over.
const eventLease = 2 * time.Minute

// Event claim states.
const (
	eventProcessing = "processing"
	eventDone       = "done"
)

// eventStore records the Stripe events already processed, with the event id as _id: inserting
// the id is the claim, so each event is processed once however many times and to however many
// instances Stripe delivers it.
type eventStore struct{ db *store.DB }

type eventClaim struct {
	ID          string    `bson:"_id"`
	Type        string    `bson:"type"`
	Status      string    `bson:"status"`
	LeaseUntil  time.Time `bson:"leaseUntil"`
	ReceivedAt  time.Time `bson:"receivedAt"`
	ProcessedAt time.Time `bson:"processedAt,omitempty"`
}

func newEventStore(ctx context.Context, db *store.DB) (*eventStore, error) {
	err := db.EnsureIndexes(ctx, eventsColl,
		mongo.IndexModel{Keys: bson.D{{Key: "status", Value: 1}, {Key: "processedAt", Value: 1}}})
	if err != nil {
		return nil, err
	}
	return &eventStore{db: db}, nil
}

// claim takes event id for processing. It returns false when the event was processed already or
// another instance is processing it now (its lease has not run out).
func (s *eventStore) claim(ctx context.Context, id, typ string, now time.Time) (bool, error) {
	_, err := s.db.Write(eventsColl).InsertOne(ctx, eventClaim{ID: id, Type: typ, Status: eventProcessing,
		LeaseUntil: now.Add(eventLease), ReceivedAt: now})
	if err == nil {
		return true, nil
	}
	if !store.IsDuplicate(err) {
		return false, fmt.Errorf("claim event: %w", err)
	}
	// Take over a claim whose instance died mid-way.
	ok, err := s.db.UpdateIf(ctx, eventsColl,
		bson.M{"_id": id, "status": eventProcessing, "leaseUntil": bson.M{"$lt": now}},
		bson.M{"$set": bson.M{"leaseUntil": now.Add(eventLease)}})
	if err != nil {
		return false, fmt.Errorf("claim event: %w", err)
	}
	return ok, nil
}

// done marks the event processed.
func (s *eventStore) done(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.UpdateIf(ctx, eventsColl, bson.M{"_id": id},
		bson.M{"$set": bson.M{"status": eventDone, "processedAt": now}})
	if err != nil {
		return fmt.Errorf("finish event: %w", err)
	}
	return nil
}

// release drops the claim of an event whose processing failed, so Stripe's retry processes it.
func (s *eventStore) release(ctx context.Context, id string) error {
	_, err := s.db.Write(eventsColl).DeleteOne(ctx, bson.M{"_id": id, "status": eventProcessing})
	if err != nil {
		return fmt.Errorf("release event: %w", err)
	}
	return nil
}

// prune forgets events processed before cutoff: Stripe stops retrying after three days.
func (s *eventStore) prune(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.Write(eventsColl).DeleteMany(ctx, bson.M{"status": eventDone, "processedAt": bson.M{"$lt": cutoff}})
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return res.DeletedCount, nil
}
