package catalog

import (
	"context"
	"slices"
	"strings"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// ReviewInput is a coordinator's decision; Reason is required to reject, and WageException
// (when approving) records why a price below the living wage is accepted.
type ReviewInput struct {
	Reason        string `json:"reason" validate:"omitempty,max=1000"`
	WageException string `json:"wageException" validate:"omitempty,min=10,max=1000"`
}

// Approve publishes a product waiting for review (a coordinator of its program).
func (s *Service) Approve(ctx context.Context, actor accounts.Actor, id string, in ReviewInput) (Product, error) {
	in.WageException = strings.TrimSpace(in.WageException)
	if err := fault.Check(in); err != nil {
		return Product{}, err
	}
	p, err := s.mutate(ctx, actor, id, func(ctx context.Context, p *Product) error {
		if !actor.Coordinates(p.ProgramID) {
			return errNotReviewer
		}
		if p.Status != StatusPendingReview {
			return fault.New(fault.Conflict, "not_pending", "only a product waiting for review can be approved (this one is %s)", p.Status)
		}
		if in.WageException != "" {
			p.WageException, p.WageExceptionBy = in.WageException, actor.UserID
		}
		if err := s.checkSellable(ctx, *p); err != nil {
			return err
		}
		p.Status, p.RejectReason = StatusPublished, ""
		if p.PublishedAt.IsZero() {
			p.PublishedAt = s.now()
		}
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	detail := ""
	if in.WageException != "" {
		detail = "wage exception: " + in.WageException
	}
	if err := s.audit(ctx, actor, "product.approve", p, detail); err != nil {
		return Product{}, err
	}
	return p, nil
}

// Reject sends a product waiting for review back to draft with a reason the maker sees.
func (s *Service) Reject(ctx context.Context, actor accounts.Actor, id string, reason string) (Product, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) < 3 || len(reason) > 1000 {
		return Product{}, fault.Fields(map[string]string{"reason": "is required: tell the maker what to change (3 to 1000 characters)"})
	}
	p, err := s.mutate(ctx, actor, id, func(ctx context.Context, p *Product) error {
		if !actor.Coordinates(p.ProgramID) {
			return errNotReviewer
		}
		if p.Status != StatusPendingReview {
			return fault.New(fault.Conflict, "not_pending", "only a product waiting for review can be rejected (this one is %s)", p.Status)
		}
		p.Status, p.RejectReason = StatusDraft, reason
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	if err := s.audit(ctx, actor, "product.reject", p, reason); err != nil {
		return Product{}, err
	}
	return p, nil
}

// GrantWageException records a coordinator's written reason for accepting a price below the
// living wage (for example, a training piece sold at cost). It covers the current price,
// materials and hours only.
func (s *Service) GrantWageException(ctx context.Context, actor accounts.Actor, id, reason string) (Product, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) < 10 || len(reason) > 1000 {
		return Product{}, fault.Fields(map[string]string{"reason": "is required: write why this price is accepted (10 to 1000 characters)"})
	}
	p, err := s.mutate(ctx, actor, id, func(ctx context.Context, p *Product) error {
		if !actor.Coordinates(p.ProgramID) {
			return fault.New(fault.Forbidden, "forbidden", "only a coordinator of the program can record a wage exception")
		}
		if p.Status == StatusArchived {
			return errArchived
		}
		p.WageException, p.WageExceptionBy = reason, actor.UserID
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	if err := s.audit(ctx, actor, "product.wage_exception", p, reason); err != nil {
		return Product{}, err
	}
	return p, nil
}

// MakerProducts lists a maker's products in every status, for the maker and their program's
// coordinators; anyone else gets programs.ErrMakerNotFound.
func (s *Service) MakerProducts(ctx context.Context, actor accounts.Actor, makerID string) ([]Product, error) {
	m, err := s.Directory.Maker(ctx, makerID)
	if err != nil {
		return nil, err
	}
	if !actor.IsMaker(m.ID) && !actor.Coordinates(m.ProgramID) {
		return nil, programs.ErrMakerNotFound
	}
	return s.products.ByMaker(ctx, makerID)
}

// ReviewQueue lists a program's products waiting for review, for its coordinators; anyone else
// gets programs.ErrNotFound.
func (s *Service) ReviewQueue(ctx context.Context, actor accounts.Actor, programID string) ([]Product, error) {
	if !actor.Coordinates(programID) {
		return nil, programs.ErrNotFound
	}
	if _, err := s.Directory.Program(ctx, programID); err != nil {
		return nil, err
	}
	ps, err := s.products.ByProgramStatus(ctx, programID, StatusPendingReview)
	if err != nil {
		return nil, err
	}
	slices.Reverse(ps) // oldest first: first come, first reviewed
	return ps, nil
}

// Import inserts ready-made products in bulk (demo data and load tests) and adds them to the
// read model. The caller vouches for them: no wage or permission checks are made.
func (s *Service) Import(ctx context.Context, ps []Product) error {
	if err := s.products.InsertMany(ctx, ps); err != nil {
		return err
	}
	// The makers may be newer than the last poll: know them before their products.
	if err := s.InvalidateProgram(ctx, ""); err != nil {
		return err
	}
	s.rm.apply(ps...)
	return nil
}
