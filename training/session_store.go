package training

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
)

// InsertSession stores a class and who attended it.
func (s *Store) InsertSession(ctx context.Context, sess Session) error {
	if _, err := s.db.Write(sessionsColl).InsertOne(ctx, sess); err != nil {
		return wrap("insert session", err)
	}
	return nil
}

// Sessions lists the sessions of a track, or of a whole program when trackID is empty, by date.
func (s *Store) Sessions(ctx context.Context, programID, trackID string) ([]Session, error) {
	f := bson.M{}
	if programID != "" {
		f["programId"] = programID
	}
	if trackID != "" {
		f["trackId"] = trackID
	}
	return findAll[Session](ctx, s.db.Read(sessionsColl), f, "sessions", byDate("date"))
}
