package payments

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store"
)

const disbursementsColl = "disbursements"

// Disbursement is a coordinator's record of handing a maker their wage (the program as paying
// agent received the transfer, or took the cash at a fair), so every wage stays traceable from
// the sale to the maker's hand.
type Disbursement struct {
	ID         string    `bson:"_id" json:"id"`
	ProgramID  string    `bson:"programId" json:"programId"`
	MakerID    string    `bson:"makerId" json:"makerId"`
	Amount     int64     `bson:"amount" json:"amount"`
	Currency   string    `bson:"currency" json:"currency"`
	Method     string    `bson:"method" json:"method"`
	Date       string    `bson:"date" json:"date"` // YYYY-MM-DD, the day the maker received it
	Reference  string    `bson:"reference,omitempty" json:"reference,omitempty"`
	RecordedBy string    `bson:"recordedBy" json:"recordedBy"`
	CreatedAt  time.Time `bson:"createdAt" json:"createdAt"`
}

// DisbursementInput records a disbursement. Currency defaults to the program's.
type DisbursementInput struct {
	MakerID   string `json:"makerId" validate:"required,max=64"`
	Amount    int64  `json:"amount" validate:"gt=0,lte=100000000"`
	Currency  string `json:"currency" validate:"omitempty,iso4217"`
	Method    string `json:"method" validate:"required,oneof=bank upi cash"`
	Date      string `json:"date" validate:"required,datetime=2006-01-02"`
	Reference string `json:"reference" validate:"max=100"`
}

type disbursementStore struct{ db *store.DB }

func newDisbursementStore(ctx context.Context, db *store.DB) (*disbursementStore, error) {
	err := db.EnsureIndexes(ctx, disbursementsColl,
		mongo.IndexModel{Keys: bson.D{{Key: "programId", Value: 1}, {Key: "date", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "makerId", Value: 1}, {Key: "date", Value: -1}}})
	if err != nil {
		return nil, err
	}
	return &disbursementStore{db: db}, nil
}

func (s *disbursementStore) insert(ctx context.Context, d Disbursement) error {
	if _, err := s.db.Write(disbursementsColl).InsertOne(ctx, d); err != nil {
		return fmt.Errorf("insert disbursement: %w", err)
	}
	return nil
}

func (s *disbursementStore) list(ctx context.Context, filter bson.M) ([]Disbursement, error) {
	cur, err := s.db.Read(disbursementsColl).Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "date", Value: -1}, {Key: "createdAt", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("list disbursements: %w", err)
	}
	out := []Disbursement{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list disbursements: %w", err)
	}
	return out, nil
}

// RecordDisbursement records a wage handed to a maker of the program (its coordinators or an
// admin), audited as done for the maker.
func (s *Service) RecordDisbursement(ctx context.Context, actor accounts.Actor, programID string, in DisbursementInput) (Disbursement, error) {
	if !actor.Coordinates(programID) {
		return Disbursement{}, programs.ErrNotFound
	}
	in.MakerID, in.Reference = strings.TrimSpace(in.MakerID), strings.TrimSpace(in.Reference)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if err := fault.Check(in); err != nil {
		return Disbursement{}, err
	}
	prog, err := s.dir.Program(ctx, programID)
	if err != nil {
		return Disbursement{}, err
	}
	m, err := s.dir.Maker(ctx, in.MakerID)
	if err != nil || m.ProgramID != programID {
		return Disbursement{}, fault.Fields(map[string]string{"makerId": "is not a maker of this program"})
	}
	if in.Currency == "" {
		in.Currency = prog.Currency
	}
	day, _ := time.Parse(time.DateOnly, in.Date)
	if day.After(s.now().Add(24 * time.Hour)) {
		return Disbursement{}, fault.Fields(map[string]string{"date": "cannot be in the future"})
	}
	d := Disbursement{ID: accounts.NewID(), ProgramID: programID, MakerID: m.ID, Amount: in.Amount,
		Currency: in.Currency, Method: in.Method, Date: in.Date, Reference: in.Reference,
		RecordedBy: actor.UserID, CreatedAt: s.now()}
	if err := s.disburse.insert(ctx, d); err != nil {
		return Disbursement{}, err
	}
	if err := s.audit.Record(ctx, actor, "disbursement.record", "maker", m.ID, programID,
		fmt.Sprintf("%d %s by %s on %s (%s)", d.Amount, d.Currency, d.Method, d.Date, d.ID)); err != nil {
		return Disbursement{}, err
	}
	return d, nil
}

// Disbursements lists a program's disbursements, of one maker when makerID is set.
func (s *Service) Disbursements(ctx context.Context, actor accounts.Actor, programID, makerID string) ([]Disbursement, error) {
	if !actor.Coordinates(programID) {
		return nil, programs.ErrNotFound
	}
	filter := bson.M{"programId": programID}
	if makerID != "" {
		filter["makerId"] = makerID
	}
	return s.disburse.list(ctx, filter)
}
