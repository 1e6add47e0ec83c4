package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
)

// eraseWorld is newPayWorld (test-payment mode) with products of maker A to erase and one of a
// second maker of the same program that must come through untouched.
type eraseWorld struct {
	*payWorld
	m2, m2t string
}

func newEraseWorld(t *testing.T) *eraseWorld {
	t.Helper()
	w := &eraseWorld{payWorld: newPayWorld(t, false)}
	w.m2, w.m2t = w.e.Maker(w.pA, w.cA)
	return w
}

// listing creates a product with one photo; with publish it is submitted and approved, and the
// photo's URLs (one per width) are returned.
func (w *eraseWorld) listing(makerTok, title, description string, stock int, publish bool) (string, []string) {
	w.t.Helper()
	r := w.e.Must(http.StatusCreated, "POST", "/api/v1/products", makerTok, map[string]any{
		"title": title, "description": description, "category": "Jewellery",
		"price": 60000, "currency": "INR", "stock": stock, "hoursOfWork": 3, "materialsCost": 18000})
	id := r.Str("id")
	up := upload(w.e, id, makerTok, "image", photoWithGPS(w.t, 400, 300))
	if up.Status != http.StatusCreated {
		w.t.Fatalf("upload: %d %s", up.Status, up.Body)
	}
	var urls []string
	for _, width := range up.JSON["widths"].([]any) {
		urls = append(urls, catalog.ImageURL(up.Str("id"), int(width.(float64))))
	}
	if publish {
		w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", makerTok, nil)
		w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", w.cA, nil)
	}
	return id, urls
}

// stored loads a product straight from the database.
func (w *eraseWorld) stored(id string) catalog.Product {
	w.t.Helper()
	p, err := w.e.RawProducts().ByID(context.Background(), id)
	if err != nil {
		w.t.Fatalf("load product %s: %v", id, err)
	}
	return p
}

// files counts the GridFS files and chunks stored for a product's photos.
func (w *eraseWorld) files(productID string) (files, chunks int64) {
	w.t.Helper()
	ctx := context.Background()
	cur, err := w.e.DB.Read("images.files").Find(ctx, bson.M{"metadata.productId": productID})
	if err != nil {
		w.t.Fatal(err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		w.t.Fatal(err)
	}
	for _, d := range docs {
		n, err := w.e.DB.Read("images.chunks").CountDocuments(ctx, bson.M{"files_id": d.ID})
		if err != nil {
			w.t.Fatal(err)
		}
		chunks += n
	}
	return int64(len(docs)), chunks
}

// chunksOf counts the GridFS chunks of the given file ids (after the files themselves are gone).
func (w *eraseWorld) chunksOf(fileIDs []string) int64 {
	w.t.Helper()
	n, err := w.e.DB.Read("images.chunks").CountDocuments(context.Background(), bson.M{"files_id": bson.M{"$in": fileIDs}})
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// erasures lists the product.erase entries in the audit trail.
func (w *eraseWorld) erasures() []audit.Entry {
	w.t.Helper()
	es, err := w.e.App.Audit.List(context.Background(), audit.Query{Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []audit.Entry
	for _, e := range es {
		if e.Action == "product.erase" {
			out = append(out, e)
		}
	}
	return out
}

// testOrder checks out qty units as the buyer in test-payment mode and returns the order id and
// its token (the guest link's credential, and what the test payment page asks for).
func (w *eraseWorld) testOrder(productID string, qty int) (string, string) {
	w.t.Helper()
	r := w.checkout(w.buyerTok, productID, qty)
	if r.Status != http.StatusCreated {
		w.t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	u, err := url.Parse(r.Str("checkoutUrl"))
	if err != nil {
		w.t.Fatal(err)
	}
	return r.Str("orderId"), u.Query().Get("token")
}

// When a coordinator erases a maker's data at the maker's request, every product of the maker
// (published, rejected to draft, archived before) is archived for good, loses its title,
// description and photos (files and chunks gone from GridFS, leftovers of a failed upload too),
// and each change is audited as the coordinator acting for the maker. Orders keep what they
// copied; a reservation still held can be cancelled or expire and its units go back; the other
// maker's product is untouched; and erasing again changes nothing.
func TestEraseArchivesTheMakersProducts(t *testing.T) {
	t.Parallel()
	w := newEraseWorld(t)
	ctx := context.Background()
	const (
		title = "Asha's brass jhumka earrings"
		desc  = "Made by Asha at the Sonagachi workshop, beads from her mother's village."
	)
	p1, urls1 := w.listing(w.mAt, title, desc, 10, true)
	p2, urls2 := w.listing(w.mAt, "Asha's silver toe rings", "Asha's second design.", 4, false)
	w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+p2+"/submit", w.mAt, nil)
	w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+p2+"/reject", w.cA, map[string]string{"reason": "Asha, please retake the photo in daylight."})
	p3, urls3 := w.listing(w.mAt, "Asha's first bangle", "Asha's first piece.", 1, false)
	w.e.Must(http.StatusOK, "DELETE", "/api/v1/products/"+p3, w.mAt, nil)
	other, otherURLs := w.listing(w.m2t, "Block-printed cotton scarf", "Printed in the workshop.", 5, true)
	mine := []string{p1, p2, p3}
	// Renditions an upload stored before it failed: the product never listed them.
	if _, err := catalog.NewImageStore(w.e.DB).Put(ctx, "stray-upload", 320, p1, photoWithGPS(t, 320, 240)); err != nil {
		t.Fatal(err)
	}
	var fileIDs []string
	for _, id := range mine {
		for _, img := range w.stored(id).Images {
			fileIDs = append(fileIDs, img.FileIDs...)
		}
		if n, _ := w.files(id); n == 0 {
			t.Fatalf("product %s has no stored photo to erase", id)
		}
	}

	// An order paid before the erasure, and two reservations still waiting for payment.
	paid, paidToken := w.testOrder(p1, 2)
	if _, err := w.e.App.Payments.PayTestOrder(ctx, paid, paidToken); err != nil {
		t.Fatal(err)
	}
	heldCancel, _ := w.testOrder(p1, 3)
	heldExpire, _ := w.testOrder(p1, 1)
	before := w.stored(p1)
	// (The paid order's hold is settled by the next sweep; until then it is held too.)
	if before.Stock != 4 || before.HoldCount != len(before.Holds) || before.Holds[heldCancel].Quantity != 3 || before.Holds[heldExpire].Quantity != 1 {
		t.Fatalf("before erasure: stock %d, holds %v", before.Stock, before.Holds)
	}
	otherBefore := w.stored(other)

	w.e.Must(http.StatusOK, "POST", "/api/v1/makers/"+w.mA+"/erase", w.cA, map[string]string{"confirm": "ERASE"})

	t.Run("products archived and blanked, stock and holds kept", func(t *testing.T) {
		for _, id := range mine {
			p := w.stored(id)
			if p.Status != catalog.StatusArchived || p.Title != catalog.ErasedTitle || p.Description != "" || len(p.Images) != 0 ||
				p.RejectReason != "" || p.WageException != "" {
				t.Fatalf("product %s after erasure: %+v", id, p)
			}
			raw, err := w.e.DB.Read("products").FindOne(ctx, bson.M{"_id": id}).Raw()
			if err != nil {
				t.Fatal(err)
			}
			if s := raw.String(); strings.Contains(s, "Asha") || strings.Contains(s, "/api/v1/images/") {
				t.Fatalf("product %s still names the maker or a photo: %s", id, s)
			}
		}
		p := w.stored(p1)
		if p.Stock != before.Stock || p.HoldCount != before.HoldCount || !maps.Equal(p.Holds, before.Holds) ||
			p.Price != before.Price || p.Currency != before.Currency {
			t.Fatalf("erasure touched money or stock: stock %d holds %v price %d %s", p.Stock, p.Holds, p.Price, p.Currency)
		}
		if p.Version <= before.Version {
			t.Fatalf("version %d after erasure, was %d: the replace was not versioned", p.Version, before.Version)
		}
	})

	t.Run("photos gone from storage and from every address", func(t *testing.T) {
		for _, id := range mine {
			if n, c := w.files(id); n != 0 || c != 0 {
				t.Fatalf("product %s still has %d files and %d chunks in GridFS", id, n, c)
			}
		}
		if n := w.chunksOf(fileIDs); n != 0 {
			t.Fatalf("%d chunks of the erased photos are left", n)
		}
		for _, u := range slices.Concat(urls1, urls2, urls3) {
			for _, tok := range []string{"", w.cA, w.e.AdminToken} {
				if g := getImage(w.e, u, tok, ""); g.Status != http.StatusNotFound {
					t.Fatalf("GET %s: %d after erasure", u, g.Status)
				}
			}
		}
	})

	t.Run("not in the shop", func(t *testing.T) {
		w.e.Must(http.StatusNotFound, "GET", "/api/v1/products/"+p1, "", nil)
		if r := w.e.Do("GET", "/products/"+p1, "", nil); r.Status != http.StatusNotFound {
			t.Fatalf("web product page: %d", r.Status)
		}
		r := w.e.Must(http.StatusOK, "GET", "/api/v1/products?q=jhumka", "", nil)
		if strings.Contains(string(r.Body), p1) {
			t.Fatalf("search still lists the erased maker's product: %s", r.Body)
		}
		if r := w.checkout(w.buyerTok, p1, 1); r.Status < 400 || r.Status >= 500 {
			t.Fatalf("checkout of an erased maker's product: %d %s", r.Status, r.Body)
		}
		w.e.Must(http.StatusConflict, "PATCH", "/api/v1/products/"+p2, w.cA, map[string]any{"title": "Brought back"})
	})

	t.Run("the other maker's product is untouched", func(t *testing.T) {
		p := w.stored(other)
		if p.Version != otherBefore.Version || p.Title != otherBefore.Title || len(p.Images) != 1 || p.Status != catalog.StatusPublished {
			t.Fatalf("the other maker's product changed: %+v", p)
		}
		if n, _ := w.files(other); n == 0 {
			t.Fatal("the other maker's photos were deleted")
		}
		w.e.Must(http.StatusOK, "GET", "/api/v1/products/"+other, "", nil)
		if g := getImage(w.e, otherURLs[0], "", ""); g.Status != http.StatusOK {
			t.Fatalf("the other maker's photo: %d", g.Status)
		}
	})

	t.Run("each change audited as the coordinator for the maker", func(t *testing.T) {
		es := w.erasures()
		var got []string
		for _, e := range es {
			if e.ActorID != w.cAID || e.ActorRole != "coordinator" || e.RecordType != "maker" || e.RecordID != w.mA ||
				e.ForMakerID != w.mA || e.ProgramID != w.pA {
				t.Fatalf("erasure audited as %+v", e)
			}
			if strings.Contains(e.Detail, "Asha") {
				t.Fatalf("the audit trail keeps the erased text: %q", e.Detail)
			}
			for _, id := range mine {
				if strings.Contains(e.Detail, id) {
					got = append(got, id)
				}
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(mine))
		if !slices.Equal(got, want) {
			t.Fatalf("audited products %v, want one entry each for %v", got, want)
		}
	})

	t.Run("orders keep their history", func(t *testing.T) {
		r := w.e.Must(http.StatusOK, "GET", "/api/v1/orders/"+paid, w.buyerTok, nil)
		items, _ := r.JSON["items"].([]any)
		if r.Str("status") != payments.StatusPaid || r.Num("total") != 120000 || len(items) != 1 {
			t.Fatalf("buyer's order after erasure: %s", r.Body)
		}
		it := items[0].(map[string]any)
		if it["title"] != title || it["quantity"].(float64) != 2 || it["unitPrice"].(float64) != 60000 || it["total"].(float64) != 120000 {
			t.Fatalf("order item after erasure: %v", it)
		}
		page := w.e.Do("GET", "/orders/"+paidToken, "", nil)
		if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "jhumka earrings") || !strings.Contains(string(page.Body), "1,200.00") {
			t.Fatalf("buyer's order page after erasure: %d", page.Status)
		}
	})

	t.Run("a second erasure changes nothing", func(t *testing.T) {
		snapshot := map[string]catalog.Product{}
		for _, id := range mine {
			snapshot[id] = w.stored(id)
		}
		audited := len(w.erasures())
		w.e.Must(http.StatusNotFound, "POST", "/api/v1/makers/"+w.mA+"/erase", w.cA, map[string]string{"confirm": "ERASE"})
		// The hook itself, run again (as a retried erasure would).
		if err := w.e.App.Catalog.EraseMaker(ctx, w.e.Actor(w.cAID), w.mA); err != nil {
			t.Fatal(err)
		}
		for _, id := range mine {
			if p := w.stored(id); p.Version != snapshot[id].Version || !p.UpdatedAt.Equal(snapshot[id].UpdatedAt) {
				t.Fatalf("a second erasure wrote product %s again (version %d, was %d)", id, p.Version, snapshot[id].Version)
			}
		}
		if n := len(w.erasures()); n != audited {
			t.Fatalf("a second erasure added %d audit entries", n-audited)
		}
	})

	t.Run("a held, unpaid order can still be cancelled or expire, and its units go back", func(t *testing.T) {
		r := w.e.Must(http.StatusOK, "POST", "/api/v1/orders/"+heldCancel+"/cancel", w.cA, nil)
		if r.Str("status") != payments.StatusCancelled {
			t.Fatalf("cancel: %s", r.Body)
		}
		if p := w.stored(p1); p.Stock != before.Stock+3 || p.HoldCount != before.HoldCount-1 || p.Holds[heldCancel].Quantity != 0 {
			t.Fatalf("after the cancellation: stock %d, holds %v", p.Stock, p.Holds)
		}
		if _, err := w.e.DB.Write("orders").UpdateOne(ctx, bson.M{"_id": heldExpire},
			bson.M{"$set": bson.M{"expiresAt": time.Now().Add(-time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.e.App.Payments.ExpireReservations(ctx); err != nil {
			t.Fatal(err)
		}
		if o := w.order(heldExpire); o.Status != payments.StatusCancelled {
			t.Fatalf("the expired reservation is %s", o.Status)
		}
		p := w.stored(p1)
		if p.Stock != before.Stock+4 || p.HoldCount != 0 || len(p.Holds) != 0 {
			t.Fatalf("after the expiry: stock %d, holds %v (count %d)", p.Stock, p.Holds, p.HoldCount)
		}
		if p.Status != catalog.StatusArchived || p.Title != catalog.ErasedTitle || len(p.Images) != 0 {
			t.Fatalf("releasing stock brought the product back: %+v", p)
		}
		w.e.Must(http.StatusNotFound, "GET", "/api/v1/products/"+p1, "", nil)
	})
}

// A maker who erases their own data: their products are erased too, and the trail says the
// maker did it.
func TestEraseByTheMakerArchivesProducts(t *testing.T) {
	t.Parallel()
	w := newEraseWorld(t)
	id, urls := w.listing(w.mAt, "Hand-knotted bracelet", "Knotted on the veranda at home.", 3, true)
	w.e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil)
	if g := getImage(w.e, urls[0], "", ""); g.Status != http.StatusOK {
		t.Fatalf("photo before erasure: %d", g.Status)
	}

	w.e.Must(http.StatusOK, "POST", "/api/v1/makers/"+w.mA+"/erase", w.mAt, map[string]string{"confirm": "ERASE"})

	p := w.stored(id)
	if p.Status != catalog.StatusArchived || p.Title != catalog.ErasedTitle || p.Description != "" || len(p.Images) != 0 || p.Stock != 3 {
		t.Fatalf("product after the maker's erasure: %+v", p)
	}
	if n, c := w.files(id); n != 0 || c != 0 {
		t.Fatalf("%d files and %d chunks left", n, c)
	}
	for _, u := range urls {
		if g := getImage(w.e, u, "", ""); g.Status != http.StatusNotFound {
			t.Fatalf("GET %s after erasure: %d", u, g.Status)
		}
	}
	w.e.Must(http.StatusNotFound, "GET", "/api/v1/products/"+id, "", nil)
	es := w.erasures()
	if len(es) != 1 || es[0].ActorID != w.mA || es[0].ActorRole != "maker" || es[0].RecordID != id || es[0].ForMakerID != "" ||
		!strings.Contains(es[0].Detail, "archived") || !strings.Contains(es[0].Detail, "1 photo(s) deleted") {
		t.Fatalf("the maker's erasure audited as %+v", es)
	}
}

// Payments releasing holds while the erasure archives the product: the erasure's replace is
// versioned, so no release is lost and no released hold comes back.
func TestEraseRacesHoldReleases(t *testing.T) {
	t.Parallel()
	w := newEraseWorld(t)
	ctx := context.Background()
	id, _ := w.listing(w.mAt, "Beaded anklet", "Beads from the market.", 40, true)
	var holds []string
	for i := range 30 {
		h := "race-hold-" + strconv.Itoa(i)
		if err := w.e.App.Catalog.HoldStock(ctx, id, h, 1); err != nil {
			t.Fatal(err)
		}
		holds = append(holds, h)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(holds))
	for _, h := range holds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := w.e.App.Catalog.ReleaseHold(ctx, id, h); err != nil || !ok {
				errs <- fmt.Errorf("release %s: %v %v", h, ok, err)
			}
		}()
	}
	w.e.Must(http.StatusOK, "POST", "/api/v1/makers/"+w.mA+"/erase", w.cA, map[string]string{"confirm": "ERASE"})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p := w.stored(id)
	if p.Stock != 40 || p.HoldCount != 0 || len(p.Holds) != 0 {
		t.Fatalf("after releases racing the erasure: stock %d, %d holds (count %d)", p.Stock, len(p.Holds), p.HoldCount)
	}
	if p.Title != catalog.ErasedTitle || p.Status != catalog.StatusArchived || len(p.Images) != 0 {
		t.Fatalf("the erasure lost to the releases: %+v", p)
	}
}
