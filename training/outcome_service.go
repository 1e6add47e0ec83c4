package training

import (
	"context"
	"strings"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
)

// RecordOutcome records what a maker is doing after (or during) training. Coordinators of the
// maker's program record outcomes with how they were verified; the maker may report their own,
// which counts as claimed.
func (s *Service) RecordOutcome(ctx context.Context, actor accounts.Actor, makerID string, in OutcomeInput) (OutcomeView, error) {
	m, err := s.maker(ctx, actor, makerID)
	if err != nil {
		return OutcomeView{}, err
	}
	in.Status, in.Notes = strings.TrimSpace(in.Status), strings.TrimSpace(in.Notes)
	in.Verification = strings.TrimSpace(in.Verification)
	if err := fault.Check(in); err != nil {
		return OutcomeView{}, err
	}
	now := s.now()
	fields := map[string]string{}
	day := dayField(fields, "date", in.Date, now)
	coordinator := actor.Coordinates(m.ProgramID)
	if in.Verification == "" {
		in.Verification = VerifyClaimed
	}
	if !coordinator && in.Verification != VerifyClaimed {
		fields["verification"] = "only a coordinator can record an outcome as verified"
	}
	if err := fault.Fields(fields); err != nil {
		return OutcomeView{}, err
	}
	if m.Status != "active" {
		return OutcomeView{}, fault.New(fault.Conflict, "maker_retired", "this maker's record was erased")
	}
	p, err := s.programs.Program(ctx, m.ProgramID)
	if err != nil {
		return OutcomeView{}, err
	}
	o := Outcome{ID: accounts.NewID(), MakerID: m.ID, ProgramID: m.ProgramID, Date: day, Status: in.Status,
		MonthlyIncome: in.MonthlyIncome, Currency: p.Currency, NotesSealed: s.box.Seal(in.Notes),
		Verification: in.Verification, RecordedBy: actor.UserID, RecordedAt: now}
	if err := s.store.InsertOutcome(ctx, o); err != nil {
		return OutcomeView{}, err
	}
	if err := s.record(ctx, actor, "training.outcome", m.ID, m.ProgramID, "outcome "+o.ID+": "+o.Status+" ("+o.Verification+")"); err != nil {
		return OutcomeView{}, err
	}
	return o.view(in.Notes), nil
}

// Outcomes lists a maker's outcomes with their notes, for the maker and their coordinators; the
// read is audited.
func (s *Service) Outcomes(ctx context.Context, actor accounts.Actor, makerID string) ([]OutcomeView, error) {
	m, err := s.maker(ctx, actor, makerID)
	if err != nil {
		return nil, err
	}
	os, err := s.store.Outcomes(ctx, "", m.ID)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, actor, "training.read_notes", m.ID, m.ProgramID, "outcomes"); err != nil {
		return nil, err
	}
	out := make([]OutcomeView, 0, len(os))
	for _, o := range os {
		notes, err := s.open(o.NotesSealed)
		if err != nil {
			return nil, err
		}
		out = append(out, o.view(notes))
	}
	return out, nil
}
