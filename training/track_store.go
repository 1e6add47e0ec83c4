package training

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

// InsertTrack stores a new track.
func (s *Store) InsertTrack(ctx context.Context, t Track) error {
	if _, err := s.db.Write(tracksColl).InsertOne(ctx, t); err != nil {
		return wrap("insert track", err)
	}
	return nil
}

// Track returns a track or ErrTrackNotFound.
func (s *Store) Track(ctx context.Context, id string) (Track, error) {
	var t Track
	err := s.db.Read(tracksColl).FindOne(ctx, bson.M{"_id": id}).Decode(&t)
	if store.IsNotFound(err) {
		return Track{}, ErrTrackNotFound
	}
	if err != nil {
		return Track{}, wrap("load track", err)
	}
	return t, nil
}

// Tracks lists a program's tracks, oldest first.
func (s *Store) Tracks(ctx context.Context, programID string) ([]Track, error) {
	return findAll[Track](ctx, s.db.Read(tracksColl), bson.M{"programId": programID}, "tracks",
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
}

// AddTrackVersion appends version v to a track whose current version is still v.Version-1;
// errStale if someone else edited it first.
func (s *Store) AddTrackVersion(ctx context.Context, id string, v TrackVersion) error {
	res, err := s.db.Write(tracksColl).UpdateOne(ctx, bson.M{"_id": id, "version": v.Version - 1}, bson.M{
		"$push": bson.M{"versions": v},
		"$set":  bson.M{"version": v.Version, "updatedAt": v.CreatedAt},
	})
	if err != nil {
		return wrap("update track", err)
	}
	if res.MatchedCount == 0 {
		return errStale
	}
	return nil
}
