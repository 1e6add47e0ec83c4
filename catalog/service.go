package catalog

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/periodic"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store"
)

// More errors the catalog returns.
var (
	ErrImageNotFound = fault.New(fault.NotFound, "not_found", "image not found")
	errDuplicate     = fault.New(fault.Conflict, "duplicate", "this product already exists")
	errBusy          = fault.New(fault.Conflict, "edit_conflict", "someone else changed this product at the same moment: reload it and try again")
	errArchived      = fault.New(fault.Conflict, "archived", "this product is archived and can no longer be changed")
	errNotReviewer   = fault.New(fault.Forbidden, "forbidden", "only a coordinator of the program can review products")
)

// Directory is what the catalog needs to know of programs and makers; *programs.Registry is one.
// Program returns programs.ErrNotFound and Maker programs.ErrMakerNotFound for unknown ids.
type Directory interface {
	Program(ctx context.Context, id string) (programs.Program, error)
	Maker(ctx context.Context, id string) (programs.Maker, error)
	Programs(ctx context.Context, ids []string) ([]programs.Program, error)
	Makers(ctx context.Context, programIDs []string) ([]programs.Maker, error)
}

// SellingGate decides whether a maker has the training a program requires before selling in a
// category. MissingTraining returns the name of the track still to finish, or "" when nothing is
// missing; an error is a failure to decide (the submission fails with it).
type SellingGate interface {
	MissingTraining(ctx context.Context, programID, makerID, category string) (trackName string, err error)
}

// Staleness of the read model. Writes made through this instance are visible to its readers as
// soon as the write returns. Writes made through another instance (several instances behind a
// load balancer on MongoDB) are seen within DefaultPollInterval plus one poll's duration —
// about 2 s — provided the instances' clocks differ by less than SkewMargin. A maker's consent
// change applies at once on the instance that calls InvalidateMaker, and within the same bound
// elsewhere, as does the expiry of a consent.
const (
	DefaultPollInterval = 2 * time.Second
	SkewMargin          = 10 * time.Second
)

// Upload limits.
const (
	MaxImageBytes    = 10 << 20
	MaxImagesPerItem = 8
	imageCacheBytes  = 48 << 20
)

// ImageWidths are the widths every photo is stored in; the largest rendition is never wider
// than the upload.
var ImageWidths = []int{320, 640, 1280}

// Service runs the catalog: makers' and coordinators' product lifecycle, the fair-wage floor,
// photos, and the public storefront served from an in-process read model.
type Service struct {
	products  *ProductStore
	images    *ImageStore
	Directory Directory
	Audit     *audit.Log
	Logger    *slog.Logger
	// gate refuses submitting or approving products in categories the maker's program gates
	// behind training.
	gate SellingGate
	// listings is told of a product newly waiting for review (to let coordinators know); its
	// error is logged, never returned: the maker's submission has happened.
	listings ListingNotifier
	// Fees is the estimated payment fee used in the fair-wage check and the wage breakdown.
	Fees FeeConfig
	// PollInterval is how often the read model looks for changes made by other instances.
	PollInterval time.Duration
	Now          func() time.Time

	rm       *readModel
	imgSem   chan struct{}
	imgCache *byteLRU

	pollMu   sync.Mutex
	lastSeq  int64
	lastSeen time.Time
}

// ListingNotifier is told of a product newly waiting for a coordinator's review.
type ListingNotifier interface {
	ListingToReview(ctx context.Context, p Product) error
}

// Deps is what the catalog is built on. Directory, Audit, Gate and Listings are required: a
// missing gate would let untrained makers sell, silently.
type Deps struct {
	Directory Directory
	Audit     *audit.Log
	// Gate refuses listings in categories the maker's program gates behind training.
	Gate SellingGate
	// Listings tells coordinators of listings to review.
	Listings ListingNotifier
	Logger   *slog.Logger
}

// NewService opens the catalog's stores and builds the read model from the database.
func NewService(ctx context.Context, db *store.DB, d Deps) (*Service, error) {
	if d.Directory == nil || d.Audit == nil || d.Gate == nil || d.Listings == nil {
		return nil, errors.New("catalog: the directory, audit log, training gate and listing notifier are all required")
	}
	products, err := NewProductStore(ctx, db)
	if err != nil {
		return nil, err
	}
	logger := d.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &Service{products: products, images: NewImageStore(db), Directory: d.Directory, Audit: d.Audit, Logger: logger,
		gate: d.Gate, listings: d.Listings,
		Fees: DefaultFees, PollInterval: DefaultPollInterval,
		imgSem: make(chan struct{}, 2), imgCache: newByteLRU(imageCacheBytes)}
	s.rm = newReadModel(func() FeeConfig { return s.Fees }, s.now)
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// now is truncated to the millisecond, the precision BSON stores, so a product in the read model
// equals the product in the database.
func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// Refresh rebuilds the read model from the database.
func (s *Service) Refresh(ctx context.Context) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	seq, err := s.products.ChangeCount(ctx)
	if err != nil {
		return err
	}
	ps, err := s.products.Live(ctx)
	if err != nil {
		return err
	}
	makers, err := s.Directory.Makers(ctx, nil)
	if err != nil {
		return err
	}
	progs, err := s.Directory.Programs(ctx, nil)
	if err != nil {
		return err
	}
	s.rm.reset(ps, makers, progs)
	s.lastSeq = seq
	for _, p := range ps {
		if p.UpdatedAt.After(s.lastSeen) {
			s.lastSeen = p.UpdatedAt
		}
	}
	return nil
}

// Poll brings the read model up to date with changes made elsewhere: products changed since the
// last poll, and the makers and programs, whose consents and names decide every product's public
// face. A change counter tells whether anything changed, and whether only this process wrote
// (its writes are in the read model already), so an idle poll, or one on the embedded store's
// single process, reads one tiny document instead of scanning the products.
func (s *Service) Poll(ctx context.Context) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	seq, err := s.products.ChangeCount(ctx)
	if err != nil {
		return err
	}
	if seq != s.lastSeq && !s.products.OnlyMine(s.lastSeq, seq) {
		ps, err := s.products.ChangedSince(ctx, s.lastSeen.Add(-SkewMargin))
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.UpdatedAt.After(s.lastSeen) {
				s.lastSeen = p.UpdatedAt
			}
		}
		s.rm.apply(ps...)
	}
	s.lastSeq = seq
	makers, err := s.Directory.Makers(ctx, nil)
	if err != nil {
		return err
	}
	progs, err := s.Directory.Programs(ctx, nil)
	if err != nil {
		return err
	}
	s.rm.setDirectory(makers, progs)
	return nil
}

// Run polls every PollInterval until ctx ends; it is the catalog's background worker.
func (s *Service) Run(ctx context.Context) {
	every := s.PollInterval
	if every <= 0 {
		every = DefaultPollInterval
	}
	periodic.Run(ctx, every, nil, s.Logger, "catalog read model poll", s.Poll)
}

// InvalidateMaker recomputes the public face of a maker's products at once, after their consent
// or display name changed.
func (s *Service) InvalidateMaker(ctx context.Context, makerID string) error {
	m, err := s.Directory.Maker(ctx, makerID)
	if err != nil {
		return err
	}
	p, err := s.Directory.Program(ctx, m.ProgramID)
	if err != nil {
		return err
	}
	s.rm.setMaker(m, p)
	return nil
}

// InvalidateProgram reloads the makers and programs at once, after a program's name, city or
// share changed (otherwise the next poll does it).
func (s *Service) InvalidateProgram(ctx context.Context, programID string) error {
	makers, err := s.Directory.Makers(ctx, nil)
	if err != nil {
		return err
	}
	progs, err := s.Directory.Programs(ctx, nil)
	if err != nil {
		return err
	}
	s.rm.setDirectory(makers, progs)
	return nil
}
