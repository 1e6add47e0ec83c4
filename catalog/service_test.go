package catalog_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fairhands/marketplace/catalog"
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
	if a, err = catalog.NewService(ctx, db, dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	if b, err = catalog.NewService(ctx, db, dir, nil, nil); err != nil {
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
	if err := a.ReserveStock(ctx, id, 4); err != nil {
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

func TestReserveStockNeverOversells(t *testing.T) {
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
			switch err := svc.ReserveStock(ctx, id, 1); {
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
}
