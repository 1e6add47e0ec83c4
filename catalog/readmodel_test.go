package catalog

import (
	"fmt"
	"testing"
	"time"

	"github.com/fairhands/marketplace/programs"
)

// benchModel is a read model of n published products over 12 makers in two programs, built in
// memory (the database is not what these benchmarks measure).
func benchModel(tb testing.TB, n int) *Service {
	tb.Helper()
	s := &Service{Fees: DefaultFees}
	s.rm = newReadModel(func() FeeConfig { return s.Fees }, s.now)
	now := time.Now().UTC()
	consent := programs.Consent{Granted: true, ExpiresAt: now.Add(time.Hour)}
	progs := []programs.Program{
		{ID: "p1", Name: "Kolkata Jewellery Workshop", City: "Kolkata", Currency: "INR", LivingWageHourly: 9000, ProgramSharePercent: 10},
		{ID: "p2", Name: "Mumbai Tailoring Workshop", City: "Mumbai", Currency: "INR", LivingWageHourly: 8500, ProgramSharePercent: 10},
	}
	var makers []programs.Maker
	for i := range 12 {
		makers = append(makers, programs.Maker{ID: fmt.Sprintf("m%d", i), ProgramID: progs[i%2].ID, DisplayName: fmt.Sprintf("Maker %d", i),
			Status: "active", Consent: programs.Consents{PublicProfile: consent, WorkPhotos: consent}})
	}
	titles := []string{"Brass jhumka earrings", "Kantha-stitch tote bag", "Terracotta bead necklace", "Block-print cushion cover"}
	cats := []string{"jewellery", "bags", "jewellery", "home"}
	ps := make([]Product, n)
	for i := range ps {
		m := makers[i%len(makers)]
		at := now.Add(-time.Duration(i) * time.Minute)
		ps[i] = Product{ID: fmt.Sprintf("prod%06d", i), MakerID: m.ID, ProgramID: m.ProgramID,
			Title: fmt.Sprintf("%s no. %d", titles[i%4], i), Description: "Made by hand in the workshop, with care.",
			Category: cats[i%4], Price: 20000 + int64(i*7919%80000), Currency: "INR", Stock: i % 9, HoursOfWork: 2,
			MaterialsCost: 5000, Status: StatusPublished, Images: []Image{{ID: fmt.Sprintf("img%d", i), URL: "/api/v1/images/x/640", Widths: []int{320, 640}, Width: 640, Height: 480}},
			CreatedAt: at, UpdatedAt: at, PublishedAt: at, Version: 1}
	}
	s.rm.reset(ps, makers, progs)
	return s
}

func TestSearchRanksTitleAboveDescription(t *testing.T) {
	s := benchModel(t, 200)
	page, err := s.Search(t.Context(), Query{Q: "JHUMKA", PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 50 {
		t.Fatalf("total %d, want 50", page.Total)
	}
	for i := 1; i < len(page.Items); i++ {
		if page.Items[i].PublishedAt.After(page.Items[i-1].PublishedAt) {
			t.Fatal("equal scores are not newest first")
		}
	}
}

// BenchmarkSearch measures the storefront's work per request with 10,000 published products:
// a cached page (the common case between writes), a page computed afresh, and a text query.
func BenchmarkSearch(b *testing.B) {
	s := benchModel(b, 10_000)
	ctx := b.Context()
	b.Run("cached default page", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.SearchJSON(ctx, Query{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached filtered page", func(b *testing.B) {
		q, _ := Query{Category: "jewellery", MinPrice: 30000, Sort: SortPriceAsc, Page: 3}.normalize()
		for b.Loop() {
			es, total := s.rm.current().search(q)
			_ = encodePage(es, total, q)
		}
	})
	b.Run("uncached text query", func(b *testing.B) {
		q, _ := Query{Q: "brass earrings"}.normalize()
		for b.Loop() {
			es, total := s.rm.current().search(q)
			_ = encodePage(es, total, q)
		}
	})
	b.Run("a sale (stock change) applied", func(b *testing.B) {
		p := s.rm.current().newest[0].get().p
		for b.Loop() {
			p.Version++
			p.Stock = int(p.Version % 7)
			s.rm.apply(p)
		}
	})
	b.Run("a price change applied (full rebuild)", func(b *testing.B) {
		p := s.rm.current().newest[0].get().p
		for b.Loop() {
			p.Version++
			p.Price = 20000 + p.Version%5000
			s.rm.apply(p)
		}
	})
}
