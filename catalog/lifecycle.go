package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/money"
	"github.com/fairhands/marketplace/programs"
)

// CreateInput is a new product. MakerID is for a coordinator listing for a maker of their
// program; a maker lists for themself and may leave it out. Price and MaterialsCost are minor
// units of the program's currency.
type CreateInput struct {
	MakerID       string  `json:"makerId" validate:"omitempty,max=64"`
	Title         string  `json:"title" validate:"required,min=3,max=120"`
	Description   string  `json:"description" validate:"required,max=5000"`
	Category      string  `json:"category" validate:"required,min=2,max=40"`
	Price         int64   `json:"price" validate:"gt=0,lte=100000000"`
	Currency      string  `json:"currency" validate:"required,iso4217"`
	Stock         int     `json:"stock" validate:"gte=0,lte=100000"`
	HoursOfWork   float64 `json:"hoursOfWork" validate:"gt=0,lte=2000"`
	MaterialsCost int64   `json:"materialsCost" validate:"gte=0,lte=100000000"`
	// MadeToOrder products sell without stock; LeadTimeDays is then required.
	MadeToOrder  bool `json:"madeToOrder"`
	LeadTimeDays int  `json:"leadTimeDays" validate:"gte=0,lte=120"`
}

// UpdateInput changes a product; nil fields stay as they are. On a published product, any
// change but stock, made-to-order and lead time sends it back to review.
type UpdateInput struct {
	Title         *string  `json:"title" validate:"omitempty,min=3,max=120"`
	Description   *string  `json:"description" validate:"omitempty,max=5000"`
	Category      *string  `json:"category" validate:"omitempty,min=2,max=40"`
	Price         *int64   `json:"price" validate:"omitempty,gt=0,lte=100000000"`
	Currency      *string  `json:"currency" validate:"omitempty,iso4217"`
	Stock         *int     `json:"stock" validate:"omitempty,gte=0,lte=100000"`
	HoursOfWork   *float64 `json:"hoursOfWork" validate:"omitempty,gt=0,lte=2000"`
	MaterialsCost *int64   `json:"materialsCost" validate:"omitempty,gte=0,lte=100000000"`
	MadeToOrder   *bool    `json:"madeToOrder"`
	LeadTimeDays  *int     `json:"leadTimeDays" validate:"omitempty,gte=0,lte=120"`
}

// ProductView is a product as its maker and coordinators see it, with the fair-wage figures.
type ProductView struct {
	Product
	Wage WageCheck `json:"wage"`
}

// View adds the fair-wage figures to a product.
func (s *Service) View(ctx context.Context, p Product) (ProductView, error) {
	prog, err := s.Directory.Program(ctx, p.ProgramID)
	if err != nil {
		return ProductView{}, err
	}
	return ProductView{Product: p, Wage: CheckWage(p.Price, p.MaterialsCost, p.HoursOfWork, prog, s.Fees)}, nil
}

// Views adds the fair-wage figures to a list of products.
func (s *Service) Views(ctx context.Context, ps []Product) ([]ProductView, error) {
	progs := map[string]programs.Program{}
	out := make([]ProductView, 0, len(ps))
	for _, p := range ps {
		prog, ok := progs[p.ProgramID]
		if !ok {
			var err error
			if prog, err = s.Directory.Program(ctx, p.ProgramID); err != nil {
				return nil, err
			}
			progs[p.ProgramID] = prog
		}
		out = append(out, ProductView{Product: p, Wage: CheckWage(p.Price, p.MaterialsCost, p.HoursOfWork, prog, s.Fees)})
	}
	return out, nil
}

// manages reports whether actor may edit p: its maker, or a coordinator of its program.
func manages(actor accounts.Actor, p Product) bool {
	return actor.IsMaker(p.MakerID) || actor.Coordinates(p.ProgramID)
}

// actingFor reports whether actor acts on behalf of the product's maker (and must be audited so).
func actingFor(actor accounts.Actor, p Product) bool { return !actor.IsMaker(p.MakerID) }

// audit records an action; a coordinator acting for a maker is recorded against the maker.
func (s *Service) audit(ctx context.Context, actor accounts.Actor, action string, p Product, detail string) error {
	if s.Audit == nil {
		return nil
	}
	if detail == "" {
		detail = "product " + p.ID
	} else {
		detail = "product " + p.ID + ": " + detail
	}
	if actingFor(actor, p) {
		return s.Audit.Record(ctx, actor, action, "maker", p.MakerID, p.ProgramID, detail)
	}
	return s.Audit.Record(ctx, actor, action, "product", p.ID, p.ProgramID, detail)
}

// Create lists a new product as a draft.
func (s *Service) Create(ctx context.Context, actor accounts.Actor, in CreateInput) (Product, error) {
	in.MakerID = strings.TrimSpace(in.MakerID)
	in.Title, in.Description = strings.TrimSpace(in.Title), strings.TrimSpace(in.Description)
	in.Category = normalizeCategory(in.Category)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	makerID := in.MakerID
	switch {
	case actor.Role == accounts.RoleMaker:
		if makerID != "" && makerID != actor.MakerID {
			return Product{}, programs.ErrMakerNotFound
		}
		makerID = actor.MakerID
	case actor.Role == accounts.RoleCoordinator || actor.IsAdmin():
		if makerID == "" {
			return Product{}, fault.Fields(map[string]string{"makerId": "is required: say which maker of your program this product is for"})
		}
	default:
		return Product{}, fault.New(fault.Forbidden, "forbidden", "only makers and their coordinators can list products")
	}
	if err := fault.Check(in); err != nil {
		return Product{}, err
	}
	if workMinutes(in.HoursOfWork) < 1 {
		return Product{}, fault.Fields(map[string]string{"hoursOfWork": "must be at least one minute (0.02 hours)"})
	}
	m, err := s.Directory.Maker(ctx, makerID)
	if err != nil {
		return Product{}, err
	}
	if !actor.IsMaker(m.ID) && !actor.Coordinates(m.ProgramID) {
		return Product{}, programs.ErrMakerNotFound
	}
	if m.Status != "active" {
		return Product{}, fault.New(fault.Unprocessable, "maker_inactive", "this maker's account is not active")
	}
	prog, err := s.Directory.Program(ctx, m.ProgramID)
	if err != nil {
		return Product{}, err
	}
	if in.Currency != prog.Currency {
		return Product{}, fault.Fields(map[string]string{"currency": fmt.Sprintf("must be %s, the currency of the %s", prog.Currency, prog.Name)})
	}
	now := s.now()
	p := Product{ID: accounts.NewID(), MakerID: m.ID, ProgramID: m.ProgramID, Title: in.Title,
		Description: in.Description, Category: in.Category, Price: in.Price, Currency: in.Currency, Stock: in.Stock,
		HoursOfWork: in.HoursOfWork, MaterialsCost: in.MaterialsCost, Status: StatusDraft, Images: []Image{},
		MadeToOrder: in.MadeToOrder, LeadTimeDays: in.LeadTimeDays, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := checkLeadTime(&p); err != nil {
		return Product{}, err
	}
	if err := s.products.Insert(ctx, p); err != nil {
		return Product{}, err
	}
	s.rm.setMaker(m, prog)
	s.rm.apply(p)
	if actingFor(actor, p) {
		if err := s.audit(ctx, actor, "product.create", p, p.Title); err != nil {
			return Product{}, err
		}
	}
	return p, nil
}

// Product returns a product in any status to its maker or a coordinator of its program;
// everyone else gets ErrNotFound.
func (s *Service) Product(ctx context.Context, actor accounts.Actor, id string) (Product, error) {
	p, err := s.products.ByID(ctx, id)
	if err != nil {
		return Product{}, err
	}
	if !manages(actor, p) {
		return Product{}, ErrNotFound
	}
	return p, nil
}

// change is one edit of a product, applied inside mutate to a fresh copy of the stored product.
type change func(ctx context.Context, p *Product) error

// mutate loads a product the actor manages, applies fn and writes it back with compare-and-set,
// retrying when a concurrent write (a sale, another edit) got there first. It refreshes the read
// model on success.
func (s *Service) mutate(ctx context.Context, actor accounts.Actor, id string, fn change) (Product, error) {
	next, _, err := s.rewrite(ctx, id, 5, func(cur Product, next *Product) (bool, error) {
		if !manages(actor, cur) {
			return false, ErrNotFound
		}
		return true, fn(ctx, next)
	})
	return next, err
}

// rewrite loads product id, lets fn change a copy (fn reports whether to write it at all), and
// writes it back by compare-and-set, up to attempts times when a concurrent write (a sale, a
// hold, another edit) got there first; errBusy after that. It returns the product as it now
// is, whether this call wrote it, and refreshes the read model when it did.
func (s *Service) rewrite(ctx context.Context, id string, attempts int, fn func(cur Product, next *Product) (bool, error)) (Product, bool, error) {
	for range attempts {
		cur, err := s.products.ByID(ctx, id)
		if err != nil {
			return Product{}, false, err
		}
		next := cur
		next.Images = slices.Clone(cur.Images)
		write, err := fn(cur, &next)
		if err != nil {
			return Product{}, false, err
		}
		if !write {
			return cur, false, nil
		}
		next.Version = cur.Version + 1
		next.UpdatedAt = s.now()
		err = s.products.Replace(ctx, next)
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return Product{}, false, err
		}
		s.rm.apply(next)
		return next, true, nil
	}
	return Product{}, false, errBusy
}

// Update edits a product. Stock, made-to-order and lead time never need review; any other
// change to a published product sends it back to review, and a change of price, materials or
// hours drops a wage exception granted for the old figures.
func (s *Service) Update(ctx context.Context, actor accounts.Actor, id string, in UpdateInput) (Product, error) {
	trim := func(v *string, f func(string) string) {
		if v != nil {
			*v = f(*v)
		}
	}
	trim(in.Title, strings.TrimSpace)
	trim(in.Description, strings.TrimSpace)
	trim(in.Category, normalizeCategory)
	trim(in.Currency, func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) })
	if err := fault.Check(in); err != nil {
		return Product{}, err
	}
	if in.Description != nil && *in.Description == "" {
		return Product{}, fault.Fields(map[string]string{"description": "is required"})
	}
	if in.HoursOfWork != nil && workMinutes(*in.HoursOfWork) < 1 {
		return Product{}, fault.Fields(map[string]string{"hoursOfWork": "must be at least one minute (0.02 hours)"})
	}
	p, err := s.mutate(ctx, actor, id, func(ctx context.Context, p *Product) error {
		if p.Status == StatusArchived {
			return errArchived
		}
		if in.Currency != nil && *in.Currency != p.Currency {
			return fault.Fields(map[string]string{"currency": "must be " + p.Currency + ", the currency of the program"})
		}
		content := false
		setS := func(dst *string, v *string) {
			if v != nil && *v != *dst {
				*dst, content = *v, true
			}
		}
		setS(&p.Title, in.Title)
		setS(&p.Description, in.Description)
		setS(&p.Category, in.Category)
		wage := false
		if in.Price != nil && *in.Price != p.Price {
			p.Price, wage = *in.Price, true
		}
		if in.MaterialsCost != nil && *in.MaterialsCost != p.MaterialsCost {
			p.MaterialsCost, wage = *in.MaterialsCost, true
		}
		if in.HoursOfWork != nil && *in.HoursOfWork != p.HoursOfWork {
			p.HoursOfWork, wage = *in.HoursOfWork, true
		}
		if in.Stock != nil {
			p.Stock = *in.Stock
		}
		if in.MadeToOrder != nil {
			p.MadeToOrder = *in.MadeToOrder
		}
		if in.LeadTimeDays != nil {
			p.LeadTimeDays = *in.LeadTimeDays
		}
		if err := checkLeadTime(p); err != nil {
			return err
		}
		if wage {
			p.WageException, p.WageExceptionBy = "", ""
		}
		if (content || wage) && p.Status == StatusPublished {
			p.Status = StatusPendingReview
		}
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	if actingFor(actor, p) {
		if err := s.audit(ctx, actor, "product.update", p, ""); err != nil {
			return Product{}, err
		}
	}
	return p, nil
}

// Archive takes a product off sale for good. The document stays, so orders keep their history.
func (s *Service) Archive(ctx context.Context, actor accounts.Actor, id string) (Product, error) {
	p, err := s.mutate(ctx, actor, id, func(ctx context.Context, p *Product) error {
		if p.Status == StatusArchived {
			return errArchived
		}
		p.Status = StatusArchived
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	if actingFor(actor, p) {
		if err := s.audit(ctx, actor, "product.archive", p, ""); err != nil {
			return Product{}, err
		}
	}
	return p, nil
}

// checkSellable applies the fair-wage floor and the training gate, the two rules a product must
// clear to be submitted and again to be published.
func (s *Service) checkSellable(ctx context.Context, p Product) error {
	prog, err := s.Directory.Program(ctx, p.ProgramID)
	if err != nil {
		return err
	}
	if p.WageException == "" {
		w := CheckWage(p.Price, p.MaterialsCost, p.HoursOfWork, prog, s.Fees)
		if !w.Fair {
			msg := fmt.Sprintf("at this price the maker earns %s an hour, below the %s living wage of %s an hour: the lowest fair price is %s",
				money.Format(w.MakerHourly, p.Currency), prog.Name, money.Format(prog.LivingWageHourly, p.Currency), money.Format(w.LowestFairPrice, p.Currency))
			if w.LowestFairPrice == 0 {
				msg = fmt.Sprintf("the program's share and fees leave nothing for a living wage at any price; ask the %s coordinator", prog.Name)
			}
			return &fault.Error{Kind: fault.Unprocessable, Code: "below_living_wage", Message: msg,
				Fields: map[string]string{"price": fmt.Sprintf("must be at least %d (%s)", w.LowestFairPrice, money.Format(w.LowestFairPrice, p.Currency))},
				Details: map[string]any{"lowestFairPrice": w.LowestFairPrice, "makerHourly": w.MakerHourly,
					"livingWageHourly": prog.LivingWageHourly, "currency": p.Currency, "breakdown": w.Breakdown}}
		}
	}
	track, err := s.gate.MissingTraining(ctx, p.ProgramID, p.MakerID, p.Category)
	if err != nil {
		return fmt.Errorf("check training for %s: %w", p.Category, err)
	}
	if track != "" {
		return &fault.Error{Kind: fault.Unprocessable, Code: "training_required",
			Message: fmt.Sprintf("finish the “%s” training before selling %s", track, p.Category),
			Details: map[string]any{"track": track, "category": p.Category}}
	}
	return nil
}

// Submit sends a draft for review, if it clears the fair-wage floor and the training gate.
func (s *Service) Submit(ctx context.Context, actor accounts.Actor, id string) (Product, error) {
	p, err := s.mutate(ctx, actor, id, func(ctx context.Context, p *Product) error {
		switch p.Status {
		case StatusDraft:
		case StatusPendingReview:
			return fault.New(fault.Conflict, "already_submitted", "this product is already waiting for review")
		case StatusPublished:
			return fault.New(fault.Conflict, "already_published", "this product is already published")
		default:
			return errArchived
		}
		if err := s.checkSellable(ctx, *p); err != nil {
			return err
		}
		p.Status, p.RejectReason = StatusPendingReview, ""
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	if actingFor(actor, p) {
		if err := s.audit(ctx, actor, "product.submit", p, ""); err != nil {
			return Product{}, err
		}
	}
	if err := s.listings.ListingToReview(ctx, p); err != nil {
		s.Logger.Warn("tell coordinators of a listing to review", "product", p.ID, "err", err.Error())
	}
	return p, nil
}
