package catalog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// Paging limits of the storefront.
const (
	DefaultPerPage = 24
	MaxPerPage     = 100
	maxQueryTerms  = 8
	maxQueryLen    = 200
)

// Sort orders of the storefront.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortPriceAsc  = "price_asc"
	SortPriceDesc = "price_desc"
)

// Query is a storefront search. Zero values mean "any"; MaxPrice 0 means no upper bound.
type Query struct {
	Q         string
	Category  string
	ProgramID string
	MinPrice  int64
	MaxPrice  int64
	Sort      string
	Page      int
	PerPage   int
}

// Page is one page of search results.
type Page struct {
	Items   []PublicProduct `json:"items"`
	Total   int             `json:"total"`
	Page    int             `json:"page"`
	PerPage int             `json:"perPage"`
}

// CategoryCount is a category with its number of published products.
type CategoryCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// PublicProduct is everything a buyer may see of a product: the maker only by the public face
// their consents allow (programs.Maker.Public), the program only by name and city, and photos
// only with the maker's work-photos consent.
type PublicProduct struct {
	ID            string               `json:"id"`
	Title         string               `json:"title"`
	Description   string               `json:"description"`
	Category      string               `json:"category"`
	Price         int64                `json:"price"`
	Currency      string               `json:"currency"`
	Stock         int                  `json:"stock"`
	Images        []Image              `json:"images"`
	Status        string               `json:"status"`
	Maker         programs.PublicMaker `json:"maker"`
	WageBreakdown WageBreakdown        `json:"wageBreakdown"`
	PublishedAt   time.Time            `json:"publishedAt"`
	// MadeToOrder products sell without stock and are dispatched within LeadTimeDays; a
	// product sold from stock is dispatched within DispatchDays, its program's processing days
	// (0: the program has not said).
	MadeToOrder  bool `json:"madeToOrder"`
	LeadTimeDays int  `json:"leadTimeDays,omitempty"`
	DispatchDays int  `json:"dispatchDays,omitempty"`
}

// Available is how many units a buyer may take now, at most limit: the stock, or limit for a
// product made to order (it is never sold out).
func (p PublicProduct) Available(limit int) int {
	if p.MadeToOrder {
		return max(limit, 0)
	}
	return max(min(p.Stock, limit), 0)
}

// normalize fills defaults and checks the query, naming each bad parameter.
func (q Query) normalize() (Query, error) {
	bad := map[string]string{}
	q.Q = strings.ToLower(strings.TrimSpace(q.Q))
	if len(q.Q) > maxQueryLen {
		bad["q"] = fmt.Sprintf("must be at most %d characters", maxQueryLen)
	}
	q.Category = normalizeCategory(q.Category)
	q.ProgramID = strings.TrimSpace(q.ProgramID)
	if q.Sort == "" {
		q.Sort = SortRelevance
	}
	switch q.Sort {
	case SortRelevance, SortNewest, SortPriceAsc, SortPriceDesc:
	default:
		bad["sort"] = "must be one of: relevance, newest, price_asc, price_desc"
	}
	if q.MinPrice < 0 {
		bad["minPrice"] = "must be at least 0"
	}
	if q.MaxPrice < 0 {
		bad["maxPrice"] = "must be at least 0"
	}
	if q.MaxPrice > 0 && q.MinPrice > q.MaxPrice {
		bad["maxPrice"] = "must be at least minPrice"
	}
	switch {
	case q.Page < 0:
		bad["page"] = "must be at least 1"
	case q.Page == 0:
		q.Page = 1
	}
	switch {
	case q.PerPage < 0:
		bad["perPage"] = "must be at least 1"
	case q.PerPage == 0:
		q.PerPage = DefaultPerPage
	case q.PerPage > MaxPerPage:
		q.PerPage = MaxPerPage
	}
	if q.Page > 1_000_000 {
		bad["page"] = "is too large"
	}
	return q, fault.Fields(bad)
}

func (q Query) key() string {
	return strings.Join([]string{q.Q, q.Category, q.ProgramID, strconv.FormatInt(q.MinPrice, 10),
		strconv.FormatInt(q.MaxPrice, 10), q.Sort, strconv.Itoa(q.Page), strconv.Itoa(q.PerPage)}, "\x00")
}

// normalizeCategory lower-cases a category and collapses its spaces, so "Home  Decor" and
// "home decor" are one category.
func normalizeCategory(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// entry is one product as the read model holds it: immutable once built, shared between
// snapshots while neither the product nor its maker's public face changes.
type entry struct {
	p        Product
	pub      PublicProduct
	visible  bool // published, by an active maker of a known program
	photos   bool // the maker consents to photos of their work being shown
	share    int  // the program share the breakdown was computed with
	dispatch int  // the program's processing days shown on stock items
	// lower-cased text for search
	title, desc, cat, maker string
	sortTime                int64

	once    sync.Once
	encoded []byte
}

// json returns the entry's public JSON, encoded once.
func (e *entry) json() []byte {
	e.once.Do(func() {
		b, err := json.Marshal(e.pub)
		if err != nil { // a PublicProduct always encodes; keep the page valid regardless
			b = []byte("null")
		}
		e.encoded = b
	})
	return e.encoded
}

// snapshot is a view of the catalog that readers load with one atomic read and never lock.
// Writers build a new one and swap it in — except that a change which moves no product in any
// order or index (a sale changing the stock, a typo fixed in review) swaps the entry inside its
// slot and publishes a new snapshot header sharing the same slices, so the hot checkout path
// costs O(1) here instead of a rebuild.
type snapshot struct {
	all        map[string]*slot // every product that is not archived
	newest     []*slot          // visible products, newest first
	priceAsc   []*slot
	priceDesc  []*slot
	byMaker    map[string][]*slot // visible products per maker's public id, newest first
	images     map[string]*slot   // image id → its product
	categories []CategoryCount

	pages *pageCache // encoded result pages, valid for this snapshot only
}

// slot holds the current entry of one product.
type slot struct{ e atomic.Pointer[entry] }

func (sl *slot) get() *entry { return sl.e.Load() }

func newSlot(e *entry) *slot {
	sl := &slot{}
	sl.e.Store(e)
	return sl
}

func emptySnapshot() *snapshot {
	return &snapshot{all: map[string]*slot{}, byMaker: map[string][]*slot{}, images: map[string]*slot{}, pages: &pageCache{}}
}

// entryOf returns the current entry of a product, or nil.
func (s *snapshot) entryOf(id string) *entry {
	if sl := s.all[id]; sl != nil {
		return sl.get()
	}
	return nil
}

// pageCache keeps encoded result pages of one snapshot. It is bounded by bytes; when full it
// stops adding (the next write replaces the snapshot and so empties it).
type pageCache struct {
	mu    sync.RWMutex
	m     map[string][]byte
	bytes int
}

const pageCacheBytes = 16 << 20

func (c *pageCache) get(k string) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.m[k]
	return b, ok
}

func (c *pageCache) put(b []byte, keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	// Keys count towards the budget too: distinct query strings must not grow memory unseen.
	cost := len(b)
	for _, k := range keys {
		cost += len(k)
	}
	if c.bytes+cost > pageCacheBytes {
		return
	}
	for _, k := range keys {
		c.m[k] = b
	}
	c.bytes += cost
}

// readModel is the in-process copy of the catalog the storefront is served from. It holds the
// products, makers and programs it was last told about; every change rebuilds the snapshot.
type readModel struct {
	mu       sync.Mutex // serialises writers
	snap     atomic.Pointer[snapshot]
	products map[string]Product // archived ones too, as tombstones against stale polls
	makers   map[string]programs.Maker
	progs    map[string]programs.Program
	faces    map[string]face // the public faces the current snapshot was built with
	// directory is the programs' public faces by name, replaced whole with the programs, so the
	// storefront's program filter needs no database round trip.
	directory atomic.Pointer[[]programs.PublicProgram]
	fees      func() FeeConfig
	now       func() time.Time
}

// face is what a maker's products show of them, under the consents in force.
type face struct {
	pub    programs.PublicMaker
	photos bool
	active bool
}

func newReadModel(fees func() FeeConfig, now func() time.Time) *readModel {
	rm := &readModel{products: map[string]Product{}, makers: map[string]programs.Maker{},
		progs: map[string]programs.Program{}, faces: map[string]face{}, fees: fees, now: now}
	rm.snap.Store(emptySnapshot())
	return rm
}

func (rm *readModel) current() *snapshot { return rm.snap.Load() }

// reset replaces everything (start-up and full refresh).
func (rm *readModel) reset(ps []Product, makers []programs.Maker, progs []programs.Program) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	rm.products = make(map[string]Product, len(ps))
	for _, p := range ps {
		rm.products[p.ID] = p
	}
	rm.setDirectoryLocked(makers, progs)
	// Start from nothing, so no entry built under older settings (fees) is reused.
	rm.snap.Store(emptySnapshot())
	rm.rebuildLocked()
}

// apply records changed products, keeping the newest version of each, and updates the snapshot:
// in place when no product moves in any order or index, by a rebuild otherwise.
func (rm *readModel) apply(ps ...Product) {
	if len(ps) == 0 {
		return
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	var changed []Product
	for _, p := range ps {
		if cur, ok := rm.products[p.ID]; ok && cur.Version >= p.Version {
			continue
		}
		rm.products[p.ID] = p
		changed = append(changed, p)
	}
	if len(changed) == 0 {
		return
	}
	if !rm.swapLocked(changed) {
		rm.rebuildLocked()
	}
}

// swapLocked replaces the entries of products whose place in every order and index is
// unchanged, and reports false (changing nothing) if any product would move.
func (rm *readModel) swapLocked(ps []Product) bool {
	cur := rm.current()
	if len(ps) > 64 {
		return false
	}
	next := make([]*entry, len(ps))
	for i, p := range ps {
		old := cur.entryOf(p.ID)
		if old == nil || p.Status == StatusArchived {
			return false
		}
		f, known := rm.faces[p.MakerID]
		prog, progKnown := rm.progs[p.ProgramID]
		e := rm.newEntry(p, f, known && progKnown, prog)
		if e.visible != old.visible || e.sortTime != old.sortTime || e.p.Price != old.p.Price ||
			e.p.Category != old.p.Category || e.p.ProgramID != old.p.ProgramID || e.p.MakerID != old.p.MakerID ||
			!slices.EqualFunc(e.p.Images, old.p.Images, func(a, b Image) bool { return a.ID == b.ID }) {
			return false
		}
		next[i] = e
	}
	for i, p := range ps {
		cur.all[p.ID].e.Store(next[i])
	}
	rm.snap.Store(&snapshot{all: cur.all, newest: cur.newest, priceAsc: cur.priceAsc, priceDesc: cur.priceDesc,
		byMaker: cur.byMaker, images: cur.images, categories: cur.categories, pages: &pageCache{}})
	return true
}

// setMaker records one maker (and their program) and rebuilds if their public face changed.
func (rm *readModel) setMaker(m programs.Maker, p programs.Program) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	rm.makers[m.ID] = m
	rm.progs[p.ID] = p
	if rm.facesChangedLocked() {
		rm.rebuildLocked()
	}
}

// setDirectory replaces the known makers and programs and rebuilds if any public face changed
// (consent given, withdrawn or expired; a program renamed or its share changed).
func (rm *readModel) setDirectory(makers []programs.Maker, progs []programs.Program) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	rm.setDirectoryLocked(makers, progs)
	if rm.facesChangedLocked() {
		rm.rebuildLocked()
	}
}

func (rm *readModel) setDirectoryLocked(makers []programs.Maker, progs []programs.Program) {
	rm.makers = make(map[string]programs.Maker, len(makers))
	for _, m := range makers {
		rm.makers[m.ID] = m
	}
	rm.progs = make(map[string]programs.Program, len(progs))
	dir := make([]programs.PublicProgram, 0, len(progs))
	for _, p := range progs {
		rm.progs[p.ID] = p
		dir = append(dir, p.Public())
	}
	slices.SortFunc(dir, func(a, b programs.PublicProgram) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	rm.directory.Store(&dir)
}

// programDirectory is every program's public face, by name.
func (rm *readModel) programDirectory() []programs.PublicProgram {
	if d := rm.directory.Load(); d != nil {
		return *d
	}
	return []programs.PublicProgram{}
}

// computeFaces works out every maker's public face at now.
func (rm *readModel) computeFaces() map[string]face {
	now := rm.now()
	out := make(map[string]face, len(rm.makers))
	for id, m := range rm.makers {
		prog, ok := rm.progs[m.ProgramID]
		if !ok {
			continue
		}
		pub := m.Public(prog, now)
		pub.Story = "" // stories belong on the maker's page, never on every product
		active := m.Status == "active"
		out[id] = face{pub: pub, active: active, photos: active && m.Consent.WorkPhotos.Active(now)}
	}
	return out
}

func (rm *readModel) facesChangedLocked() bool {
	f := rm.computeFaces()
	if len(f) != len(rm.faces) {
		return true
	}
	for id, v := range f {
		if old, ok := rm.faces[id]; !ok || old != v {
			return true
		}
	}
	return rm.sharesChangedLocked()
}

// sharesChangedLocked reports whether a program's share or processing days changed since the
// snapshot was built (the wage breakdown and the dispatch time every product shows depend on
// them).
func (rm *readModel) sharesChangedLocked() bool {
	for _, sl := range rm.current().all {
		e := sl.get()
		if prog := rm.progs[e.p.ProgramID]; prog.ProgramSharePercent != e.share || prog.DispatchDays() != e.dispatch {
			return true
		}
	}
	return false
}

// rebuildLocked builds a new snapshot from the products, makers and programs, reusing the
// entries (and their encoded JSON) of products whose version and maker face are unchanged.
func (rm *readModel) rebuildLocked() {
	old := rm.current()
	faces := rm.computeFaces()
	rm.faces = faces
	s := &snapshot{
		all:     make(map[string]*slot, len(rm.products)),
		byMaker: map[string][]*slot{},
		images:  map[string]*slot{},
		pages:   &pageCache{},
	}
	var visible []*entry
	cats := map[string]int{}
	for id, p := range rm.products {
		if p.Status == StatusArchived {
			continue
		}
		f, known := faces[p.MakerID]
		prog, progKnown := rm.progs[p.ProgramID]
		e := old.entryOf(id)
		if e == nil || e.p.Version != p.Version || e.pub.Maker != f.pub || e.photos != f.photos ||
			e.share != prog.ProgramSharePercent || e.dispatch != prog.DispatchDays() || e.visible != (p.Status == StatusPublished && known && f.active && progKnown) {
			e = rm.newEntry(p, f, known && progKnown, prog)
		}
		sl := newSlot(e)
		s.all[id] = sl
		for _, img := range p.Images {
			s.images[img.ID] = sl
		}
		if e.visible {
			visible = append(visible, e)
			cats[e.p.Category]++
		}
	}
	// Total orders (ties broken by time, then id), so unstable sorts give one answer.
	newestFirst := func(a, b *entry) int {
		if c := cmp.Compare(b.sortTime, a.sortTime); c != 0 {
			return c
		}
		return strings.Compare(a.p.ID, b.p.ID)
	}
	slots := func(es []*entry) []*slot {
		out := make([]*slot, len(es))
		for i, e := range es {
			out[i] = s.all[e.p.ID]
		}
		return out
	}
	slices.SortFunc(visible, newestFirst)
	s.newest = slots(visible)
	for _, e := range visible {
		// By the maker's public id: her public page asks by it, and never by her account id.
		s.byMaker[e.pub.Maker.ID] = append(s.byMaker[e.pub.Maker.ID], s.all[e.p.ID])
	}
	slices.SortFunc(visible, func(a, b *entry) int {
		if c := cmp.Compare(a.p.Price, b.p.Price); c != 0 {
			return c
		}
		return newestFirst(a, b)
	})
	s.priceAsc = slots(visible)
	slices.SortFunc(visible, func(a, b *entry) int {
		if c := cmp.Compare(b.p.Price, a.p.Price); c != 0 {
			return c
		}
		return newestFirst(a, b)
	})
	s.priceDesc = slots(visible)
	for name, n := range cats {
		s.categories = append(s.categories, CategoryCount{Name: name, Count: n})
	}
	slices.SortFunc(s.categories, func(a, b CategoryCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	rm.snap.Store(s)
}

func (rm *readModel) newEntry(p Product, f face, known bool, prog programs.Program) *entry {
	e := &entry{p: p, photos: f.photos, share: prog.ProgramSharePercent, dispatch: prog.DispatchDays(),
		visible: p.Status == StatusPublished && known && f.active}
	images := []Image{}
	if f.photos {
		images = append(images, p.Images...)
	}
	e.pub = PublicProduct{ID: p.ID, Title: p.Title, Description: p.Description, Category: p.Category,
		Price: p.Price, Currency: p.Currency, Stock: p.Stock, Images: images, Status: p.Status,
		Maker: f.pub, WageBreakdown: Breakdown(p.Price, p.MaterialsCost, prog.ProgramSharePercent, rm.fees()),
		PublishedAt: p.PublishedAt, MadeToOrder: p.MadeToOrder, LeadTimeDays: p.LeadTimeDays}
	if !p.MadeToOrder {
		e.pub.DispatchDays = e.dispatch
	}
	e.title = strings.ToLower(p.Title)
	e.desc = strings.ToLower(p.Description)
	e.cat = strings.ToLower(p.Category)
	if f.pub.DisplayName != programs.AnonymousName {
		e.maker = strings.ToLower(f.pub.DisplayName)
	}
	e.sortTime = p.PublishedAt.UnixNano()
	if p.PublishedAt.IsZero() {
		e.sortTime = p.CreatedAt.UnixNano()
	}
	return e
}

// search runs a normalized query against the snapshot and returns the page's entries and the
// total number of matches.
func (s *snapshot) search(q Query) ([]*entry, int) {
	terms := queryTerms(q.Q)
	base := s.newest
	switch q.Sort {
	case SortPriceAsc:
		base = s.priceAsc
	case SortPriceDesc:
		base = s.priceDesc
	}
	match := func(e *entry) bool {
		if !e.visible { // a slot swapped since this snapshot was built
			return false
		}
		return (q.Category == "" || e.p.Category == q.Category) &&
			(q.ProgramID == "" || e.p.ProgramID == q.ProgramID) &&
			e.p.Price >= q.MinPrice && (q.MaxPrice == 0 || e.p.Price <= q.MaxPrice)
	}
	from := (q.Page - 1) * q.PerPage
	if len(terms) == 0 {
		// Walk the presorted order: count every match, keep the page's.
		var out []*entry
		total := 0
		for _, sl := range base {
			e := sl.get()
			if !match(e) {
				continue
			}
			if total >= from && len(out) < q.PerPage {
				out = append(out, e)
			}
			total++
		}
		return out, total
	}
	type scored struct {
		e     *entry
		score int
	}
	var hits []scored
	phrase := strings.Join(terms, " ")
	for _, sl := range base {
		e := sl.get()
		if !match(e) {
			continue
		}
		if sc := score(e, terms, phrase); sc > 0 {
			hits = append(hits, scored{e, sc})
		}
	}
	if q.Sort == SortRelevance {
		// base is newest first, so a stable sort keeps newer products first among equals.
		slices.SortStableFunc(hits, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	}
	total := len(hits)
	if from >= total {
		return nil, total
	}
	hits = hits[from:min(total, from+q.PerPage)]
	out := make([]*entry, len(hits))
	for i, h := range hits {
		out[i] = h.e
	}
	return out, total
}

// queryTerms splits a lower-cased query into at most maxQueryTerms words.
func queryTerms(q string) []string {
	terms := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) })
	if len(terms) > maxQueryTerms {
		terms = terms[:maxQueryTerms]
	}
	return terms
}

// score ranks a product for the terms: every term must appear in the title, category, maker's
// public name or description; a word starting in the title counts most, the description least,
// and the whole phrase in the title adds a bonus. Zero means no match.
func score(e *entry, terms []string, phrase string) int {
	total := 0
	for _, t := range terms {
		best := 0
		switch {
		case wordPrefix(e.title, t):
			best = 10
		case strings.Contains(e.title, t):
			best = 6
		}
		if e.cat == t {
			best = max(best, 7)
		} else if strings.Contains(e.cat, t) {
			best = max(best, 5)
		}
		if e.maker != "" && wordPrefix(e.maker, t) {
			best = max(best, 5)
		}
		if best == 0 {
			if wordPrefix(e.desc, t) {
				best = 2
			} else if strings.Contains(e.desc, t) {
				best = 1
			}
		}
		if best == 0 {
			return 0
		}
		total += best
	}
	if len(terms) > 1 && strings.Contains(e.title, phrase) {
		total += 10
	}
	return total
}

// wordPrefix reports whether t occurs in s at the start of a word.
func wordPrefix(s, t string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], t)
		if i < 0 {
			return false
		}
		i += off
		if i == 0 {
			return true
		}
		if prev, _ := utf8.DecodeLastRuneInString(s[:i]); !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
			return true
		}
		off = i + len(t)
	}
}

// encodePage writes the JSON of a result page from the entries' pre-encoded JSON.
func encodePage(es []*entry, total int, q Query) []byte {
	n := 64
	for _, e := range es {
		n += len(e.json()) + 1
	}
	var b bytes.Buffer
	b.Grow(n)
	b.WriteString(`{"items":[`)
	for i, e := range es {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.json())
	}
	fmt.Fprintf(&b, `],"total":%d,"page":%d,"perPage":%d}`, total, q.Page, q.PerPage)
	return b.Bytes()
}
