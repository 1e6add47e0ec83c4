package training

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// SaveSession stores a class and who attended it, replacing the class of that id.
func (s *Store) SaveSession(ctx context.Context, sess Session) error {
	if _, err := s.db.Write(sessionsColl).ReplaceOne(ctx, bson.M{"_id": sess.ID}, sess, options.Replace().SetUpsert(true)); err != nil {
		return wrap("save session", err)
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
