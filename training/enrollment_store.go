package training

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

// InsertEnrollment stores a new enrolment; ErrAlreadyEnrolled if the maker already has an active
// enrolment in the track (the unique activeKey).
func (s *Store) InsertEnrollment(ctx context.Context, e Enrollment) error {
	_, err := s.db.Write(enrollmentsColl).InsertOne(ctx, e)
	if store.IsDuplicate(err) {
		return ErrAlreadyEnrolled
	}
	if err != nil {
		return wrap("insert enrolment", err)
	}
	return nil
}

// Enrollment returns an enrolment or ErrEnrollmentNotFound.
func (s *Store) Enrollment(ctx context.Context, id string) (Enrollment, error) {
	var e Enrollment
	err := s.db.Read(enrollmentsColl).FindOne(ctx, bson.M{"_id": id}).Decode(&e)
	if store.IsNotFound(err) {
		return Enrollment{}, ErrEnrollmentNotFound
	}
	if err != nil {
		return Enrollment{}, wrap("load enrolment", err)
	}
	return e, nil
}

// ReplaceEnrollment writes e over the stored enrolment if it is still at revision prevRev
// (compare-and-set); errStale if it changed, ErrAlreadyEnrolled if e would be a second active
// enrolment of the maker in the track.
func (s *Store) ReplaceEnrollment(ctx context.Context, e Enrollment, prevRev int64) error {
	res, err := s.db.Write(enrollmentsColl).ReplaceOne(ctx, bson.M{"_id": e.ID, "rev": prevRev}, e)
	if store.IsDuplicate(err) {
		return ErrAlreadyEnrolled
	}
	if err != nil {
		return wrap("update enrolment", err)
	}
	if res.MatchedCount == 0 {
		return errStale
	}
	return nil
}

// EnrollmentsQuery selects enrolments; empty fields match everything.
type EnrollmentsQuery struct {
	ProgramID string
	TrackID   string
	MakerID   string
	Status    string
}

// Enrollments lists enrolments, oldest first.
func (s *Store) Enrollments(ctx context.Context, q EnrollmentsQuery) ([]Enrollment, error) {
	f := bson.M{}
	for k, v := range map[string]string{"programId": q.ProgramID, "trackId": q.TrackID, "makerId": q.MakerID, "status": q.Status} {
		if v != "" {
			f[k] = v
		}
	}
	return findAll[Enrollment](ctx, s.db.Read(enrollmentsColl), f, "enrolments", byDate("enrolledOn"))
}

// HasCompleted reports whether the maker has completed any version of the track.
func (s *Store) HasCompleted(ctx context.Context, makerID, trackID string) (bool, error) {
	n, err := s.db.Read(enrollmentsColl).CountDocuments(ctx,
		bson.M{"makerId": makerID, "trackId": trackID, "status": StatusCompleted}, options.Count().SetLimit(1))
	if err != nil {
		return false, wrap("check completion", err)
	}
	return n > 0, nil
}

// ByCertificate returns the completed enrolment holding the certificate code.
func (s *Store) ByCertificate(ctx context.Context, code string) (Enrollment, error) {
	var e Enrollment
	err := s.db.Read(enrollmentsColl).FindOne(ctx, bson.M{"certificate.code": code, "status": StatusCompleted}).Decode(&e)
	if store.IsNotFound(err) {
		return Enrollment{}, ErrCertificateNotFound
	}
	if err != nil {
		return Enrollment{}, wrap("load certificate", err)
	}
	return e, nil
}

// CompletionsByProgram counts completed enrolments per program.
func (s *Store) CompletionsByProgram(ctx context.Context) (map[string]int, error) {
	cur, err := s.db.Read(enrollmentsColl).Aggregate(ctx, bson.A{
		bson.M{"$match": bson.M{"status": StatusCompleted}},
		bson.M{"$group": bson.M{"_id": "$programId", "n": bson.M{"$sum": 1}}},
	})
	if err != nil {
		return nil, wrap("count completions", err)
	}
	var rows []struct {
		ID string `bson:"_id"`
		N  int    `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, wrap("count completions", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.ID] = r.N
	}
	return out, nil
}
