package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store/storetest"
)

// twoInstances opens two catalog services on one database, as two instances behind a load
// balancer would be, with one published product of stock 10.
func twoInstances(t *testing.T) (a, b *catalog.Service, productID string) {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t)
	dir, err := programs.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	consent := programs.Consent{Granted: true, At: now, ExpiresAt: now.Add(programs.ConsentMaxAge)}
	if err := dir.InsertProgram(ctx, programs.Program{ID: "p1", Name: "Kolkata Jewellery Workshop", City: "Kolkata",
		Currency: "INR", LivingWageHourly: 9000, ProgramSharePercent: 10}); err != nil {
		t.Fatal(err)
	}
	if err := dir.InsertMaker(ctx, programs.Maker{ID: "m1", ProgramID: "p1", DisplayName: "Tara", Status: "active",
		Consent: programs.Consents{PublicProfile: consent, WorkPhotos: consent}}); err != nil {
		t.Fatal(err)
	}
	log, err := audit.NewLog(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	deps := catalog.Deps{Directory: dir, Audit: log, Gate: noTraining{}, Listings: noListings{}}
	if a, err = catalog.NewService(ctx, db, deps); err != nil {
		t.Fatal(err)
	}
	if b, err = catalog.NewService(ctx, db, deps); err != nil {
		t.Fatal(err)
	}
	now = now.Truncate(time.Millisecond)
	p := catalog.Product{ID: "prod1", MakerID: "m1", ProgramID: "p1", Title: "Brass jhumka earrings", Description: "Brass.",
		Category: "jewellery", Price: 60000, Currency: "INR", Stock: 10, HoursOfWork: 3, MaterialsCost: 18000,
		Status: catalog.StatusPublished, Images: []catalog.Image{}, CreatedAt: now, UpdatedAt: now, PublishedAt: now, Version: 1}
	if err := a.Import(ctx, []catalog.Product{p}); err != nil {
		t.Fatal(err)
	}
	return a, b, p.ID
}

func TestAnotherInstanceConvergesOnPoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b, id := twoInstances(t)
	if _, err := a.PublicProduct(ctx, id); err != nil {
		t.Fatalf("the writing instance does not see its write at once: %v", err)
	}
	if _, err := b.PublicProduct(ctx, id); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("before polling, the other instance already has it: %v", err)
	}
	if err := b.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PublicProduct(ctx, id); err != nil {
		t.Fatalf("after a poll: %v", err)
	}
	if err := a.HoldStock(ctx, id, "order1", 4); err != nil {
		t.Fatal(err)
	}
	if err := b.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := b.PublicProduct(ctx, id); p.Stock != 6 {
		t.Fatalf("stock on the other instance = %d, want 6", p.Stock)
	}
	// A poll that finds only its own instance's writes changes nothing and must not lose any.
	if err := a.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.PublicProduct(ctx, id); p.Stock != 6 {
		t.Fatalf("stock on the writing instance = %d, want 6", p.Stock)
	}
}

func TestHoldStockNeverOversells(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b, id := twoInstances(t)
	var ok, out atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := a
			if i%2 == 1 {
				svc = b
			}
			switch err := svc.HoldStock(ctx, id, fmt.Sprintf("order%d", i), 1); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, catalog.ErrOutOfStock):
				out.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || out.Load() != 20 {
		t.Fatalf("%d reserved, %d refused; want 10 and 20", ok.Load(), out.Load())
	}
	p, err := a.ForSale(ctx, id)
	if err != nil || p.Stock != 0 {
		t.Fatalf("stock %d (%v), want 0", p.Stock, err)
	}
	held, err := a.HeldStock(ctx)
	if err != nil || len(held) != 10 {
		t.Fatalf("%d holds recorded (%v), want 10", len(held), err)
	}
}

// Units held for an order are recorded with it in the same write: holding twice for one order
// takes nothing more, releasing gives them back once, settling keeps them sold, and the holds
// stay out of every public view.
func TestHoldsReleaseAndSettleOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, _, id := twoInstances(t)
	stock := func() int {
		t.Helper()
		p, err := a.Product(ctx, accounts.Actor{UserID: "admin", Role: accounts.RoleAdmin}, id)
		if err != nil {
			t.Fatal(err)
		}
		return p.Stock
	}
	for range 2 {
		if err := a.HoldStock(ctx, id, "orderA", 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.HoldStock(ctx, id, "orderB", 2); err != nil {
		t.Fatal(err)
	}
	if got := stock(); got != 5 {
		t.Fatalf("stock after holding 3 (twice, same order) and 2 = %d, want 5", got)
	}
	err := a.HoldStock(ctx, id, "orderC", 6)
	var fe *fault.Error
	if !errors.Is(err, catalog.ErrOutOfStock) || !errors.As(err, &fe) || fe.Details["available"] != 5 {
		t.Fatalf("holding 6 of 5 left: %v", err)
	}
	if err := a.HoldStock(ctx, id, "bad.id", 1); err == nil {
		t.Fatal("a hold id with a dot was accepted: it would become a field path")
	}
	for i, want := range []bool{true, false} {
		if ok, err := a.ReleaseHold(ctx, id, "orderA"); err != nil || ok != want {
			t.Fatalf("release %d: %v %v, want %v", i, ok, err, want)
		}
	}
	if got := stock(); got != 8 {
		t.Fatalf("stock after releasing orderA's 3 = %d, want 8", got)
	}
	for i, want := range []bool{true, false} {
		if ok, err := a.SettleHold(ctx, id, "orderB"); err != nil || ok != want {
			t.Fatalf("settle %d: %v %v, want %v", i, ok, err, want)
		}
	}
	if got := stock(); got != 8 {
		t.Fatalf("stock after settling orderB = %d, want 8 (sold units stay sold)", got)
	}
	if ok, err := a.ReleaseHold(ctx, id, "orderB"); err != nil || ok {
		t.Fatalf("releasing a settled hold: %v %v", ok, err)
	}
	held, err := a.HeldStock(ctx)
	if err != nil || len(held) != 0 {
		t.Fatalf("holds left: %v %v", held, err)
	}
	if err := a.HoldStock(ctx, id, "orderD", 1); err != nil {
		t.Fatal(err)
	}
	pub, err := a.PublicProduct(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(pub); strings.Contains(string(b), "orderD") || strings.Contains(string(b), "hold") {
		t.Fatalf("a public product shows its holds: %s", b)
	}
	// An edit of the product keeps the hold (the replace carries it).
	title := "Brass jhumka earrings, polished"
	maker := accounts.Actor{UserID: "u1", Role: accounts.RoleMaker, MakerID: "m1"}
	if _, err := a.Update(ctx, maker, id, catalog.UpdateInput{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if held, err := a.HeldStock(ctx); err != nil || len(held) != 1 || held[0].HoldID != "orderD" || held[0].Quantity != 1 {
		t.Fatalf("holds: %+v %v", held, err)
	}
}

type noListings struct{}

func (noListings) ListingToReview(context.Context, catalog.Product) error { return nil }

func TestNewServiceRefusesAMissingGate(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	dir, err := programs.NewRegistry(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.NewLog(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.NewService(ctx, db, catalog.Deps{Directory: dir, Audit: log, Listings: noListings{}}); err == nil ||
		!strings.Contains(err.Error(), "training gate") {
		t.Fatalf("a catalog without its training gate: %v", err)
	}
	if _, err := catalog.NewService(ctx, db, catalog.Deps{Directory: dir, Audit: log, Gate: noTraining{}}); err == nil {
		t.Fatal("a catalog without its listing notifier was built")
	}
}
