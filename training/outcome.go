package training

import "time"

// Outcome is what a maker was doing at a date after (or during) training: employed, running their
// own business, studying further or looking for work, with income where known and how the claim
// was checked. Funders and placement-linked schemes ask for these at 3, 6 and 12 months.
type Outcome struct {
	ID            string    `bson:"_id"`
	MakerID       string    `bson:"makerId"`
	ProgramID     string    `bson:"programId"`
	Date          time.Time `bson:"date"`
	Status        string    `bson:"status"`
	MonthlyIncome *int64    `bson:"monthlyIncome,omitempty"` // minor units of Currency
	Currency      string    `bson:"currency"`
	NotesSealed   string    `bson:"notes,omitempty"`
	Verification  string    `bson:"verification"`
	RecordedBy    string    `bson:"recordedBy"`
	RecordedAt    time.Time `bson:"recordedAt"`
}

// OutcomeInput records an outcome. A maker may report their own (as claimed); only a coordinator
// may record one as verified.
type OutcomeInput struct {
	Date          string `json:"date"`
	Status        string `json:"status" validate:"required,oneof=employed self_employed in_training seeking unknown"`
	MonthlyIncome *int64 `json:"monthlyIncome" validate:"omitempty,gte=0,lte=100000000000"`
	Notes         string `json:"notes" validate:"max=4000"`
	Verification  string `json:"verification" validate:"omitempty,oneof=claimed verified_document verified_visit"`
}

// OutcomeView is an outcome as the maker and their coordinators see it; Notes only where the
// caller asked for them (and the read was audited).
type OutcomeView struct {
	ID            string    `json:"id"`
	MakerID       string    `json:"makerId"`
	Date          Day       `json:"date"`
	Status        string    `json:"status"`
	MonthlyIncome *int64    `json:"monthlyIncome,omitempty"`
	Currency      string    `json:"currency"`
	Verification  string    `json:"verification"`
	Notes         string    `json:"notes,omitempty"`
	RecordedBy    string    `json:"recordedBy"`
	RecordedAt    time.Time `json:"recordedAt"`
}

func (o Outcome) view(notes string) OutcomeView {
	return OutcomeView{ID: o.ID, MakerID: o.MakerID, Date: DayOf(o.Date), Status: o.Status,
		MonthlyIncome: o.MonthlyIncome, Currency: o.Currency, Verification: o.Verification,
		Notes: notes, RecordedBy: o.RecordedBy, RecordedAt: o.RecordedAt}
}
