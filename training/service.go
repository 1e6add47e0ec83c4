package training

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store"
)

// Earnings reports what makers earned through the marketplace, in minor units of their program's
// currency; the payments domain provides it. It returns errors only for storage failures.
type Earnings interface {
	EarnedByMaker(ctx context.Context, makerIDs []string) (map[string]int64, error)
}

// Service runs training with scope checks: coordinators of a program (and admins) manage its
// training; a maker reads their own record; everyone else gets a not-found error.
type Service struct {
	store    *Store
	programs *programs.Registry
	accounts *accounts.Service
	audit    *audit.Log
	box      *fieldcrypt.Box
	earnings Earnings
	// BaseURL prefixes certificate verification links ("https://example.org" → /verify/CODE).
	BaseURL string
	Now     func() time.Time

	// uploads bounds how many photos are decoded at once: each takes ~1 s of CPU and ~100 MB.
	uploads chan struct{}
}

// Deps is what training is built on; every field is required.
type Deps struct {
	// Programs reads programs and makers (training checks scope itself).
	Programs *programs.Registry
	// Accounts names who signed a milestone off.
	Accounts *accounts.Service
	Audit    *audit.Log
	// Box seals training notes at rest.
	Box *fieldcrypt.Box
	// Earnings puts marketplace income beside outcomes in the report.
	Earnings Earnings
}

// New builds the training service and creates its indexes. A missing dependency is an error.
func New(ctx context.Context, db *store.DB, d Deps) (*Service, error) {
	if d.Programs == nil || d.Accounts == nil || d.Audit == nil || d.Box == nil || d.Earnings == nil {
		return nil, errors.New("training: programs, accounts, audit log, field encryption and earnings are all required")
	}
	st, err := NewStore(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("training store: %w", err)
	}
	return &Service{store: st, programs: d.Programs, accounts: d.Accounts, audit: d.Audit, box: d.Box,
		earnings: d.Earnings, uploads: make(chan struct{}, 2)}, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// program loads a program the actor coordinates; programs.ErrNotFound otherwise.
func (s *Service) program(ctx context.Context, actor accounts.Actor, programID string) (programs.Program, error) {
	if !actor.Coordinates(programID) {
		return programs.Program{}, programs.ErrNotFound
	}
	return s.programs.Program(ctx, programID)
}

// belongsTo reports whether the actor is a maker of programID.
func (s *Service) belongsTo(ctx context.Context, actor accounts.Actor, programID string) bool {
	if actor.Role != accounts.RoleMaker || actor.MakerID == "" {
		return false
	}
	m, err := s.programs.Maker(ctx, actor.MakerID)
	return err == nil && m.ProgramID == programID && m.Status == "active"
}

// maker loads a maker whose record the actor may read: the maker, or a coordinator of their
// program. Anyone else gets programs.ErrMakerNotFound.
func (s *Service) maker(ctx context.Context, actor accounts.Actor, makerID string) (programs.Maker, error) {
	m, err := s.programs.Maker(ctx, makerID)
	if err != nil {
		return programs.Maker{}, err
	}
	if !actor.IsMaker(m.ID) && !actor.Coordinates(m.ProgramID) {
		return programs.Maker{}, programs.ErrMakerNotFound
	}
	return m, nil
}

// enrollment loads an enrolment the actor may read (the maker or their coordinators).
func (s *Service) enrollment(ctx context.Context, actor accounts.Actor, id string) (Enrollment, error) {
	e, err := s.store.Enrollment(ctx, id)
	if err != nil {
		return Enrollment{}, err
	}
	if !actor.IsMaker(e.MakerID) && !actor.Coordinates(e.ProgramID) {
		return Enrollment{}, ErrEnrollmentNotFound
	}
	return e, nil
}

// track loads a track the actor may read: coordinators of its program and its program's makers.
func (s *Service) track(ctx context.Context, actor accounts.Actor, id string) (Track, error) {
	t, err := s.store.Track(ctx, id)
	if err != nil {
		return Track{}, err
	}
	if !actor.Coordinates(t.ProgramID) && !s.belongsTo(ctx, actor, t.ProgramID) {
		return Track{}, ErrTrackNotFound
	}
	return t, nil
}

// userName is a user's name for "signed off by", or "" if it cannot be found.
func (s *Service) userName(ctx context.Context, id string) string {
	u, err := s.accounts.User(ctx, id)
	if err != nil {
		return ""
	}
	return u.Name
}

// record audits an action on a maker's training record. Actions on a person's record use the
// maker as the record, so the maker's own access trail lists them.
func (s *Service) record(ctx context.Context, actor accounts.Actor, action, makerID, programID, detail string) error {
	return s.audit.Record(ctx, actor, action, "maker", makerID, programID, detail)
}

// mutate applies change to the enrolment cur (as just loaded) and writes it back with
// compare-and-set on its revision; when someone else wrote in between, it reloads and tries again.
// change may refuse with an error.
func (s *Service) mutate(ctx context.Context, cur Enrollment, change func(e *Enrollment) error) (Enrollment, error) {
	for attempt := range 5 {
		if attempt > 0 {
			var err error
			if cur, err = s.store.Enrollment(ctx, cur.ID); err != nil {
				return Enrollment{}, err
			}
		}
		e := cur
		e.Milestones = make(map[string]Completion, len(cur.Milestones)+1)
		for k, v := range cur.Milestones {
			e.Milestones[k] = v
		}
		e.History = append([]Event(nil), cur.History...)
		if err := change(&e); err != nil {
			return Enrollment{}, err
		}
		e.Rev = cur.Rev + 1
		e.UpdatedAt = s.now()
		err := s.store.ReplaceEnrollment(ctx, e, cur.Rev)
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return Enrollment{}, err
		}
		return e, nil
	}
	return Enrollment{}, ErrBusy
}

func (s *Service) open(sealed string) (string, error) {
	v, err := s.box.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("open training notes: %w", err)
	}
	return v, nil
}
