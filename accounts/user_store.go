package accounts

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

const usersColl = "users"

// UserStore keeps users. Lookups by login use a unique index on MongoDB; on the embedded store
// they scan, which is fine at pilot size.
type UserStore struct{ db *store.DB }

// NewUserStore returns a UserStore and creates its indexes.
func NewUserStore(ctx context.Context, db *store.DB) (*UserStore, error) {
	err := db.EnsureIndexes(ctx, usersColl,
		mongo.IndexModel{Keys: bson.D{{Key: "login", Value: 1}}, Options: options.Index().SetUnique(true).SetName("login_unique")},
		mongo.IndexModel{Keys: bson.D{{Key: "role", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "makerId", Value: 1}}},
	)
	if err != nil {
		return nil, err
	}
	return &UserStore{db: db}, nil
}

// NewID returns a new random identifier for any record.
func NewID() string { return primitive.NewObjectID().Hex() }

// Create inserts u, filling ID and CreatedAt when empty. ErrLoginTaken if the login is in use.
func (s *UserStore) Create(ctx context.Context, u *User) error {
	if u.ID == "" {
		u.ID = NewID()
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	if u.Login == "" {
		u.Login = pendingLoginPrefix + u.ID
	}
	if _, err := s.db.Write(usersColl).InsertOne(ctx, u); err != nil {
		if store.IsDuplicate(err) {
			return ErrLoginTaken
		}
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

// ByID returns a user, or ErrNotFound.
func (s *UserStore) ByID(ctx context.Context, id string) (User, error) {
	return s.one(ctx, bson.M{"_id": id})
}

// ByLogin returns the user with that (normalised) login, or ErrNotFound.
func (s *UserStore) ByLogin(ctx context.Context, login string) (User, error) {
	return s.one(ctx, bson.M{"login": NormalizeLogin(login)})
}

func (s *UserStore) one(ctx context.Context, filter bson.M) (User, error) {
	var u User
	err := s.db.Read(usersColl).FindOne(ctx, filter).Decode(&u)
	if store.IsNotFound(err) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

// CountByRole counts users of a role.
func (s *UserStore) CountByRole(ctx context.Context, r Role) (int64, error) {
	n, err := s.db.Read(usersColl).CountDocuments(ctx, bson.M{"role": r})
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// Activate sets the login and password of an invited user. ErrLoginTaken if the login is in use.
func (s *UserStore) Activate(ctx context.Context, id, login, passwordHash string) error {
	res, err := s.db.Write(usersColl).UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"login": login, "passwordHash": passwordHash, "status": StatusActive}})
	if store.IsDuplicate(err) {
		return ErrLoginTaken
	}
	if err != nil {
		return fmt.Errorf("activate user: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// AddProgram gives a coordinator the scope of one more program.
func (s *UserStore) AddProgram(ctx context.Context, id, programID string) error {
	res, err := s.db.Write(usersColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$addToSet": bson.M{"programIds": programID}})
	if err != nil {
		return fmt.Errorf("add program to user: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkLoginAttack records when many wrong passwords were last tried on an account, for the
// notice staff see on the maker's page.
func (s *UserStore) MarkLoginAttack(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.Write(usersColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"loginAttackAt": at}})
	if err != nil {
		return fmt.Errorf("mark login attack: %w", err)
	}
	return nil
}

// SetLang stores a user's language choice.
func (s *UserStore) SetLang(ctx context.Context, id, lang string) error {
	_, err := s.db.Write(usersColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"lang": lang}})
	if err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	return nil
}

// Retire closes an account for good: the login is freed, the password and email removed.
func (s *UserStore) Retire(ctx context.Context, id string) error {
	res, err := s.db.Write(usersColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{
		"$set":   bson.M{"status": StatusRetired, "login": "retired:" + id},
		"$unset": bson.M{"passwordHash": "", "email": "", "name": "", "twoFactor": ""},
	})
	if err != nil {
		return fmt.Errorf("retire user: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// Coordinators lists the active coordinators of a program (for notices about its work).
func (s *UserStore) Coordinators(ctx context.Context, programID string) ([]User, error) {
	return s.coordinators(ctx, bson.M{"role": RoleCoordinator, "status": StatusActive, "programIds": programID})
}

// ProgramCoordinators lists every coordinator of a program, invited or active, for the admin.
func (s *UserStore) ProgramCoordinators(ctx context.Context, programID string) ([]User, error) {
	return s.coordinators(ctx, bson.M{"role": RoleCoordinator, "programIds": programID})
}

func (s *UserStore) coordinators(ctx context.Context, filter bson.M) ([]User, error) {
	cur, err := s.db.Read(usersColl).Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list coordinators: %w", err)
	}
	out := []User{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list coordinators: %w", err)
	}
	return out, nil
}
