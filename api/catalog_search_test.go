package api_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
)

// searchCatalog imports n products over the shop's three makers: three in four published, the
// rest drafts or waiting for review. Every tenth has "jhumka" in its title and every tenth
// (offset five) only in its description, to test ranking.
func searchCatalog(t *testing.T, s *shop, n int) []catalog.Product {
	t.Helper()
	cats := []string{"jewellery", "bags", "home", "clothing"}
	adjs := []string{"Brass", "Indigo", "Kantha", "Terracotta", "Block-print"}
	nouns := []string{"earrings", "tote", "cushion cover", "necklace", "scarf", "pouch", "bangle"}
	makers := []struct{ id, program string }{{s.m1, s.p1}, {s.m2, s.p1}, {s.m3, s.p2}}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ps []catalog.Product
	for i := range n {
		m := makers[i%3]
		title := fmt.Sprintf("%s %s no. %d", adjs[i%5], nouns[i%7], i)
		desc := "Made by hand in the workshop."
		switch i % 10 {
		case 0:
			title = "Jhumka " + title
		case 5:
			desc = "Pairs well with a jhumka."
		}
		status := catalog.StatusPublished
		switch i % 8 {
		case 3:
			status = catalog.StatusDraft
		case 7:
			status = catalog.StatusPendingReview
		}
		at := base.Add(time.Duration(i) * time.Minute)
		ps = append(ps, catalog.Product{ID: accounts.NewID(), MakerID: m.id, ProgramID: m.program, Title: title,
			Description: desc, Category: cats[i%4], Price: 10000 + int64(i*7919%90000), Currency: "INR", Stock: i % 6,
			HoursOfWork: 1, MaterialsCost: 1000, Status: status, Images: []catalog.Image{}, CreatedAt: at, UpdatedAt: at,
			PublishedAt: at, Version: 1})
	}
	if err := s.e.App.Catalog.Import(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	return ps
}

type page struct {
	Items []struct {
		ID       string `json:"id"`
		Price    int64  `json:"price"`
		Category string `json:"category"`
		Status   string `json:"status"`
		Maker    struct {
			ID      string `json:"id"`
			Program struct {
				ID string `json:"id"`
			} `json:"program"`
		} `json:"maker"`
	} `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"perPage"`
}

func (s *shop) search(t *testing.T, query string) page {
	t.Helper()
	r := s.e.Must(http.StatusOK, "GET", "/api/v1/products?"+query, "", nil)
	var p page
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// allIDs walks every page of a query and returns the ids in order.
func (s *shop) allIDs(t *testing.T, query string, perPage int) ([]string, int) {
	t.Helper()
	var ids []string
	total := -1
	for pg := 1; ; pg++ {
		p := s.search(t, fmt.Sprintf("%s&page=%d&perPage=%d", query, pg, perPage))
		if total >= 0 && p.Total != total {
			t.Fatalf("total changed between pages: %d → %d", total, p.Total)
		}
		total = p.Total
		if p.Page != pg || p.PerPage != perPage {
			t.Fatalf("page %d/%d echoed as %d/%d", pg, perPage, p.Page, p.PerPage)
		}
		for _, it := range p.Items {
			if it.Status != "published" {
				t.Fatalf("unpublished product listed: %+v", it)
			}
			ids = append(ids, it.ID)
		}
		if len(p.Items) < perPage {
			return ids, total
		}
	}
}

func TestStorefrontSearch(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	all := searchCatalog(t, s, 480)
	var published []catalog.Product
	for _, p := range all {
		if p.Status == catalog.StatusPublished {
			published = append(published, p)
		}
	}
	newest := func(a, b catalog.Product) int { return b.PublishedAt.Compare(a.PublishedAt) }
	expect := func(keep func(catalog.Product) bool, order func(a, b catalog.Product) int) []string {
		var out []catalog.Product
		for _, p := range published {
			if keep(p) {
				out = append(out, p)
			}
		}
		slices.SortStableFunc(out, newest)
		slices.SortStableFunc(out, order)
		ids := make([]string, len(out))
		for i, p := range out {
			ids[i] = p.ID
		}
		return ids
	}
	everything := func(catalog.Product) bool { return true }
	none := func(a, b catalog.Product) int { return 0 }
	byPrice := func(a, b catalog.Product) int { return cmp.Compare(a.Price, b.Price) }

	for _, tc := range []struct {
		name  string
		query string
		keep  func(catalog.Product) bool
		order func(a, b catalog.Product) int
	}{
		{"everything, newest first", "", everything, none},
		{"sort=newest", "sort=newest", everything, none},
		{"price ascending", "sort=price_asc", everything, byPrice},
		{"price descending", "sort=price_desc", everything, func(a, b catalog.Product) int { return byPrice(b, a) }},
		{"one category", "category=Bags", func(p catalog.Product) bool { return p.Category == "bags" }, none},
		{"one program", "program=" + s.p2, func(p catalog.Product) bool { return p.ProgramID == s.p2 }, none},
		{"price range, inclusive", "minPrice=30000&maxPrice=60000&sort=price_asc",
			func(p catalog.Product) bool { return p.Price >= 30000 && p.Price <= 60000 }, byPrice},
		{"category, program and minimum together", "category=home&program=" + s.p1 + "&minPrice=50000&sort=price_desc",
			func(p catalog.Product) bool { return p.Category == "home" && p.ProgramID == s.p1 && p.Price >= 50000 },
			func(a, b catalog.Product) int { return byPrice(b, a) }},
		{"a word anywhere, newest first", "q=tote&sort=newest", func(p catalog.Product) bool {
			return strings.Contains(strings.ToLower(p.Title+" "+p.Description+" "+p.Category), "tote")
		}, none},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := expect(tc.keep, tc.order)
			for _, perPage := range []int{100, 37} {
				got, total := s.allIDs(t, tc.query, perPage)
				if total != len(want) || !slices.Equal(got, want) {
					t.Fatalf("perPage %d: got %d (total %d), want %d\n got %v\nwant %v", perPage, len(got), total, len(want), head(got), head(want))
				}
			}
		})
	}

	t.Run("relevance: title matches first, case-insensitive", func(t *testing.T) {
		inTitle := expect(func(p catalog.Product) bool { return strings.Contains(p.Title, "Jhumka") }, none)
		inDesc := expect(func(p catalog.Product) bool { return strings.Contains(p.Description, "jhumka") }, none)
		want := append(slices.Clone(inTitle), inDesc...)
		for _, q := range []string{"q=jhumka", "q=JHUMKA", "q=%20Jhumka%20&sort=relevance"} {
			got, total := s.allIDs(t, q, 100)
			if total != len(want) || !slices.Equal(got, want) {
				t.Fatalf("%s: got %d, want %d title then %d description matches", q, len(got), len(inTitle), len(inDesc))
			}
		}
	})
	t.Run("every word must match", func(t *testing.T) {
		want := expect(func(p catalog.Product) bool {
			return strings.Contains(p.Title, "Indigo") && strings.Contains(p.Title, "tote")
		}, none)
		got, _ := s.allIDs(t, "q=indigo+tote", 100)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("got %d, want %d", len(got), len(want))
		}
		if p := s.search(t, "q=indigo+zzzz"); p.Total != 0 {
			t.Fatalf("a word that matches nothing still found %d", p.Total)
		}
	})
	t.Run("the maker's public name matches, a withdrawn one does not", func(t *testing.T) {
		ctx := context.Background()
		_ = s.e.RawPrograms().SetMaker(ctx, s.m1, bson.M{"displayName": "Tarabai"})
		_ = s.e.RawPrograms().SetMaker(ctx, s.m2, bson.M{"displayName": "Mitali", "consent.publicProfile.granted": false})
		for _, m := range []string{s.m1, s.m2} {
			if err := s.e.App.Catalog.InvalidateMaker(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		want := expect(func(p catalog.Product) bool { return p.MakerID == s.m1 }, none)
		got, _ := s.allIDs(t, "q=tarabai", 100)
		if !slices.Equal(got, want) {
			t.Fatalf("by maker name: got %d, want %d", len(got), len(want))
		}
		if p := s.search(t, "q=mitali"); p.Total != 0 {
			t.Fatalf("a maker without public-profile consent is found by name: %d", p.Total)
		}
	})
	t.Run("paging limits and defaults", func(t *testing.T) {
		p := s.search(t, "perPage=500")
		if p.PerPage != 100 || len(p.Items) != 100 {
			t.Fatalf("perPage=500 gave %d items, perPage %d", len(p.Items), p.PerPage)
		}
		p = s.search(t, "")
		if p.Page != 1 || p.PerPage != catalog.DefaultPerPage || len(p.Items) != catalog.DefaultPerPage || p.Total != len(published) {
			t.Fatalf("defaults: page %d perPage %d items %d total %d", p.Page, p.PerPage, len(p.Items), p.Total)
		}
		if p := s.search(t, "page=999"); len(p.Items) != 0 || p.Total != len(published) {
			t.Fatalf("past the end: %d items, total %d", len(p.Items), p.Total)
		}
	})
	t.Run("bad parameters are 400s naming the parameter", func(t *testing.T) {
		for q, field := range map[string]string{"sort=cheapest": "sort", "page=abc": "page", "perPage=-5": "perPage",
			"minPrice=-1": "minPrice", "minPrice=500&maxPrice=100": "maxPrice", "maxPrice=1.5": "maxPrice"} {
			r := s.e.Must(http.StatusBadRequest, "GET", "/api/v1/products?"+q, "", nil)
			if errOf(r)["fields"].(map[string]any)[field] == nil {
				t.Errorf("%s: %s not named: %s", q, field, r.Body)
			}
		}
	})
	t.Run("categories with counts", func(t *testing.T) {
		r := s.e.Must(http.StatusOK, "GET", "/api/v1/categories", "", nil)
		want := map[string]float64{}
		for _, p := range published {
			want[p.Category]++
		}
		items := r.JSON["items"].([]any)
		if len(items) != len(want) {
			t.Fatalf("categories: %s", r.Body)
		}
		last := 1e9
		for _, it := range items {
			c := it.(map[string]any)
			if c["count"].(float64) != want[c["name"].(string)] || c["count"].(float64) > last {
				t.Fatalf("categories (want counts %v, most first): %s", want, r.Body)
			}
			last = c["count"].(float64)
		}
	})
}

func head(ids []string) []string { return ids[:min(len(ids), 5)] }
