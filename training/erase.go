package training

import (
	"context"
	"fmt"

	"github.com/fairhands/marketplace/accounts"
)

// EraseMaker erases a maker's private training data when they ask to be forgotten: notes,
// reasons, the name chosen for certificates and evidence photos. Dates, statuses and milestone
// completions stay, without anything that describes the person, for the program's counts.
// It is the training's programs.Eraser.
func (s *Service) EraseMaker(ctx context.Context, _ accounts.Actor, makerID string) error {
	es, err := s.store.Enrollments(ctx, EnrollmentsQuery{MakerID: makerID})
	if err != nil {
		return err
	}
	for _, e := range es {
		_, err := s.mutate(ctx, e, func(e *Enrollment) error {
			for id, c := range e.Milestones {
				c.NotesSealed, c.EvidenceID = "", ""
				e.Milestones[id] = c
			}
			for i := range e.History {
				e.History[i].ReasonSealed = ""
				if c := e.History[i].Completion; c != nil {
					c.NotesSealed, c.EvidenceID = "", ""
				}
			}
			e.WithdrawReasonSealed, e.CertificateNameSealed = "", ""
			return nil
		})
		if err != nil {
			return fmt.Errorf("erase training notes: %w", err)
		}
	}
	evs, err := s.store.EvidenceList(ctx, EvidenceQuery{MakerID: makerID})
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if err := s.store.DeleteEvidence(ctx, ev); err != nil {
			return err
		}
	}
	return s.store.EraseOutcomeNotes(ctx, makerID)
}

// MakerExport is a maker's training record for their data export.
type MakerExport struct {
	Enrollments []EnrollmentProgress `json:"enrollments"`
	Outcomes    []OutcomeView        `json:"outcomes"`
}

// ExportMaker returns everything training holds about a maker, notes included, for the export
// the maker (or their coordinator) downloads. The caller has checked scope and audits the export.
func (s *Service) ExportMaker(ctx context.Context, makerID string) (any, error) {
	es, err := s.store.Enrollments(ctx, EnrollmentsQuery{MakerID: makerID})
	if err != nil {
		return nil, err
	}
	out := MakerExport{Enrollments: []EnrollmentProgress{}, Outcomes: []OutcomeView{}}
	for _, e := range es {
		p, err := s.progressOf(ctx, e, true)
		if err != nil {
			return nil, err
		}
		out.Enrollments = append(out.Enrollments, p)
	}
	os, err := s.store.Outcomes(ctx, "", makerID)
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		notes, err := s.open(o.NotesSealed)
		if err != nil {
			return nil, err
		}
		out.Outcomes = append(out.Outcomes, o.view(notes))
	}
	return out, nil
}
