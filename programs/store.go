package programs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/randid"
	"github.com/fairhands/marketplace/store"
)

const (
	programsColl = "programs"
	makersColl   = "makers"
	// publicIDsColl holds every public maker id ever issued (its _id), so none is issued twice:
	// an old link never comes to point at another maker, or at her again after she withdrew.
	publicIDsColl = "maker_public_ids"
)

// Store keeps programs and makers.
type Store struct{ db *store.DB }

// NewStore returns a Store and creates its indexes.
func NewStore(ctx context.Context, db *store.DB) (*Store, error) {
	if err := db.EnsureIndexes(ctx, makersColl, mongo.IndexModel{Keys: bson.D{{Key: "programId", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "publicId", Value: 1}}}); err != nil {
		return nil, err
	}
	s := &Store{db: db}
	// Makers registered before public ids existed were shown under their account id: each gets
	// a public id of her own (the old account-id links answer 404 from now on).
	if err := db.Migrate(ctx, "makers-public-id", func(ctx context.Context) error {
		ms, err := s.Makers(ctx, nil)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.PublicID != "" {
				continue
			}
			pid, err := s.IssuePublicID(ctx, m.ID)
			if err != nil {
				return err
			}
			if err := s.SetMaker(ctx, m.ID, bson.M{"publicId": pid}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// IssuePublicID returns a fresh random public id for a maker, recorded as issued so that it is
// never issued again (an insert under a unique _id; a collision, however unlikely, draws again).
func (s *Store) IssuePublicID(ctx context.Context, makerID string) (string, error) {
	for range 5 {
		id := randid.New()
		_, err := s.db.Write(publicIDsColl).InsertOne(ctx, bson.M{"_id": id, "makerId": makerID, "issuedAt": time.Now().UTC()})
		if err == nil {
			return id, nil
		}
		if !store.IsDuplicate(err) {
			return "", fmt.Errorf("issue public id: %w", err)
		}
	}
	return "", errors.New("issue public id: five collisions in a row")
}

// MakerByPublicID returns the maker whose current public id is id, or ErrMakerNotFound (also for
// a retired public id).
func (s *Store) MakerByPublicID(ctx context.Context, id string) (Maker, error) {
	if id == "" {
		return Maker{}, ErrMakerNotFound
	}
	var m Maker
	err := s.db.Read(makersColl).FindOne(ctx, bson.M{"publicId": id}).Decode(&m)
	if store.IsNotFound(err) {
		return Maker{}, ErrMakerNotFound
	}
	if err != nil {
		return Maker{}, fmt.Errorf("load maker: %w", err)
	}
	return m, nil
}

// InsertProgram stores a new program.
func (s *Store) InsertProgram(ctx context.Context, p Program) error {
	if _, err := s.db.Write(programsColl).InsertOne(ctx, p); err != nil {
		return fmt.Errorf("insert program: %w", err)
	}
	return nil
}

// Program returns a program or ErrNotFound.
func (s *Store) Program(ctx context.Context, id string) (Program, error) {
	var p Program
	err := s.db.Read(programsColl).FindOne(ctx, bson.M{"_id": id}).Decode(&p)
	if store.IsNotFound(err) {
		return Program{}, ErrNotFound
	}
	if err != nil {
		return Program{}, fmt.Errorf("load program: %w", err)
	}
	return p, nil
}

// Programs lists programs, all when ids is nil, by name.
func (s *Store) Programs(ctx context.Context, ids []string) ([]Program, error) {
	filter := bson.M{}
	if ids != nil {
		filter["_id"] = bson.M{"$in": ids}
	}
	cur, err := s.db.Read(programsColl).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list programs: %w", err)
	}
	out := []Program{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list programs: %w", err)
	}
	return out, nil
}

// SetProgram applies a $set to a program.
func (s *Store) SetProgram(ctx context.Context, id string, set bson.M) error {
	res, err := s.db.Write(programsColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("update program: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// InsertMaker stores a new maker.
func (s *Store) InsertMaker(ctx context.Context, m Maker) error {
	if _, err := s.db.Write(makersColl).InsertOne(ctx, m); err != nil {
		return fmt.Errorf("insert maker: %w", err)
	}
	return nil
}

// Maker returns a maker or ErrMakerNotFound.
func (s *Store) Maker(ctx context.Context, id string) (Maker, error) {
	var m Maker
	err := s.db.Read(makersColl).FindOne(ctx, bson.M{"_id": id}).Decode(&m)
	if store.IsNotFound(err) {
		return Maker{}, ErrMakerNotFound
	}
	if err != nil {
		return Maker{}, fmt.Errorf("load maker: %w", err)
	}
	return m, nil
}

// Makers lists makers, of the given programs or all when programIDs is nil.
func (s *Store) Makers(ctx context.Context, programIDs []string) ([]Maker, error) {
	filter := bson.M{}
	if programIDs != nil {
		filter["programId"] = bson.M{"$in": programIDs}
	}
	cur, err := s.db.Read(makersColl).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "displayName", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list makers: %w", err)
	}
	out := []Maker{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list makers: %w", err)
	}
	return out, nil
}

// SetMaker applies a $set to a maker.
func (s *Store) SetMaker(ctx context.Context, id string, set bson.M) error {
	res, err := s.db.Write(makersColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("update maker: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrMakerNotFound
	}
	return nil
}
