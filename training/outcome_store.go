package training

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
)

// InsertOutcome stores an outcome.
func (s *Store) InsertOutcome(ctx context.Context, o Outcome) error {
	if _, err := s.db.Write(outcomesColl).InsertOne(ctx, o); err != nil {
		return wrap("insert outcome", err)
	}
	return nil
}

// Outcomes lists outcomes by date, of one maker or (makerID empty) of a whole program.
func (s *Store) Outcomes(ctx context.Context, programID, makerID string) ([]Outcome, error) {
	f := bson.M{}
	if programID != "" {
		f["programId"] = programID
	}
	if makerID != "" {
		f["makerId"] = makerID
	}
	return findAll[Outcome](ctx, s.db.Read(outcomesColl), f, "outcomes", byDate("date"))
}

// EraseOutcomeNotes removes the notes of a maker's outcomes (erasure); the dated statuses stay
// for the program's anonymous counts.
func (s *Store) EraseOutcomeNotes(ctx context.Context, makerID string) error {
	_, err := s.db.Write(outcomesColl).UpdateMany(ctx, bson.M{"makerId": makerID}, bson.M{"$unset": bson.M{"notes": ""}})
	if err != nil {
		return wrap("erase outcome notes", err)
	}
	return nil
}
