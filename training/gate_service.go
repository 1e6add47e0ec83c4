package training

import (
	"context"
	"strconv"
	"strings"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// SetGates replaces a program's selling gates (its coordinators). Each gate names a track of the
// program that a maker must complete before publishing in the category.
func (s *Service) SetGates(ctx context.Context, actor accounts.Actor, programID string, in GatesInput) ([]GateView, error) {
	if _, err := s.program(ctx, actor, programID); err != nil {
		return nil, err
	}
	for i := range in.Gates {
		in.Gates[i].Category = strings.Join(strings.Fields(in.Gates[i].Category), " ")
		in.Gates[i].TrackID = strings.TrimSpace(in.Gates[i].TrackID)
	}
	if err := fault.Check(in); err != nil {
		return nil, err
	}
	ts, err := s.store.Tracks(ctx, programID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range ts {
		names[t.ID] = t.Current().Name
	}
	fields := map[string]string{}
	seen := map[string]bool{}
	gates := []Gate{}
	for i, g := range in.Gates {
		if _, ok := names[g.TrackID]; !ok {
			fields["gates["+strconv.Itoa(i)+"].trackId"] = "is not a track of this program"
			continue
		}
		key := normCategory(g.Category) + "\x00" + g.TrackID
		if !seen[key] {
			seen[key] = true
			gates = append(gates, Gate{Category: g.Category, TrackID: g.TrackID})
		}
	}
	if err := fault.Fields(fields); err != nil {
		return nil, err
	}
	if err := s.store.SetGates(ctx, GateSettings{ProgramID: programID, Gates: gates, UpdatedAt: s.now(), UpdatedBy: actor.UserID}); err != nil {
		return nil, err
	}
	detail := make([]string, 0, len(gates))
	for _, g := range gates {
		detail = append(detail, g.Category+"→"+g.TrackID)
	}
	if err := s.audit.Record(ctx, actor, "training.selling_gates", "program", programID, programID, strings.Join(detail, ", ")); err != nil {
		return nil, err
	}
	return gateViews(gates, names), nil
}

// Gates returns a program's selling gates, to its coordinators and makers (who need to know what
// to finish before selling).
func (s *Service) Gates(ctx context.Context, actor accounts.Actor, programID string) ([]GateView, error) {
	if !actor.Coordinates(programID) && !s.belongsTo(ctx, actor, programID) {
		return nil, programs.ErrNotFound
	}
	if _, err := s.programs.Program(ctx, programID); err != nil {
		return nil, err
	}
	gates, err := s.store.Gates(ctx, programID)
	if err != nil {
		return nil, err
	}
	ts, err := s.store.Tracks(ctx, programID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range ts {
		names[t.ID] = t.Current().Name
	}
	return gateViews(gates, names), nil
}

func gateViews(gates []Gate, names map[string]string) []GateView {
	out := make([]GateView, 0, len(gates))
	for _, g := range gates {
		out = append(out, GateView{Category: g.Category, TrackID: g.TrackID, TrackName: names[g.TrackID]})
	}
	return out
}

// MissingTraining tells the catalog whether a maker may publish in a category: "" when they may,
// else the name of a track the program requires for that category that the maker has not
// completed. Categories compare without regard to case or surrounding spaces.
func (s *Service) MissingTraining(ctx context.Context, programID, makerID, category string) (string, error) {
	gates, err := s.store.Gates(ctx, programID)
	if err != nil {
		return "", err
	}
	want := normCategory(category)
	for _, g := range gates {
		if normCategory(g.Category) != want {
			continue
		}
		done, err := s.store.HasCompleted(ctx, makerID, g.TrackID)
		if err != nil {
			return "", err
		}
		if done {
			continue
		}
		t, err := s.store.Track(ctx, g.TrackID)
		if err != nil {
			return "", err
		}
		return t.Current().Name, nil
	}
	return "", nil
}
