// Package audit keeps an append-only trail of who read a survivor's private record and who
// changed money, consent, roles or training records: who, role, what, which record, when, from
// where. Survivors and their coordinators can see who looked at their data.
package audit

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/store"
)

const coll = "audit"

// Entry is one audited action.
type Entry struct {
	ID         string    `bson:"_id" json:"id"`
	At         time.Time `bson:"at" json:"at"`
	ActorID    string    `bson:"actorId" json:"actorId"`
	ActorRole  string    `bson:"actorRole" json:"actorRole"`
	Action     string    `bson:"action" json:"action"`
	RecordType string    `bson:"recordType" json:"recordType"`
	RecordID   string    `bson:"recordId" json:"recordId"`
	ProgramID  string    `bson:"programId,omitempty" json:"programId,omitempty"`
	ForMakerID string    `bson:"forMakerId,omitempty" json:"forMakerId,omitempty"` // a coordinator acting for a maker
	IP         string    `bson:"ip,omitempty" json:"ip,omitempty"`
	Detail     string    `bson:"detail,omitempty" json:"detail,omitempty"`
}

// Log writes and reads the trail. There is no update or delete.
type Log struct{ db *store.DB }

// NewLog returns a Log and creates its indexes.
func NewLog(ctx context.Context, db *store.DB) (*Log, error) {
	err := db.EnsureIndexes(ctx, coll,
		mongo.IndexModel{Keys: bson.D{{Key: "programId", Value: 1}, {Key: "at", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "recordId", Value: 1}, {Key: "at", Value: -1}}},
	)
	if err != nil {
		return nil, err
	}
	return &Log{db: db}, nil
}

// Record appends an entry for actor. An insert is cheap on every store, so this is safe on a
// request path; an audit failure fails the request, because an unaudited read must not happen.
func (l *Log) Record(ctx context.Context, actor accounts.Actor, action, recordType, recordID, programID, detail string) error {
	e := Entry{
		ID: primitive.NewObjectID().Hex(), At: time.Now().UTC(),
		ActorID: actor.UserID, ActorRole: string(actor.Role), IP: actor.IP,
		Action: action, RecordType: recordType, RecordID: recordID, ProgramID: programID, Detail: detail,
	}
	if actor.Role == accounts.RoleCoordinator && recordType == "maker" {
		e.ForMakerID = recordID
	}
	if actor.Anonymous() {
		e.ActorID, e.ActorRole = "anonymous", "anonymous"
	}
	if _, err := l.db.Write(coll).InsertOne(ctx, e); err != nil {
		return fmt.Errorf("write audit entry: %w", err)
	}
	return nil
}

// Query selects entries; empty fields match everything.
type Query struct {
	ProgramIDs []string // nil means every program (admin)
	RecordID   string
	Limit      int64
}

// List returns the newest entries first.
func (l *Log) List(ctx context.Context, q Query) ([]Entry, error) {
	filter := bson.M{}
	if q.ProgramIDs != nil {
		filter["programId"] = bson.M{"$in": q.ProgramIDs}
	}
	if q.RecordID != "" {
		filter["recordId"] = q.RecordID
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 200
	}
	cur, err := l.db.Read(coll).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(q.Limit))
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	out := []Entry{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}

// AsSeenByMaker is a maker's record's trail as their own data export shows it: who (by id and
// role), what and when, but not the network address of staff — that is the staff member's
// personal data, not the maker's. The maker's own actions keep theirs.
func AsSeenByMaker(entries []Entry) []Entry {
	out := make([]Entry, len(entries))
	for i, e := range entries {
		if e.ActorRole != string(accounts.RoleMaker) {
			e.IP = ""
		}
		out[i] = e
	}
	return out
}
