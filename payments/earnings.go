package payments

import (
	"context"
	"time"

	"github.com/fairhands/marketplace/store"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// Earnings returns a maker's ledger and balance to the maker or a coordinator of their program
// (audited as a read for the maker); everyone else gets ErrMakerNotFound.
func (s *Service) Earnings(ctx context.Context, actor accounts.Actor, makerID string) (Earnings, error) {
	m, err := s.dir.Maker(ctx, makerID)
	if err != nil {
		return Earnings{}, err
	}
	if !actor.IsMaker(m.ID) && !actor.Coordinates(m.ProgramID) {
		return Earnings{}, programs.ErrMakerNotFound
	}
	out, err := s.earnings(ctx, m)
	if err != nil {
		return Earnings{}, err
	}
	if !actor.IsMaker(m.ID) {
		if err := s.audit.Record(ctx, actor, "earnings.read", "maker", m.ID, m.ProgramID, ""); err != nil {
			return Earnings{}, err
		}
	}
	return out, nil
}

func (s *Service) earnings(ctx context.Context, m programs.Maker) (Earnings, error) {
	entries, err := s.ledger.list(ctx, bson.M{"makerId": m.ID},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return Earnings{}, err
	}
	ds, err := s.disburse.list(ctx, bson.M{"makerId": m.ID})
	if err != nil {
		return Earnings{}, err
	}
	out := Earnings{MakerID: m.ID, Entries: make([]EntryView, 0, len(entries))}
	if prog, err := s.dir.Program(ctx, m.ProgramID); err == nil {
		out.Balance.Currency = prog.Currency
	}
	for _, e := range entries {
		out.Entries = append(out.Entries, e.view())
		if out.Balance.Currency == "" {
			out.Balance.Currency = e.Currency
		}
		if e.Kind != KindEarning || e.Currency != out.Balance.Currency {
			continue
		}
		switch e.Status {
		case EntryPending, EntryTransferring, EntryFrozen:
			out.Balance.Pending += e.Amount
		case EntryAwaitingDispatch:
			out.Balance.Pending += e.Amount
			out.Balance.AwaitingDispatch += e.Amount
		case EntryTransferred, EntryCollected:
			out.Balance.Transferred += e.Amount
		}
	}
	for _, d := range ds {
		if d.Currency == out.Balance.Currency {
			out.Balance.Disbursed += d.Amount
		}
	}
	return out, nil
}

// MakerExport is the payments part of a maker's data export: their ledger and disbursements.
// The caller has checked the maker's consent to the export (their own, or their coordinator's).
func (s *Service) MakerExport(ctx context.Context, makerID string) (any, error) {
	m, err := s.dir.Maker(ctx, makerID)
	if err != nil {
		return nil, err
	}
	e, err := s.earnings(ctx, m)
	if err != nil {
		return nil, err
	}
	ds, err := s.disburse.list(ctx, bson.M{"makerId": makerID})
	if err != nil {
		return nil, err
	}
	return map[string]any{"earnings": e, "disbursements": ds}, nil
}

// PayoutRow is one maker's totals over a date range, for the coordinator's payout report.
type PayoutRow struct {
	MakerID     string `json:"makerId"`
	DisplayName string `json:"displayName"`
	Currency    string `json:"currency"`
	// Sales counts the order items credited in the range.
	Sales int `json:"sales"`
	// Earned is every wage credited in the range, less what was reversed.
	Earned      int64 `json:"earned"`
	Pending     int64 `json:"pending"`
	Transferred int64 `json:"transferred"`
	Reversed    int64 `json:"reversed"`
	Disbursed   int64 `json:"disbursed"`
	// ToMaker is the part of Transferred that reached the maker's own Stripe account.
	ToMaker int64 `json:"toMaker"`
	// ToProgram is the rest of Transferred: wages transferred to the program's account as
	// paying agent, or collected by the program in person at an offline sale. The program owes
	// it to the maker, less what it disbursed.
	ToProgram int64 `json:"toProgram"`
}

// PayoutReport is a program's payouts over [From, To).
type PayoutReport struct {
	ProgramID string      `json:"programId"`
	Currency  string      `json:"currency"`
	From      time.Time   `json:"from,omitzero"`
	To        time.Time   `json:"to,omitzero"`
	Makers    []PayoutRow `json:"makers"`
	Totals    PayoutRow   `json:"totals"`
	// Program is the program's own account over the range: shipping charged to buyers, and
	// refunds of goods already sent, which the program bears (never the maker's wage).
	Program ProgramAccount `json:"program"`
}

// ProgramAccount is the program's own lines of the ledger over a range.
type ProgramAccount struct {
	Shipping int64 `json:"shipping"`
	// Refunds is negative: what refunds of sent goods cost the program.
	Refunds int64 `json:"refunds"`
	// RefundCount is how many refunded lines (items or shipping) it bore.
	RefundCount int `json:"refundCount"`
}

// Payouts totals each maker's wages of a program over [from, to) (zero times leave the range
// open): earnings by the day they were credited, disbursements by the day they were made.
// Coordinators of the program and admins only; audited, as it is an export of money records.
func (s *Service) Payouts(ctx context.Context, actor accounts.Actor, programID string, from, to time.Time) (PayoutReport, error) {
	if !actor.Coordinates(programID) {
		return PayoutReport{}, programs.ErrNotFound
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return PayoutReport{}, fault.Fields(map[string]string{"to": "must be after from"})
	}
	prog, err := s.dir.Program(ctx, programID)
	if err != nil {
		return PayoutReport{}, err
	}
	makers, err := s.dir.Makers(ctx, []string{programID})
	if err != nil {
		return PayoutReport{}, err
	}
	ef, df := bson.M{"programId": programID, "kind": KindEarning}, bson.M{"programId": programID}
	created, day := bson.M{}, bson.M{}
	if !from.IsZero() {
		created["$gte"], day["$gte"] = from, from.Format(time.DateOnly)
	}
	if !to.IsZero() {
		created["$lt"], day["$lt"] = to, to.Format(time.DateOnly)
	}
	if len(created) > 0 {
		ef["createdAt"], df["date"] = created, day
	}
	entries, err := s.ledger.list(ctx, ef)
	if err != nil {
		return PayoutReport{}, err
	}
	ds, err := s.disburse.list(ctx, df)
	if err != nil {
		return PayoutReport{}, err
	}
	rep := PayoutReport{ProgramID: programID, Currency: prog.Currency, From: from, To: to, Makers: []PayoutRow{}}
	rows := map[string]*PayoutRow{}
	row := func(makerID string) *PayoutRow {
		r, ok := rows[makerID]
		if !ok {
			r = &PayoutRow{MakerID: makerID, DisplayName: programs.RetiredName, Currency: prog.Currency}
			rows[makerID] = r
		}
		return r
	}
	for _, m := range makers {
		row(m.ID).DisplayName = m.DisplayName
	}
	for _, e := range entries {
		if e.Currency != prog.Currency {
			continue
		}
		r := row(e.MakerID)
		r.Sales++
		switch e.Status {
		case EntryPending, EntryTransferring, EntryFrozen, EntryAwaitingDispatch:
			r.Pending += e.Amount
			r.Earned += e.Amount
		case EntryTransferred, EntryCollected:
			r.Transferred += e.Amount
			r.Earned += e.Amount
			if e.Status == EntryTransferred && e.PayeeType == PayeeMaker && e.Settlement != SettleOffline {
				r.ToMaker += e.Amount
			} else {
				r.ToProgram += e.Amount
			}
		case EntryReversed:
			r.Reversed += e.Amount
		}
	}
	for _, d := range ds {
		if d.Currency == prog.Currency {
			row(d.MakerID).Disbursed += d.Amount
		}
	}
	for _, m := range makers {
		rep.Makers = append(rep.Makers, *rows[m.ID])
		delete(rows, m.ID)
	}
	for _, r := range rows { // makers no longer listed (moved or erased) keep their money records
		rep.Makers = append(rep.Makers, *r)
	}
	rep.Totals = PayoutRow{DisplayName: "Total", Currency: prog.Currency}
	for _, r := range rep.Makers {
		rep.Totals.Sales += r.Sales
		rep.Totals.Earned += r.Earned
		rep.Totals.Pending += r.Pending
		rep.Totals.Transferred += r.Transferred
		rep.Totals.Reversed += r.Reversed
		rep.Totals.Disbursed += r.Disbursed
		rep.Totals.ToMaker += r.ToMaker
		rep.Totals.ToProgram += r.ToProgram
	}
	pf := bson.M{"programId": programID, "kind": bson.M{"$in": []string{KindShipping, KindProgramRefund}}}
	if len(created) > 0 {
		pf["createdAt"] = created
	}
	own, err := s.ledger.list(ctx, pf)
	if err != nil {
		return PayoutReport{}, err
	}
	for _, e := range own {
		if e.Currency != prog.Currency {
			continue
		}
		if e.Kind == KindShipping {
			rep.Program.Shipping += e.Amount
		} else {
			rep.Program.Refunds += e.Amount
			rep.Program.RefundCount++
		}
	}
	if err := s.audit.Record(ctx, actor, "payouts.export", "program", programID, programID, ""); err != nil {
		return PayoutReport{}, err
	}
	return rep, nil
}

// credited matches earnings that count as wages credited to makers: all but reversed ones.
var credited = bson.M{"kind": KindEarning, "status": bson.M{"$ne": EntryReversed}}

// WagesPaidByProgram sums the wages credited to makers, per program and currency (minor
// units), reversed earnings excluded: the impact page's figures.
func (s *Service) WagesPaidByProgram(ctx context.Context) (map[string]map[string]int64, error) {
	rows, err := s.ledger.sums(ctx, credited, "programId", "currency")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]int64{}
	for _, r := range rows {
		p := r.Key["programId"]
		if out[p] == nil {
			out[p] = map[string]int64{}
		}
		out[p][r.Key["currency"]] += r.Total
	}
	return out, nil
}

// MakersEarningByProgram counts, per program, the makers with at least one credited wage.
// Publish these only in groups of 11 or more.
func (s *Service) MakersEarningByProgram(ctx context.Context) (map[string]int, error) {
	rows, err := s.ledger.sums(ctx, credited, "programId", "makerId")
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Key["programId"]]++
	}
	return out, nil
}

// EarningsReader reads what makers have earned from the ledger, for the other domains' reports.
// It is built on its own, before the payments service: training's report needs it, the catalog
// needs training, and payments sells from the catalog.
type EarningsReader struct{ ledger *ledgerStore }

// NewEarningsReader opens the ledger for reading earnings.
func NewEarningsReader(ctx context.Context, db *store.DB) (*EarningsReader, error) {
	l, err := newLedgerStore(ctx, db)
	if err != nil {
		return nil, err
	}
	return &EarningsReader{ledger: l}, nil
}

// EarnedByMaker sums the wages credited to each of the given makers (minor units of their
// program's currency), reversed earnings excluded.
func (s *EarningsReader) EarnedByMaker(ctx context.Context, makerIDs []string) (map[string]int64, error) {
	out := make(map[string]int64, len(makerIDs))
	if len(makerIDs) == 0 {
		return out, nil
	}
	match := bson.M{"makerId": bson.M{"$in": makerIDs}}
	for k, v := range credited {
		match[k] = v
	}
	rows, err := s.ledger.sums(ctx, match, "makerId")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Key["makerId"]] += r.Total
	}
	return out, nil
}
