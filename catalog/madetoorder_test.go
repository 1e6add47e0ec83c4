package catalog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// A made-to-order product sells with no stock: holds, releases, settlements and restocks all
// succeed and leave its stock alone, and it is never sold out in the storefront.
func TestMadeToOrderSellsWithoutStock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustShop(t)
	in := s.input("Embroidered kantha quilt", s.standardPrice)
	in.Stock, in.MadeToOrder, in.LeadTimeDays = 0, true, 14
	p := mustCreate(t, s, s.maker, in)
	if !p.MadeToOrder || p.LeadTimeDays != 14 || p.Stock != 0 {
		t.Fatalf("created: %+v", p)
	}
	// A draft is not for sale, made to order or not.
	if err := s.cat.HoldStock(ctx, p.ID, "order0", 1); !errors.Is(err, catalog.ErrOutOfStock) {
		t.Fatalf("holding a made-to-order draft: %v", err)
	}
	if _, err := s.cat.Submit(ctx, s.maker, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{}); err != nil {
		t.Fatal(err)
	}
	stored := func() catalog.Product {
		t.Helper()
		got, err := s.cat.Product(ctx, s.maker, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for i, hold := range []string{"order1", "order2", "order3"} {
		if err := s.cat.HoldStock(ctx, p.ID, hold, 5+i); err != nil {
			t.Fatalf("hold %s of a made-to-order product with stock 0: %v", hold, err)
		}
	}
	if got := stored(); got.Stock != 0 || len(got.Holds) != 0 || got.HoldCount != 0 {
		t.Fatalf("after holding: stock %d, holds %v (%d)", got.Stock, got.Holds, got.HoldCount)
	}
	if held, err := s.cat.HeldStock(ctx); err != nil || len(held) != 0 {
		t.Fatalf("the sweeper sees holds: %v %v", held, err)
	}
	if ok, err := s.cat.SettleHold(ctx, p.ID, "order1"); err != nil || ok {
		t.Fatalf("settle: %v %v", ok, err)
	}
	if ok, err := s.cat.ReleaseHold(ctx, p.ID, "order2"); err != nil || ok {
		t.Fatalf("release: %v %v", ok, err)
	}
	if err := s.cat.ReleaseStock(ctx, p.ID, 3); err != nil {
		t.Fatalf("restock a refund: %v", err)
	}
	if got := stored(); got.Stock != 0 {
		t.Fatalf("stock after release and restock = %d, want 0", got.Stock)
	}
	sale, err := s.cat.ForSale(ctx, p.ID)
	if err != nil || !sale.MadeToOrder || sale.LeadTimeDays != 14 {
		t.Fatalf("for sale: %+v %v", sale, err)
	}
	pub, err := s.cat.PublicProduct(ctx, p.ID)
	if err != nil || !pub.MadeToOrder || pub.LeadTimeDays != 14 || pub.Available(10) != 10 || pub.DispatchDays != 0 {
		t.Fatalf("public: %+v %v", pub, err)
	}

	// Back to selling from stock (no review needed): stock rules apply again.
	no := false
	got, err := s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{MadeToOrder: &no})
	if err != nil || got.MadeToOrder || got.LeadTimeDays != 0 || got.Status != catalog.StatusPublished {
		t.Fatalf("switched to stock: %+v %v", got, err)
	}
	if err := s.cat.HoldStock(ctx, p.ID, "order4", 1); !errors.Is(err, catalog.ErrOutOfStock) {
		t.Fatalf("a stock product with 0 left: %v", err)
	}
	if pub, _ := s.cat.PublicProduct(ctx, p.ID); pub.MadeToOrder || pub.Available(10) != 0 {
		t.Fatalf("public after the switch: %+v", pub)
	}
}

func TestLeadTimeValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustShop(t)
	for _, tt := range []struct {
		name    string
		mto     bool
		days    int
		wantErr bool
		want    int
	}{
		{"made to order needs a lead time", true, 0, true, 0},
		{"negative", true, -1, true, 0},
		{"too long", true, 121, true, 0},
		{"one day", true, 1, false, 1},
		{"the longest", true, 120, false, 120},
		{"a stock product drops a lead time", false, 9, false, 0},
	} {
		in := s.input("Lead time "+tt.name, s.standardPrice)
		in.MadeToOrder, in.LeadTimeDays = tt.mto, tt.days
		p, err := s.cat.Create(ctx, s.maker, in)
		if tt.wantErr {
			if fe, ok := fault.As(err); !ok || fe.Kind != fault.Invalid || fe.Fields["leadTimeDays"] == "" {
				t.Errorf("%s: %v, want a field error on leadTimeDays", tt.name, err)
			}
			continue
		}
		if err != nil || p.LeadTimeDays != tt.want || p.MadeToOrder != tt.mto {
			t.Errorf("%s: %+v %v", tt.name, p, err)
		}
	}
	p := mustCreate(t, s, s.maker, s.input("Stock earrings", s.standardPrice))
	yes, zero, ten := true, 0, 10
	if _, err := s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{MadeToOrder: &yes}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("made to order without a lead time: %v", err)
	}
	got, err := s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{MadeToOrder: &yes, LeadTimeDays: &ten})
	if err != nil || !got.MadeToOrder || got.LeadTimeDays != 10 {
		t.Fatalf("made to order: %+v %v", got, err)
	}
	if _, err := s.cat.Update(ctx, s.maker, p.ID, catalog.UpdateInput{LeadTimeDays: &zero}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("lead time 0 on a made-to-order product: %v", err)
	}
}

// A stock product shows its program's processing days, and follows a change of them at once.
func TestStockProductsShowTheProgramsDispatchDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustShop(t)
	p := mustPublished(t, s, "Brass jhumka earrings")
	if pub, _ := s.cat.PublicProduct(ctx, p.ID); pub.DispatchDays != 0 {
		t.Fatalf("dispatch days without shipping settings: %d", pub.DispatchDays)
	}
	if _, err := s.progs.UpdateSettings(ctx, s.c1, s.p1.ID, programs.SettingsInput{Shipping: &programs.Shipping{ProcessingDays: 3}}); err != nil {
		t.Fatal(err)
	}
	if pub, _ := s.cat.PublicProduct(ctx, p.ID); pub.DispatchDays != 3 || pub.MadeToOrder {
		t.Fatalf("dispatch days after the program set 3: %+v", pub)
	}
}
