package catalog_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store/storetest"
)

var admin = accounts.Actor{UserID: "admin-1", Role: accounts.RoleAdmin}

// shop is the catalog wired to real programs, accounts and audit on one embedded store, with the
// hooks app/hooks.go connects (consent changes and erasure reach the catalog).
type shop struct {
	cat   *catalog.Service
	progs *programs.Service
	audit *audit.Log

	p1, p2            programs.Program
	c1, c2            accounts.Actor // coordinators of p1 and p2
	maker, other      accounts.Actor // makers of p1
	submitted         []string
	submittedMu       sync.Mutex
	lowestFair        int64 // for the standard product's materials and hours in p1
	standardPrice     int64
	standardHours     float64
	standardMaterials int64
}

func mustShop(tb testing.TB) *shop {
	tb.Helper()
	ctx := context.Background()
	db := storetest.New(tb)
	log, err := audit.NewLog(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := programs.NewRegistry(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	key, _ := fieldcrypt.ParseKey(fieldcrypt.NewKey())
	box, err := fieldcrypt.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := accounts.NewService(ctx, db, accounts.Deps{Box: box, Audit: log})
	if err != nil {
		tb.Fatal(err)
	}
	s := &shop{audit: log, standardPrice: 60000, standardHours: 3, standardMaterials: 18000}
	cat, err := catalog.NewService(ctx, db, catalog.Deps{Directory: reg, Audit: log, Gate: noTraining{}, Listings: s,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	progs, err := programs.NewService(programs.Deps{Registry: reg, Accounts: acc, Audit: log, Box: box,
		Storefront: cat, Catalog: cat, Training: noTraining{}})
	if err != nil {
		tb.Fatal(err)
	}
	s.cat, s.progs = cat, progs
	s.p1 = mustProgram(tb, progs, "Kolkata Jewellery Workshop", "Kolkata")
	s.p2 = mustProgram(tb, progs, "Mumbai Tailoring Workshop", "Mumbai")
	s.c1 = mustCoordinator(tb, progs, s.p1.ID, "c1@example.org")
	s.c2 = mustCoordinator(tb, progs, s.p2.ID, "c2@example.org")
	s.maker = mustMaker(tb, progs, s.c1, s.p1.ID, "Tara")
	s.other = mustMaker(tb, progs, s.c1, s.p1.ID, "Mina")
	s.lowestFair = catalog.LowestFairPrice(s.standardMaterials, s.standardHours, s.p1, cat.Fees)
	return s
}

func mustProgram(tb testing.TB, progs *programs.Service, name, city string) programs.Program {
	tb.Helper()
	p, err := progs.CreateProgram(context.Background(), admin, programs.CreateInput{Name: name, City: city,
		Country: "IN", Currency: "INR", LivingWageHourly: 9000})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func mustCoordinator(tb testing.TB, progs *programs.Service, programID, email string) accounts.Actor {
	tb.Helper()
	id, _, err := progs.AddCoordinator(context.Background(), admin, programID, programs.AddCoordinatorInput{Name: "Coordinator", Email: email})
	if err != nil {
		tb.Fatal(err)
	}
	return accounts.Actor{UserID: id, Role: accounts.RoleCoordinator, ProgramIDs: []string{programID}}
}

func mustMaker(tb testing.TB, progs *programs.Service, coord accounts.Actor, programID, name string) accounts.Actor {
	tb.Helper()
	in := programs.CreateMakerInput{DisplayName: name, LegalName: "Legal " + name}
	in.Consent = &struct {
		PublicProfile bool `json:"publicProfile"`
		Story         bool `json:"story"`
		WorkPhotos    bool `json:"workPhotos"`
	}{true, true, true}
	id, _, err := progs.CreateMaker(context.Background(), coord, programID, in)
	if err != nil {
		tb.Fatal(err)
	}
	return accounts.Actor{UserID: id, Role: accounts.RoleMaker, MakerID: id}
}

func (s *shop) input(title string, price int64) catalog.CreateInput {
	return catalog.CreateInput{Title: title, Description: "Hammered brass, made by hand.", Category: "Jewellery",
		Price: price, Currency: "inr", Stock: 3, HoursOfWork: s.standardHours, MaterialsCost: s.standardMaterials}
}

func mustCreate(tb testing.TB, s *shop, actor accounts.Actor, in catalog.CreateInput) catalog.Product {
	tb.Helper()
	p, err := s.cat.Create(context.Background(), actor, in)
	if err != nil {
		tb.Fatalf("create %q: %v", in.Title, err)
	}
	return p
}

// mustPublished lists, submits and approves a product of the maker.
func mustPublished(tb testing.TB, s *shop, title string) catalog.Product {
	tb.Helper()
	ctx := context.Background()
	p := mustCreate(tb, s, s.maker, s.input(title, s.standardPrice))
	if _, err := s.cat.Submit(ctx, s.maker, p.ID); err != nil {
		tb.Fatalf("submit: %v", err)
	}
	p, err := s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{})
	if err != nil {
		tb.Fatalf("approve: %v", err)
	}
	return p
}

func wantCode(tb testing.TB, err error, kind fault.Kind, code string) {
	tb.Helper()
	fe, ok := fault.As(err)
	if !ok || fe.Kind != kind || (code != "" && fe.Code != code) {
		tb.Fatalf("error %v, want kind %v code %q", err, kind, code)
	}
}

func (s *shop) visible(tb testing.TB, id string) bool {
	tb.Helper()
	_, err := s.cat.PublicProduct(context.Background(), id)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		tb.Fatal(err)
	}
	return err == nil
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustShop(t)

	p := mustCreate(t, s, s.maker, s.input("Brass jhumka earrings", s.standardPrice))
	if p.Status != catalog.StatusDraft || p.MakerID != s.maker.MakerID || p.ProgramID != s.p1.ID || p.Category != "jewellery" || p.Currency != "INR" {
		t.Fatalf("created: %+v", p)
	}
	if s.visible(t, p.ID) {
		t.Fatal("a draft is on the storefront")
	}

	steps := []struct {
		name   string
		do     func() (catalog.Product, error)
		status string // wanted status after the step; "" when the step must be refused
		kind   fault.Kind
		code   string
		public bool
	}{
		{name: "a maker cannot approve", do: func() (catalog.Product, error) { return s.cat.Approve(ctx, s.maker, p.ID, catalog.ReviewInput{}) },
			kind: fault.Forbidden, code: "forbidden"},
		{name: "a draft cannot be approved", do: func() (catalog.Product, error) { return s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{}) },
			kind: fault.Conflict, code: "not_pending"},
		{name: "submit", do: func() (catalog.Product, error) { return s.cat.Submit(ctx, s.maker, p.ID) }, status: catalog.StatusPendingReview},
		{name: "submit twice", do: func() (catalog.Product, error) { return s.cat.Submit(ctx, s.maker, p.ID) },
			kind: fault.Conflict, code: "already_submitted"},
		{name: "reject needs a reason", do: func() (catalog.Product, error) { return s.cat.Reject(ctx, s.c1, p.ID, " ") }, kind: fault.Invalid},
		{name: "another program's coordinator cannot reject", do: func() (catalog.Product, error) {
			return s.cat.Reject(ctx, s.c2, p.ID, "Please add a photo.")
		}, kind: fault.NotFound},
		{name: "reject", do: func() (catalog.Product, error) { return s.cat.Reject(ctx, s.c1, p.ID, "Please add the length.") }, status: catalog.StatusDraft},
		{name: "edit the draft", do: func() (catalog.Product, error) {
			d := "Hammered brass, 4 cm long."
			return s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{Description: &d})
		}, status: catalog.StatusDraft},
		{name: "submit again", do: func() (catalog.Product, error) { return s.cat.Submit(ctx, s.maker, p.ID) }, status: catalog.StatusPendingReview},
		{name: "another program's coordinator cannot approve", do: func() (catalog.Product, error) {
			return s.cat.Approve(ctx, s.c2, p.ID, catalog.ReviewInput{})
		}, kind: fault.NotFound},
		{name: "approve", do: func() (catalog.Product, error) { return s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{}) },
			status: catalog.StatusPublished, public: true},
		{name: "cannot reject a published product", do: func() (catalog.Product, error) { return s.cat.Reject(ctx, s.c1, p.ID, "Changed my mind.") },
			kind: fault.Conflict, code: "not_pending", public: true},
		{name: "a stock change keeps it published", do: func() (catalog.Product, error) {
			n := 7
			return s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{Stock: &n})
		}, status: catalog.StatusPublished, public: true},
		{name: "a new title sends it back to review", do: func() (catalog.Product, error) {
			title := "Brass jhumka earrings, large"
			return s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{Title: &title})
		}, status: catalog.StatusPendingReview},
		{name: "the currency is the program's", do: func() (catalog.Product, error) {
			c := "EUR"
			return s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{Currency: &c})
		}, kind: fault.Invalid},
		{name: "approve the change", do: func() (catalog.Product, error) { return s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{}) },
			status: catalog.StatusPublished, public: true},
		{name: "archive", do: func() (catalog.Product, error) { return s.cat.Archive(ctx, s.maker, p.ID) }, status: catalog.StatusArchived},
		{name: "an archived product cannot change", do: func() (catalog.Product, error) {
			n := 1
			return s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{Stock: &n})
		}, kind: fault.Conflict, code: "archived"},
		{name: "nor be submitted", do: func() (catalog.Product, error) { return s.cat.Submit(ctx, s.maker, p.ID) },
			kind: fault.Conflict, code: "archived"},
	}
	for _, st := range steps {
		before, err := s.cat.Product(ctx, s.c1, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.do()
		if st.status == "" {
			wantCode(t, err, st.kind, st.code)
			after, _ := s.cat.Product(ctx, s.c1, p.ID)
			if after.Version != before.Version || after.Status != before.Status {
				t.Fatalf("%s: refused, but the product changed from %+v to %+v", st.name, before, after)
			}
		} else if err != nil || got.Status != st.status {
			t.Fatalf("%s: status %q (%v), want %q", st.name, got.Status, err, st.status)
		}
		if vis := s.visible(t, p.ID); vis != st.public {
			t.Fatalf("%s: on the storefront = %v, want %v", st.name, vis, st.public)
		}
	}

	final, err := s.cat.Product(ctx, s.maker, p.ID)
	if err != nil || final.Stock != 7 || final.Title != "Brass jhumka earrings, large" || final.RejectReason != "" || final.PublishedAt.IsZero() {
		t.Fatalf("final product: %+v %v", final, err)
	}
	s.submittedMu.Lock()
	if len(s.submitted) != 2 || s.submitted[0] != p.ID || s.submitted[1] != p.ID {
		t.Fatalf("OnSubmitted told of %v, want the two submissions (an edit sent back to review is not one)", s.submitted)
	}
	s.submittedMu.Unlock()
	es, err := s.audit.List(ctx, audit.Query{ProgramIDs: []string{s.p1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	reviews := map[string]int{}
	for _, e := range es {
		if strings.HasPrefix(e.Action, "product.") {
			reviews[e.Action+":"+e.ActorRole]++
		}
	}
	if reviews["product.approve:coordinator"] != 2 || reviews["product.reject:coordinator"] != 1 || reviews["product.submit:maker"] != 0 {
		t.Fatalf("audited product actions: %v", reviews)
	}
}

func TestScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustShop(t)
	p := mustCreate(t, s, s.maker, s.input("Brass jhumka earrings", s.standardPrice))
	title := "Taken over"
	notFound := []struct {
		name string
		do   func() error
	}{
		{"c2 reads", func() error { _, err := s.cat.Product(ctx, s.c2, p.ID); return err }},
		{"another maker reads", func() error { _, err := s.cat.Product(ctx, s.other, p.ID); return err }},
		{"a buyer reads", func() error {
			_, err := s.cat.Product(ctx, accounts.Actor{UserID: "b", Role: accounts.RoleBuyer}, p.ID)
			return err
		}},
		{"c2 edits", func() error {
			_, err := s.cat.Update(ctx, s.c2, p.ID, catalog.UpdateInput{Title: &title})
			return err
		}},
		{"another maker edits", func() error {
			_, err := s.cat.Update(ctx, s.other, p.ID, catalog.UpdateInput{Title: &title})
			return err
		}},
		{"c2 submits", func() error { _, err := s.cat.Submit(ctx, s.c2, p.ID); return err }},
		{"c2 archives", func() error { _, err := s.cat.Archive(ctx, s.c2, p.ID); return err }},
		{"c2 grants a wage exception", func() error {
			_, err := s.cat.GrantWageException(ctx, s.c2, p.ID, "Training piece, sold at cost.")
			return err
		}},
		{"c2 lists the maker's products", func() error { _, err := s.cat.MakerProducts(ctx, s.c2, s.maker.MakerID); return err }},
		{"another maker lists them", func() error { _, err := s.cat.MakerProducts(ctx, s.other, s.maker.MakerID); return err }},
		{"c2 opens p1's review queue", func() error { _, err := s.cat.ReviewQueue(ctx, s.c2, s.p1.ID); return err }},
		{"c2 lists for p1's maker", func() error {
			in := s.input("Another", s.standardPrice)
			in.MakerID = s.maker.MakerID
			_, err := s.cat.Create(ctx, s.c2, in)
			return err
		}},
		{"a maker lists for another maker", func() error {
			in := s.input("Another", s.standardPrice)
			in.MakerID = s.maker.MakerID
			_, err := s.cat.Create(ctx, s.other, in)
			return err
		}},
		{"an unknown product", func() error { _, err := s.cat.Product(ctx, s.c1, "no-such-product"); return err }},
	}
	for _, tc := range notFound {
		t.Run(tc.name, func(t *testing.T) {
			if k := fault.KindOf(tc.do()); k != fault.NotFound {
				t.Fatalf("kind %v, want not found", k)
			}
		})
	}

	t.Run("in scope", func(t *testing.T) {
		for _, actor := range []accounts.Actor{s.maker, s.c1, admin} {
			if got, err := s.cat.Product(ctx, actor, p.ID); err != nil || got.ID != p.ID {
				t.Fatalf("%s reads: %v", actor.Role, err)
			}
		}
		if ps, err := s.cat.MakerProducts(ctx, s.c1, s.maker.MakerID); err != nil || len(ps) != 1 {
			t.Fatalf("c1 lists the maker's products: %d %v", len(ps), err)
		}
		if ps, err := s.cat.MakerProducts(ctx, s.other, s.other.MakerID); err != nil || len(ps) != 0 {
			t.Fatalf("the other maker's own list: %d %v", len(ps), err)
		}
	})

	t.Run("a coordinator lists for a maker of their program, audited for the maker", func(t *testing.T) {
		in := s.input("Kantha tote bag", s.standardPrice)
		in.MakerID = s.maker.MakerID
		q := mustCreate(t, s, s.c1, in)
		if _, err := s.cat.Submit(ctx, s.c1, q.ID); err != nil {
			t.Fatal(err)
		}
		queue, err := s.cat.ReviewQueue(ctx, s.c1, s.p1.ID)
		if err != nil || len(queue) != 1 || queue[0].ID != q.ID {
			t.Fatalf("review queue: %+v %v", queue, err)
		}
		es, err := s.audit.List(ctx, audit.Query{RecordID: s.maker.MakerID})
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, e := range es {
			if strings.HasPrefix(e.Action, "product.") && e.ForMakerID == s.maker.MakerID && e.ActorID == s.c1.UserID {
				acts = append(acts, e.Action)
			}
		}
		if strings.Join(acts, ",") != "product.submit,product.create" && strings.Join(acts, ",") != "product.create,product.submit" {
			t.Fatalf("coordinator's actions for the maker: %v", acts)
		}
		// A coordinator must say which maker, and the currency is the program's.
		if _, err := s.cat.Create(ctx, s.c1, s.input("No maker", s.standardPrice)); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("no maker id: %v", err)
		}
		in.Currency = "EUR"
		if _, err := s.cat.Create(ctx, s.c1, in); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("foreign currency: %v", err)
		}
	})
}

func TestFairWageFloor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustShop(t)
	if s.lowestFair <= 0 || s.lowestFair >= s.standardPrice {
		t.Fatalf("lowest fair price %d: the fixture is off", s.lowestFair)
	}
	tests := []struct {
		name  string
		price int64
		fair  bool
	}{
		{"well above", s.standardPrice, true},
		{"exactly the lowest fair price", s.lowestFair, true},
		{"one paisa below", s.lowestFair - 1, false},
		{"far below", 100, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCreate(t, s, s.maker, s.input("Earrings at "+tc.name, tc.price))
			v, err := s.cat.View(ctx, p)
			if err != nil || v.Wage.Fair != tc.fair || v.Wage.LowestFairPrice != s.lowestFair {
				t.Fatalf("wage view: %+v %v", v.Wage, err)
			}
			b := v.Wage.Breakdown
			if b.Maker+b.Materials+b.Program+b.Fees != tc.price {
				t.Fatalf("breakdown %+v does not add up to %d", b, tc.price)
			}
			got, err := s.cat.Submit(ctx, s.maker, p.ID)
			if tc.fair {
				if err != nil || got.Status != catalog.StatusPendingReview {
					t.Fatalf("fair price refused: %v", err)
				}
				return
			}
			wantCode(t, err, fault.Unprocessable, "below_living_wage")
			fe, _ := fault.As(err)
			if fe.Details["lowestFairPrice"] != s.lowestFair || fe.Fields["price"] == "" {
				t.Fatalf("the refusal does not say the lowest fair price: %+v", fe)
			}
			if cur, _ := s.cat.Product(ctx, s.maker, p.ID); cur.Status != catalog.StatusDraft {
				t.Fatalf("a refused submission changed the status to %s", cur.Status)
			}
		})
	}

	t.Run("a written exception lets a low price through, until the price changes", func(t *testing.T) {
		p := mustCreate(t, s, s.maker, s.input("Training piece", s.lowestFair-1000))
		if _, err := s.cat.GrantWageException(ctx, s.maker, p.ID, "Training piece, sold at cost."); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("a maker grants her own exception: %v", err)
		}
		if _, err := s.cat.GrantWageException(ctx, s.c1, p.ID, "short"); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("an exception without a real reason: %v", err)
		}
		if _, err := s.cat.GrantWageException(ctx, s.c1, p.ID, "Training piece, sold at cost."); err != nil {
			t.Fatal(err)
		}
		if _, err := s.cat.Submit(ctx, s.maker, p.ID); err != nil {
			t.Fatalf("submit with an exception: %v", err)
		}
		if _, err := s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{}); err != nil {
			t.Fatalf("approve with an exception: %v", err)
		}
		lower := s.lowestFair - 2000
		got, err := s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{Price: &lower})
		if err != nil || got.Status != catalog.StatusPendingReview || got.WageException != "" {
			t.Fatalf("after a price change: %+v %v", got, err)
		}
		if s.visible(t, p.ID) {
			t.Fatal("the re-priced product stayed on the storefront before review")
		}
		_, err = s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{})
		wantCode(t, err, fault.Unprocessable, "below_living_wage")
		if _, err := s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{WageException: "Training piece, sold at cost again."}); err != nil {
			t.Fatalf("approve with an exception given at review: %v", err)
		}
	})

	t.Run("a raised living wage applies to the next review", func(t *testing.T) {
		p := mustCreate(t, s, s.maker, s.input("Earrings before the raise", s.lowestFair))
		wage := int64(20000)
		if _, err := s.progs.UpdateSettings(ctx, s.c1, s.p1.ID, programs.SettingsInput{LivingWageHourly: &wage}); err != nil {
			t.Fatal(err)
		}
		_, err := s.cat.Submit(ctx, s.maker, p.ID)
		wantCode(t, err, fault.Unprocessable, "below_living_wage")
	})
}

func TestStock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustShop(t)
	p := mustPublished(t, s, "Brass jhumka earrings") // stock 3
	publicStock := func() int {
		t.Helper()
		pub, err := s.cat.PublicProduct(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return pub.Stock
	}
	if err := s.cat.HoldStock(ctx, p.ID, "order1", 2); err != nil {
		t.Fatal(err)
	}
	if got := publicStock(); got != 1 {
		t.Fatalf("storefront stock after holding 2 of 3 = %d", got)
	}
	err := s.cat.HoldStock(ctx, p.ID, "order2", 2)
	if !errors.Is(err, catalog.ErrOutOfStock) {
		t.Fatalf("holding 2 of 1 left: %v", err)
	}
	if fe, _ := fault.As(err); fe == nil || fe.Details["available"] != 1 || !strings.Contains(fe.Message, "only 1 left") {
		t.Fatalf("the refusal does not say what is left: %v", err)
	}
	if err := s.cat.HoldStock(ctx, p.ID, "order3", 0); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("holding 0: %v", err)
	}
	if err := s.cat.ReleaseStock(ctx, p.ID, 2); err != nil {
		t.Fatal(err)
	}
	if got := publicStock(); got != 3 {
		t.Fatalf("after restocking 2: %d", got)
	}
	n := 0
	if got, err := s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{Stock: &n}); err != nil || got.Status != catalog.StatusPublished {
		t.Fatalf("sold out by the maker: %+v %v", got, err)
	}
	if got := publicStock(); got != 0 {
		t.Fatalf("after setting stock 0: %d", got)
	}
	if err := s.cat.HoldStock(ctx, p.ID, "order4", 1); !errors.Is(err, catalog.ErrOutOfStock) {
		t.Fatalf("holding a sold-out product: %v", err)
	}
	// A draft is never for sale, whatever its stock.
	d := mustCreate(t, s, s.maker, s.input("Draft earrings", s.standardPrice))
	if err := s.cat.HoldStock(ctx, d.ID, "order5", 1); !errors.Is(err, catalog.ErrOutOfStock) {
		t.Fatalf("holding a draft: %v", err)
	}
	if _, err := s.cat.ForSale(ctx, d.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("a draft for sale: %v", err)
	}
	neg := -1
	if _, err := s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{Stock: &neg}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("negative stock: %v", err)
	}
}

// Withdrawing the public-profile consent takes the maker's name off every product at once,
// including pages the storefront had already cached; an erasure takes the products off sale.
func TestReadModelFollowsConsentAndErasure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustShop(t)
	p := mustPublished(t, s, "Brass jhumka earrings")
	pub, err := s.cat.PublicProduct(ctx, p.ID)
	if err != nil || pub.Maker.DisplayName != "Tara" || pub.Maker.Program.Name != s.p1.Name {
		t.Fatalf("public product: %+v %v", pub, err)
	}
	if page, err := s.cat.Search(ctx, catalog.Query{Q: "tara"}); err != nil || page.Total != 1 {
		t.Fatalf("search by the maker's name: %+v %v", page, err)
	}
	cached, err := s.cat.SearchJSON(ctx, catalog.Query{}, "")
	if err != nil || !strings.Contains(string(cached), `"Tara"`) {
		t.Fatalf("cached page: %s %v", cached, err)
	}

	named := pub.Maker.ID
	no := false
	if _, err := s.progs.SetConsent(ctx, s.maker, s.maker.MakerID, programs.ConsentInput{PublicProfile: &no}); err != nil {
		t.Fatal(err)
	}
	pub, err = s.cat.PublicProduct(ctx, p.ID)
	if err != nil || pub.Maker.DisplayName != programs.AnonymousName {
		t.Fatalf("after withdrawal the product shows %q (%v)", pub.Maker.DisplayName, err)
	}
	if page, err := s.cat.Search(ctx, catalog.Query{Q: "tara"}); err != nil || page.Total != 0 {
		t.Fatalf("after withdrawal a search by her name finds %d", page.Total)
	}
	if b, err := s.cat.SearchJSON(ctx, catalog.Query{}, ""); err != nil || strings.Contains(string(b), "Tara") {
		t.Fatalf("after withdrawal the cached page still names her: %s %v", b, err)
	}
	if b, _ := s.cat.CachedPage(""); strings.Contains(string(b), "Tara") {
		t.Fatalf("the raw-query alias still serves the old page: %s", b)
	}
	if got := s.cat.MakerPublicProducts(ctx, pub.Maker.ID); len(got) != 1 || got[0].Maker.DisplayName != programs.AnonymousName {
		t.Fatalf("maker page products: %+v", got)
	}
	// Her page is found by her public id, never by her account id, and the id she was shown
	// under before the withdrawal is retired.
	if pub.Maker.ID == s.maker.MakerID || len(s.cat.MakerPublicProducts(ctx, s.maker.MakerID)) != 0 {
		t.Fatalf("products are found by the maker's account id (public id %q)", pub.Maker.ID)
	}
	if named != "" && (named == pub.Maker.ID || len(s.cat.MakerPublicProducts(ctx, named)) != 0) {
		t.Fatalf("the public id she was named under (%s) still lists her products", named)
	}

	if err := s.progs.Erase(ctx, s.maker, s.maker.MakerID, programs.EraseInput{Confirm: "ERASE"}); err != nil {
		t.Fatal(err)
	}
	if s.visible(t, p.ID) {
		t.Fatal("an erased maker's product is still on the storefront")
	}
	got, err := s.cat.Product(ctx, s.c1, p.ID)
	if err != nil || got.Status != catalog.StatusArchived || got.Title != catalog.ErasedTitle || got.Description != "" {
		t.Fatalf("erased maker's product: %+v %v", got, err)
	}
	if _, err := s.cat.ForSale(ctx, p.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("an erased maker's product is for sale: %v", err)
	}
	if page, err := s.cat.Search(ctx, catalog.Query{}); err != nil || page.Total != 0 {
		t.Fatalf("storefront after erasure: %d products", page.Total)
	}
}

// ListingToReview records the listings coordinators would be told of.
func (s *shop) ListingToReview(_ context.Context, p catalog.Product) error {
	s.submittedMu.Lock()
	defer s.submittedMu.Unlock()
	s.submitted = append(s.submitted, p.ID)
	return nil
}

// noTraining stands in for the training domain: no category needs a track, and a maker's
// erasure has no training part to erase. The real gate is tested with the whole app in api/.
type noTraining struct{}

func (noTraining) MissingTraining(context.Context, string, string, string) (string, error) {
	return "", nil
}

func (noTraining) EraseMaker(context.Context, accounts.Actor, string) error { return nil }
