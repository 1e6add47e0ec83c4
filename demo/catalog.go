package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/programs"
)

// productSeed is a demo product: what it is, how long it takes and what its materials cost.
// The price is worked out from the program's fair-wage floor, so every demo product clears it.
type productSeed struct {
	title, category, description string
	hours                        float64
	materials                    int64 // minor units
	stock                        int
	// leadDays > 0 makes it made to order: sold without stock, sent after so many days.
	leadDays int
}

// goods lists believable products per program (matched by the program's city).
var goods = map[string][]productSeed{
	"Kolkata": {
		{"Brass jhumka earrings", "jewellery", "Bell-shaped brass earrings with tiny hand-set beads, light enough for all-day wear.", 3, 18000, 8, 0},
		{"Terracotta bead necklace", "jewellery", "Hand-rolled terracotta beads, sun-dried and painted in earth reds, on a cotton cord.", 4, 9000, 6, 0},
		{"Dokra brass pendant", "jewellery", "A small owl cast by the lost-wax dokra method, on an adjustable black thread.", 5, 22000, 5, 0},
		{"Oxidised bangles, set of four", "jewellery", "Four slim bangles with a hand-chased leaf pattern and an antique finish.", 3.5, 16000, 10, 0},
		{"Seed-bead anklet pair", "jewellery", "Two anklets woven from glass seed beads with a brass hook clasp.", 2.5, 6000, 12, 0},
		{"Shell and brass hair pin", "accessories", "A brass pin topped with a cowrie shell, strong enough for a thick bun.", 1.5, 4000, 9, 0},
		{"Hand-painted wooden bangle", "jewellery", "Mango-wood bangle painted with a Kalighat-style fish motif and sealed.", 2, 5000, 7, 0},
		{"Jute and bead bracelet", "jewellery", "Braided jute with terracotta and glass beads; ties to fit any wrist.", 1.5, 3000, 15, 0},
		{"Kundan-style drop earrings", "jewellery", "Festive drop earrings with glass kundan stones set in gold-tone brass.", 4, 20000, 6, 0},
		{"Tribal coin choker", "jewellery", "A choker of hammered brass coins on a braided cotton band.", 5, 24000, 4, 0},
		{"Copper wire ring", "jewellery", "A ring of twisted copper wire around a single river stone.", 1, 2500, 14, 0},
		{"Beaded tassel keyring", "accessories", "A bright tassel of cotton thread and glass beads on a brass ring.", 1, 2000, 20, 0},
		{"Glass bead mala", "jewellery", "108 glass beads knotted by hand on silk thread, finished with a tassel.", 6, 12000, 5, 0},
		{"Brass leaf stud earrings", "jewellery", "Small hammered brass leaves on surgical-steel posts.", 2, 7000, 11, 0},
		{"Thread-wrapped hoop earrings", "jewellery", "Light hoops wrapped in silk thread in sunset colours.", 2, 4500, 10, 0},
		{"Recycled sari bead bracelet", "jewellery", "Beads rolled from offcuts of old silk saris, strung on elastic.", 2.5, 2500, 9, 0},
		{"Enamel peacock brooch", "accessories", "A brass peacock filled with blue and green enamel, with a safety clasp.", 4, 14000, 6, 0},
		{"Macramé and brass necklace", "jewellery", "Knotted cotton macramé framing a hammered brass disc.", 3.5, 8000, 7, 0},
	},
	"Mumbai": {
		{"Kantha-stitch tote bag", "bags", "A sturdy cotton tote layered from old saris and quilted with running kantha stitches.", 6, 15000, 8, 0},
		{"Block-print cushion cover", "home", "Cotton cover hand-block printed with an indigo jaal pattern; zip closure, 40 × 40 cm.", 2.5, 9000, 12, 0},
		{"Patchwork sling bag", "bags", "A cross-body bag pieced from cotton offcuts, lined, with an inside pocket.", 5, 12000, 6, 0},
		{"Embroidered cotton kurta", "clothing", "A soft cotton kurta with hand embroidery at the neck and cuffs, stitched to order.", 9, 35000, 0, 10},
		{"Quilted table runner", "home", "A 150 cm runner of quilted cotton in madder red and ivory.", 5, 14000, 5, 0},
		{"Upcycled denim backpack", "bags", "A roomy backpack cut from reclaimed denim, with padded straps.", 8, 18000, 4, 0},
		{"Hand-stitched coin purse", "accessories", "A small kantha purse with a brass kiss-lock frame.", 2, 5000, 15, 0},
		{"Ajrak-print scarf", "clothing", "A light cotton scarf printed in the Ajrak style with natural dyes.", 3, 11000, 9, 0},
		{"Zari-edged potli bag", "bags", "A drawstring potli in raw silk with a gold zari border, for weddings and festivals.", 3, 10000, 10, 0},
		{"Kantha baby blanket", "home", "Seven layers of soft old cotton quilted together: warm and washable.", 10, 20000, 3, 0},
		{"Appliqué elephant tote", "bags", "A canvas tote with a hand-stitched appliqué elephant.", 4, 10000, 8, 0},
		{"Block-print apron", "home", "A cotton apron with deep pockets and adjustable ties, block printed in rust.", 2.5, 8000, 10, 0},
		{"Embroidered spectacle case", "accessories", "A padded glasses case with chain-stitch flowers and a snap.", 1.5, 3500, 14, 0},
		{"Khadi shoulder bag", "bags", "A simple shoulder bag of handspun khadi with a long strap.", 3, 9000, 9, 0},
		{"Kantha-stitch throw", "home", "A generous throw of layered cotton saris, quilted edge to edge once you order it.", 14, 30000, 0, 21},
		{"Drawstring pouches, set of three", "accessories", "Three cotton pouches in graded sizes for travel or gifts.", 2, 4500, 16, 0},
		{"Mirror-work cushion cover", "home", "Cotton cover with hand-stitched shisha mirrors and a zip.", 4, 9000, 7, 0},
		{"Handloom cotton stole", "clothing", "A handloom stole with tasselled ends, soft from the first wear.", 3, 12000, 8, 0},
	},
}

// variants tell the bulk products apart in load tests.
var variants = []string{"Indigo", "Saffron", "Rust", "Teal", "Marigold", "Ivory", "Charcoal", "Rose",
	"Moss", "Plum", "Ochre", "Sky", "Jade", "Coral", "Sand", "Ruby"}

// fairPrice is a price a little above the lowest fair one, rounded to a shop-like figure
// (₹…49 or ₹…99).
func fairPrice(g productSeed, p programs.Program, fees catalog.FeeConfig) int64 {
	fair := catalog.LowestFairPrice(g.materials, g.hours, p, fees)
	return (fair*115/100/5000+1)*5000 - 100
}

// goodsFor returns the demo goods of a program, by city, falling back to the Kolkata list.
func goodsFor(p programs.Program) []productSeed {
	if g, ok := goods[p.City]; ok {
		return g
	}
	return goods["Kolkata"]
}

// listing is a demo product being listed: who makes it, who reviews it, and where it sits in
// its maker's three.
type listing struct {
	maker, coord accounts.Actor
	product      catalog.Product
	g            productSeed
	i, j         int // the maker's place in the program, the product's among hers
}

// seedCatalog lists three products for each demo maker, each with a drawn photo, through the
// real lifecycle: most are approved and published, two per program wait for review, and one
// per program was sent back with a reason, so every screen has something to show.
func seedCatalog(ctx context.Context, a *app.App) (map[string][]catalog.Product, error) {
	var all []listing
	for _, ps := range seeds {
		coordUser, err := a.Accounts.UserByLogin(ctx, ps.coordinator.Email)
		if err != nil {
			return nil, fmt.Errorf("coordinator %s: %w", ps.coordinator.Email, err)
		}
		coord := accounts.ActorOf(coordUser, "seed")
		if len(coord.ProgramIDs) == 0 {
			return nil, fmt.Errorf("coordinator %s has no program", ps.coordinator.Email)
		}
		prog, err := a.Programs.Registry().Program(ctx, coord.ProgramIDs[len(coord.ProgramIDs)-1])
		if err != nil {
			return nil, err
		}
		makers, err := a.Programs.Registry().Makers(ctx, []string{prog.ID})
		if err != nil {
			return nil, err
		}
		byName := map[string]programs.Maker{}
		for _, m := range makers {
			byName[m.DisplayName] = m
		}
		list := goodsFor(prog)
		for i, ms := range ps.makers {
			m, ok := byName[ms.display]
			if !ok {
				return nil, fmt.Errorf("demo maker %s not found in %s", ms.display, prog.Name)
			}
			u, err := a.Accounts.User(ctx, m.ID)
			if err != nil {
				return nil, err
			}
			maker := accounts.ActorOf(u, "seed")
			for j := range 3 {
				g := list[(i*3+j)%len(list)]
				p, err := a.Catalog.Create(ctx, maker, catalog.CreateInput{Title: g.title, Description: g.description,
					Category: g.category, Price: fairPrice(g, prog, a.Catalog.Fees), Currency: prog.Currency,
					Stock: g.stock, HoursOfWork: g.hours, MaterialsCost: g.materials, MadeToOrder: g.leadDays > 0, LeadTimeDays: g.leadDays})
				if err != nil {
					return nil, fmt.Errorf("product %q: %w", g.title, err)
				}
				all = append(all, listing{maker: maker, coord: coord, product: p, g: g, i: i, j: j})
			}
		}
	}
	if err := addPhotos(ctx, a, all); err != nil {
		return nil, err
	}
	published := map[string][]catalog.Product{}
	for _, l := range all {
		p, g := l.product, l.g
		if _, err := a.Catalog.Submit(ctx, l.maker, p.ID); err != nil {
			return nil, fmt.Errorf("submit %q: %w", g.title, err)
		}
		switch {
		case l.j == 2 && (l.i == 1 || l.i == 3): // waiting for the coordinator
		case l.j == 2 && l.i == 4:
			if _, err := a.Catalog.Reject(ctx, l.coord, p.ID, "Lovely work. Please add a photo that shows the clasp, then send it again."); err != nil {
				return nil, fmt.Errorf("reject %q: %w", g.title, err)
			}
		default:
			if _, err := a.Catalog.Approve(ctx, l.coord, p.ID, catalog.ReviewInput{}); err != nil {
				return nil, fmt.Errorf("approve %q: %w", g.title, err)
			}
			published[p.ProgramID] = append(published[p.ProgramID], p)
		}
	}
	return published, nil
}

// addPhotos draws each product's photo and uploads it as its maker, through the same path as a
// maker's own photo (re-encoded without metadata, in every rendition). Drawing and re-encoding
// are the slow part of seeding, so they run on every core (the catalog allows two at a time).
func addPhotos(ctx context.Context, a *app.App, all []listing) error {
	next := make(chan listing)
	errs := make(chan error, len(all))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 4) {
		wg.Go(func() {
			for l := range next {
				photo := productPhoto(l.g.title, l.g.category)
				if _, err := a.Catalog.AddImage(ctx, l.maker, l.product.ID, bytes.NewReader(photo)); err != nil {
					errs <- fmt.Errorf("photo of %q: %w", l.g.title, err)
				}
			}
		})
	}
	for _, l := range all {
		next <- l
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs // nil when there was none
}

// AddProducts adds n published products spread over the demo makers, for load tests. They are
// inserted in bulk through the store (thousands a second), not one request each.
func AddProducts(ctx context.Context, a *app.App, n int, out io.Writer) error {
	start := time.Now()
	makers, err := a.Programs.Registry().Makers(ctx, nil)
	if err != nil {
		return err
	}
	progs := map[string]programs.Program{}
	var active []programs.Maker
	for _, m := range makers {
		if m.Status != "active" {
			continue
		}
		if _, ok := progs[m.ProgramID]; !ok {
			p, err := a.Programs.Registry().Program(ctx, m.ProgramID)
			if err != nil {
				return err
			}
			progs[m.ProgramID] = p
		}
		active = append(active, m)
	}
	if len(active) == 0 {
		return errors.New("no makers to list products for: seed the demo data first")
	}
	now := time.Now().UTC()
	const chunk = 2000
	batch := make([]catalog.Product, 0, min(n, chunk))
	for i := range n {
		m := active[i%len(active)]
		prog := progs[m.ProgramID]
		list := goodsFor(prog)
		round := i / len(active)
		g := list[round%len(list)]
		colour := variants[(round/len(list))%len(variants)]
		at := now.Add(-time.Duration(i) * time.Minute)
		stock := g.stock + i%5
		batch = append(batch, catalog.Product{ID: accounts.NewID(), MakerID: m.ID, ProgramID: prog.ID,
			Title:       colour + " " + strings.ToLower(g.title[:1]) + g.title[1:],
			Description: g.description, Category: g.category,
			Price: fairPrice(g, prog, a.Catalog.Fees) + int64(i%7)*1000, Currency: prog.Currency,
			Stock: stock, HoursOfWork: g.hours, MaterialsCost: g.materials, Status: catalog.StatusPublished,
			Images: []catalog.Image{}, CreatedAt: at, UpdatedAt: now, PublishedAt: at, Version: 1})
		if len(batch) == chunk || i == n-1 {
			if err := a.Catalog.Import(ctx, batch); err != nil {
				return fmt.Errorf("add products: %w", err)
			}
			batch = batch[:0]
		}
	}
	fmt.Fprintf(out, "Added %d published products over %d makers in %s.\n", n, len(active), time.Since(start).Round(time.Millisecond))
	return nil
}
