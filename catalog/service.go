package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/money"
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
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Poll(ctx); err != nil && ctx.Err() == nil {
				s.Logger.Warn("catalog read model poll", "err", err.Error())
			}
		}
	}
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

// ---- Buyers: the storefront, from the read model ----

// Search returns a page of published products.
func (s *Service) Search(ctx context.Context, q Query) (Page, error) {
	q, err := q.normalize()
	if err != nil {
		return Page{}, err
	}
	es, total := s.rm.current().search(q)
	items := make([]PublicProduct, len(es))
	for i, e := range es {
		items[i] = e.pub
	}
	return Page{Items: items, Total: total, Page: q.Page, PerPage: q.PerPage}, nil
}

// maxAliasLen is the longest raw query string kept as a cache alias.
const maxAliasLen = 512

// SearchJSON returns the same page as Search, already encoded as JSON. Pages are cached until
// the catalog next changes, which is what keeps the storefront close to the speed of serving a
// static file. A caller that has the request's raw form (its URL query) passes it as alias, and
// later finds the page with CachedPage without parsing anything.
func (s *Service) SearchJSON(ctx context.Context, q Query, alias ...string) ([]byte, error) {
	q, err := q.normalize()
	if err != nil {
		return nil, err
	}
	snap := s.rm.current()
	k := q.key()
	keys := []string{k}
	for _, a := range alias {
		// Only ordinary query strings become aliases: a huge or hostile one would make the cache
		// hold its key beyond the page budget (found by fuzzing: 2,000 distinct 32 KB queries).
		if len(a) <= maxAliasLen {
			keys = append(keys, "raw\x00"+a)
		}
	}
	if b, ok := snap.pages.get(k); ok {
		if len(alias) > 0 {
			snap.pages.put(b, keys[1:]...)
		}
		return b, nil
	}
	es, total := snap.search(q)
	b := encodePage(es, total, q)
	snap.pages.put(b, keys...)
	return b, nil
}

// CachedPage returns the page SearchJSON encoded for the raw form alias under the catalog as it
// is now, if there is one.
func (s *Service) CachedPage(alias string) ([]byte, bool) {
	return s.rm.current().pages.get("raw\x00" + alias)
}

// PublicProduct returns a published product's public face; anything else is ErrNotFound.
func (s *Service) PublicProduct(ctx context.Context, id string) (PublicProduct, error) {
	e := s.rm.current().entryOf(id)
	if e == nil || !e.visible {
		return PublicProduct{}, ErrNotFound
	}
	return e.pub, nil
}

// PublicProductJSON is PublicProduct, encoded.
func (s *Service) PublicProductJSON(ctx context.Context, id string) ([]byte, error) {
	e := s.rm.current().entryOf(id)
	if e == nil || !e.visible {
		return nil, ErrNotFound
	}
	return e.json(), nil
}

// Categories lists the categories of published products, most products first.
func (s *Service) Categories(ctx context.Context) ([]CategoryCount, error) {
	return slices.Clone(s.rm.current().categories), nil
}

// MakerPublicProducts lists a maker's published products, newest first, for their public page.
func (s *Service) MakerPublicProducts(ctx context.Context, makerID string) []PublicProduct {
	es := s.rm.current().byMaker[makerID]
	out := make([]PublicProduct, 0, len(es))
	for _, sl := range es {
		if e := sl.get(); e.visible {
			out = append(out, e.pub)
		}
	}
	return out
}

// ---- Payments ----

// ForSale returns a published product of an active maker, read from the database (checkout
// must not act on a stale price), or ErrNotFound.
func (s *Service) ForSale(ctx context.Context, productID string) (Product, error) {
	p, err := s.products.ByID(ctx, productID)
	if err != nil {
		return Product{}, err
	}
	if p.Status != StatusPublished {
		return Product{}, ErrNotFound
	}
	m, err := s.Directory.Maker(ctx, p.MakerID)
	if errors.Is(err, programs.ErrMakerNotFound) || (err == nil && m.Status != "active") {
		return Product{}, ErrNotFound
	}
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// stockError is an out-of-stock refusal that names the product: errors.Is(err, ErrOutOfStock)
// holds, and fault.As finds the specific message.
type stockError struct{ fe *fault.Error }

func (e *stockError) Error() string   { return e.fe.Error() }
func (e *stockError) Unwrap() []error { return []error{e.fe, ErrOutOfStock} }

func outOfStock(p Product, left int) error {
	msg := fmt.Sprintf("only %d left of “%s”", left, p.Title)
	switch {
	case p.Status != StatusPublished:
		msg, left = fmt.Sprintf("“%s” is no longer for sale (0 left)", p.Title), 0
	case left == 0:
		msg = fmt.Sprintf("“%s” is sold out (0 left)", p.Title)
	}
	return &stockError{fe: &fault.Error{Kind: ErrOutOfStock.Kind, Code: ErrOutOfStock.Code, Message: msg,
		Details: map[string]any{"productId": p.ID, "available": left}}}
}

// holdIDPattern is what a hold id may look like: it becomes part of a field path, so no dots
// or dollars.
var holdIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// HoldStock takes qty units of a published product for the order holdID in one
// compare-and-set: stock never goes below zero, and the units are recorded as that order's in the
// same write. Holding again for the same order is a no-op. A miss is an out-of-stock conflict
// naming the product and the units left.
func (s *Service) HoldStock(ctx context.Context, productID, holdID string, qty int) error {
	if qty <= 0 {
		return fault.Fields(map[string]string{"quantity": "must be at least 1"})
	}
	if !holdIDPattern.MatchString(holdID) {
		return fmt.Errorf("hold stock: invalid hold id %q", holdID)
	}
	p, err := s.products.Hold(ctx, productID, holdID, qty, s.now())
	if errors.Is(err, ErrNotFound) {
		cur, lerr := s.products.ByID(ctx, productID)
		if lerr != nil {
			return lerr
		}
		if h, ok := cur.Holds[holdID]; ok && h.Quantity == qty {
			return nil
		}
		return outOfStock(cur, cur.Stock)
	}
	if err != nil {
		return err
	}
	s.rm.apply(p)
	return nil
}

// ReleaseHold lets go of the order holdID's units of a product: they go back into stock. It
// reports whether there was such a hold; a repeat changes nothing.
func (s *Service) ReleaseHold(ctx context.Context, productID, holdID string) (bool, error) {
	return s.unhold(ctx, productID, holdID, true)
}

// SettleHold records that the order holdID was paid: its units are sold, and the hold is
// forgotten without putting them back. It reports whether there was such a hold.
func (s *Service) SettleHold(ctx context.Context, productID, holdID string) (bool, error) {
	return s.unhold(ctx, productID, holdID, false)
}

func (s *Service) unhold(ctx context.Context, productID, holdID string, restock bool) (bool, error) {
	if !holdIDPattern.MatchString(holdID) {
		return false, fmt.Errorf("release hold: invalid hold id %q", holdID)
	}
	cur, err := s.products.ByID(ctx, productID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	h, ok := cur.Holds[holdID]
	if !ok {
		return false, nil
	}
	p, done, err := s.products.Unhold(ctx, productID, holdID, h.Quantity, restock, s.now())
	if err != nil || !done {
		return false, err
	}
	s.rm.apply(p)
	return true, nil
}

// HeldStock lists every hold, oldest first, for the payments sweeper.
func (s *Service) HeldStock(ctx context.Context) ([]HeldUnits, error) {
	return s.products.Held(ctx)
}

// ReleaseStock puts qty units back (a refunded order's, restocked), in any status, so archived
// products keep order history consistent.
func (s *Service) ReleaseStock(ctx context.Context, productID string, qty int) error {
	if qty <= 0 {
		return fault.Fields(map[string]string{"quantity": "must be at least 1"})
	}
	p, err := s.products.AddStock(ctx, productID, qty, false, s.now())
	if err != nil {
		return err
	}
	s.rm.apply(p)
	return nil
}

// ---- Makers and coordinators ----

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
}

// UpdateInput changes a product; nil fields stay as they are. On a published product, any
// change but stock sends it back to review.
type UpdateInput struct {
	Title         *string  `json:"title" validate:"omitempty,min=3,max=120"`
	Description   *string  `json:"description" validate:"omitempty,max=5000"`
	Category      *string  `json:"category" validate:"omitempty,min=2,max=40"`
	Price         *int64   `json:"price" validate:"omitempty,gt=0,lte=100000000"`
	Currency      *string  `json:"currency" validate:"omitempty,iso4217"`
	Stock         *int     `json:"stock" validate:"omitempty,gte=0,lte=100000"`
	HoursOfWork   *float64 `json:"hoursOfWork" validate:"omitempty,gt=0,lte=2000"`
	MaterialsCost *int64   `json:"materialsCost" validate:"omitempty,gte=0,lte=100000000"`
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
		CreatedAt: now, UpdatedAt: now, Version: 1}
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

// Update edits a product. Stock alone never needs review; any other change to a published
// product sends it back to review, and a change of price, materials or hours drops a wage
// exception granted for the old figures.
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
