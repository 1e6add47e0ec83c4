package training

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

// Collections and the GridFS bucket the training domain keeps.
const (
	tracksColl      = "training_tracks"
	enrollmentsColl = "training_enrollments"
	sessionsColl    = "training_sessions"
	outcomesColl    = "training_outcomes"
	gatesColl       = "training_gates"
	evidenceColl    = "training_evidence"
	evidenceBucket  = "evidence"
)

// errStale means a compare-and-set update found the document changed since it was read.
var errStale = errors.New("training: document changed since it was read")

// Store keeps tracks, enrolments, sessions, outcomes, selling gates and evidence photos. Every
// change to one record is one single-document write, so it is atomic on the embedded store too.
type Store struct{ db *store.DB }

// NewStore returns a Store and creates its indexes.
func NewStore(ctx context.Context, db *store.DB) (*Store, error) {
	idx := func(keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d}
	}
	for coll, models := range map[string][]mongo.IndexModel{
		tracksColl: {idx("programId")},
		enrollmentsColl: {
			{Keys: bson.D{{Key: "activeKey", Value: 1}}, Options: options.Index().SetUnique(true).SetName("activeKey_unique")},
			idx("programId"), idx("makerId"), idx("trackId"), idx("certificate.code"),
		},
		sessionsColl: {idx("trackId", "date"), idx("programId")},
		outcomesColl: {idx("makerId", "date"), idx("programId")},
		evidenceColl: {idx("enrollmentId"), idx("attached", "uploadedAt")},
	} {
		if err := db.EnsureIndexes(ctx, coll, models...); err != nil {
			return nil, err
		}
	}
	return &Store{db: db}, nil
}

func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, what string, opts ...*options.FindOptions) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, wrap("list "+what, err)
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, wrap("list "+what, err)
	}
	return out, nil
}

func wrap(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }

func byDate(key string) *options.FindOptions {
	return options.Find().SetSort(bson.D{{Key: key, Value: 1}, {Key: "_id", Value: 1}})
}
