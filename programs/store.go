package programs

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

const (
	programsColl = "programs"
	makersColl   = "makers"
)

// Store keeps programs and makers.
type Store struct{ db *store.DB }

// NewStore returns a Store and creates its indexes.
func NewStore(ctx context.Context, db *store.DB) (*Store, error) {
	if err := db.EnsureIndexes(ctx, makersColl, mongo.IndexModel{Keys: bson.D{{Key: "programId", Value: 1}}}); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
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
