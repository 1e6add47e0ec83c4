package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/money"
)

// signIn opens a session for the user with this id.
func signIn(t *testing.T, e *apptest.Env, userID string) *web {
	t.Helper()
	u, err := e.App.Accounts.User(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, e)
	w.login(u.Login, apptest.Password)
	return w
}

// editFields is the full edit form as a maker sends it.
func editFields(p catalog.Product, change map[string]string) url.Values {
	f := url.Values{"title": {p.Title}, "description": {p.Description}, "category": {p.Category},
		"price": {money.Input(p.Price, p.Currency)},
		"stock": {"5"}, "stockWas": {"5"}, "hours": {"2"}, "materials": {"50"}, "action": {"save"}}
	for k, v := range change {
		f.Set(k, v)
	}
	return f
}

func mustProduct(t *testing.T, s *shop, id string) catalog.Product {
	t.Helper()
	p, err := s.e.App.Catalog.Product(context.Background(), s.coord, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestListingEditAfterSendBack: a published listing's form says which changes take it out of the
// shop; the coordinator sends it back asking for a new name; the maker sees the reason on the
// form, a bad price keeps what she typed with the message next to the field (in Hindi too), and
// she changes name, description, kind and price and sends it again. The coordinator changes a
// field of a program listing.
func TestListingEditAfterSendBack(t *testing.T) {
	s := newShop(t)
	prod := s.products[0]
	maker := signIn(t, s.e, s.maker.UserID)
	coord := signIn(t, s.e, s.coord.UserID)
	edit := "/maker/products/" + prod.ID + "/edit"

	p := maker.get(edit)
	must(t, p, http.StatusOK, `value="Brass jhumka earrings"`, "This is in the shop.", "sends it back for review", `action="`+edit+`"`, `name="stockWas" value="5"`)
	if strings.Contains(p.Body, `name="photo"`) {
		t.Fatal("the edit form has a photo field: photos are added and removed on the product's page")
	}
	// One hourly fair-price figure, in whole rupees.
	hint := regexpFind(t, p.Body, `id="fair-hint"[^>]*>([^<]*)<`)
	if !regexp.MustCompile(`^Fair price: at least ₹\d+ for each hour of work\.$`).MatchString(hint) || strings.Count(p.Body, "each hour") != 1 {
		t.Fatalf("fair-price hint %q", hint)
	}

	// A change of the text takes it out of the shop until approved, and says so.
	p = maker.post(edit, editFields(prod, map[string]string{"description": "Brass, hammered by hand."}))
	must(t, p, http.StatusOK, "It has left the shop until your coordinator approves the change")
	if got := mustProduct(t, s, prod.ID); got.Status != catalog.StatusPendingReview || got.Description != "Brass, hammered by hand." || got.Stock != 5 {
		t.Fatalf("after the edit: %s %q stock %d", got.Status, got.Description, got.Stock)
	}
	must(t, newWeb(t, s.e).get("/products/"+prod.ID), http.StatusNotFound)

	// The coordinator sends it back with what to change.
	p = coord.post("/coordinator/products/"+prod.ID+"/reject", url.Values{"reason": {"Change the name to “Brass jhumka pair”."}})
	must(t, p, http.StatusOK, "Listing sent back")
	p = maker.get(edit)
	must(t, p, http.StatusOK, "Change the name to “Brass jhumka pair”.", `value="save"`, `value="submit"`)

	// A bad price: the message next to the field, what she typed kept, in Hindi too.
	bad := editFields(prod, map[string]string{"title": "Brass jhumka pair", "price": "12 rupees"})
	for _, tc := range []struct{ lang, msg string }{{"en", "Write an amount"}, {"hi", "रकम लिखें"}} {
		p = maker.post(edit+"?lang="+tc.lang, bad)
		must(t, p, http.StatusBadRequest, `id="e-price"`, `value="12 rupees"`, `value="Brass jhumka pair"`, `aria-invalid="true"`)
		if e := regexpFind(t, p.Body, `<span class="err" id="e-price">([^<]*)<`); !strings.Contains(e, tc.msg) {
			t.Fatalf("%s: price message %q, want %q", tc.lang, e, tc.msg)
		}
	}
	if got := mustProduct(t, s, prod.ID); got.Title != prod.Title {
		t.Fatalf("a refused form changed the title to %q", got.Title)
	}
	maker.get("/?lang=en")

	// Every field as asked, and sent for review in the same step.
	p = maker.post(edit, editFields(prod, map[string]string{"title": "Brass jhumka pair", "description": "A pair of brass jhumkas.",
		"category": "accessories", "price": "900", "stock": "7", "hours": "2.5", "materials": "60", "action": "submit"}))
	must(t, p, http.StatusOK, "Sent for review", "Brass jhumka pair")
	got := mustProduct(t, s, prod.ID)
	if got.Status != catalog.StatusPendingReview || got.Title != "Brass jhumka pair" || got.Description != "A pair of brass jhumkas." ||
		got.Category != "accessories" || got.Price != 90000 || got.Stock != 7 || got.HoursOfWork != 2.5 || got.MaterialsCost != 6000 || got.RejectReason != "" {
		t.Fatalf("after resubmitting: %+v", got)
	}

	// The coordinator changes a field of a program listing; it stays with its maker.
	other := s.products[1]
	p = coord.get("/coordinator/products/" + other.ID + "/edit")
	must(t, p, http.StatusOK, `value="Terracotta bead necklace"`, "This is in the shop.")
	p = coord.post("/coordinator/products/"+other.ID+"/edit", editFields(other, map[string]string{"title": "Terracotta bead mala"}))
	must(t, p, http.StatusOK, "It has left the shop")
	if g := mustProduct(t, s, other.ID); g.Title != "Terracotta bead mala" || g.MakerID != other.MakerID || g.Status != catalog.StatusPendingReview {
		t.Fatalf("coordinator's edit: %+v", g)
	}
	// Stock alone never takes it out of the shop.
	if _, err := s.e.App.Catalog.Approve(context.Background(), s.coord, other.ID, catalog.ReviewInput{}); err != nil {
		t.Fatal(err)
	}
	p = coord.post("/coordinator/products/"+other.ID+"/edit", editFields(mustProduct(t, s, other.ID), map[string]string{"title": "Terracotta bead mala", "stock": "9"}))
	must(t, p, http.StatusOK, "Product saved")
	if g := mustProduct(t, s, other.ID); g.Stock != 9 || g.Status != catalog.StatusPublished {
		t.Fatalf("after a stock change: %+v", g)
	}
}

// TestListingQuickChangeKeepsTyping: a bad value on the product page's price-and-stock form
// shows the page again with the message next to the field and what was typed, not an error page.
func TestListingQuickChangeKeepsTyping(t *testing.T) {
	s := newShop(t)
	prod := s.products[0]
	maker := signIn(t, s.e, s.maker.UserID)
	base := "/maker/products/" + prod.ID
	p := maker.get(base)
	must(t, p, http.StatusOK, "Changing the price sends it back for review", `href="`+base+`/edit"`)
	p = maker.post(base+"?lang=hi", url.Values{"price": {"abc"}, "stock": {"4"}, "stockWas": {"5"}, "mtoForm": {"1"}})
	must(t, p, http.StatusBadRequest, `id="e-price"`, "रकम लिखें", `value="abc"`, `value="4"`)
	if g := mustProduct(t, s, prod.ID); g.Stock != 5 || g.Price != prod.Price {
		t.Fatalf("a refused form changed the product: %+v", g)
	}
	maker.get("/?lang=en")
	p = maker.post(base, url.Values{"price": {money.Input(prod.Price, prod.Currency)}, "stock": {"4"}, "stockWas": {"5"}, "mtoForm": {"1"}})
	must(t, p, http.StatusOK, "Product saved")
	if g := mustProduct(t, s, prod.ID); g.Stock != 4 || g.Status != catalog.StatusPublished {
		t.Fatalf("after a stock change: %+v", g)
	}
}

// TestListingPhotoRemoval: the maker removes a photo in two taps (the confirmation first); it is
// gone at once from her page, the shop's page and its address, and the listing stays in the shop.
// The coordinator removes one of a program listing the same way.
func TestListingPhotoRemoval(t *testing.T) {
	s := newShop(t)
	prod := s.products[0]
	img := prod.Images[0]
	public := newWeb(t, s.e)
	must(t, public.get("/products/"+prod.ID), http.StatusOK, img.ID)
	must(t, public.get(img.URL), http.StatusOK)

	maker := signIn(t, s.e, s.maker.UserID)
	base := "/maker/products/" + prod.ID
	action := base + "/photos/" + img.ID + "/delete"
	p := maker.get(base)
	must(t, p, http.StatusOK, `<details class="confirm"><summary class="btn alt">Remove photo`, `action="`+action+`"`, "It goes from the shop at once")
	p = maker.post(action, nil)
	must(t, p, http.StatusOK, "Photo removed", "No photo")
	if strings.Contains(p.Body, img.ID) {
		t.Fatal("the maker's page still shows the removed photo")
	}
	pub := public.get("/products/" + prod.ID)
	must(t, pub, http.StatusOK, "Brass jhumka earrings")
	if strings.Contains(pub.Body, img.ID) {
		t.Fatal("the shop's page still shows the removed photo")
	}
	for _, w := range img.Widths {
		if r := public.get(catalog.ImageURL(img.ID, w)); r.Status != http.StatusNotFound {
			t.Fatalf("removed photo at width %d: %d", w, r.Status)
		}
		if r := maker.get(catalog.ImageURL(img.ID, w)); r.Status != http.StatusNotFound {
			t.Fatalf("removed photo for its maker at width %d: %d", w, r.Status)
		}
	}
	must(t, maker.post(action, nil), http.StatusNotFound) // twice: nothing left to remove

	other := s.products[1]
	coord := signIn(t, s.e, s.coord.UserID)
	cimg := other.Images[0]
	p = coord.post("/coordinator/products/"+other.ID+"/photos/"+cimg.ID+"/delete", nil)
	must(t, p, http.StatusOK, "Photo removed")
	if g := mustProduct(t, s, other.ID); len(g.Images) != 0 || g.Status != catalog.StatusPublished {
		t.Fatalf("after the coordinator's removal: %+v", g)
	}
	must(t, public.get(cimg.URL), http.StatusNotFound)
}

// TestListingRoutesAnswerOthers404: another maker and another program's coordinator get 404
// from every new route and change nothing; archiving works for the maker and the coordinator.
func TestListingRoutesAnswerOthers404(t *testing.T) {
	s := newShop(t)
	prod := s.products[0]
	img := prod.Images[0]
	otherMaker := signIn(t, s.e, s.products[1].MakerID)
	otherProg := s.e.Program("Mumbai Tailoring")
	otherCoordID, _ := s.e.Coordinator(otherProg)
	otherCoord := signIn(t, s.e, otherCoordID)
	for _, tc := range []struct {
		who    *web
		prefix string
	}{{otherMaker, "/maker/products/"}, {otherCoord, "/coordinator/products/"}} {
		base := tc.prefix + prod.ID
		must(t, tc.who.get(base+"/edit"), http.StatusNotFound)
		must(t, tc.who.post(base+"/edit", editFields(prod, map[string]string{"title": "Taken over"})), http.StatusNotFound)
		must(t, tc.who.post(base+"/photos/"+img.ID+"/delete", nil), http.StatusNotFound)
		must(t, tc.who.post(base+"/archive", nil), http.StatusNotFound)
		must(t, tc.who.post(base, url.Values{"price": {"abc"}}), http.StatusNotFound)
	}
	if g := mustProduct(t, s, prod.ID); g.Title != prod.Title || len(g.Images) != 1 || g.Status != catalog.StatusPublished {
		t.Fatalf("others changed the product: %+v", g)
	}

	// Archiving, after a confirmation, by the maker and by the coordinator.
	maker := signIn(t, s.e, s.maker.UserID)
	p := maker.get("/maker/products/" + prod.ID)
	must(t, p, http.StatusOK, `<details class="confirm"><summary class="btn bad">Stop selling this`, `action="/maker/products/`+prod.ID+`/archive"`)
	p = maker.post("/maker/products/"+prod.ID+"/archive", nil)
	must(t, p, http.StatusOK, "It is no longer sold")
	if maker.url != "/maker" || strings.Contains(p.Body, "Brass jhumka earrings") {
		t.Fatalf("after archiving: at %s, still listed: %v", maker.url, strings.Contains(p.Body, "Brass jhumka earrings"))
	}
	must(t, newWeb(t, s.e).get("/products/"+prod.ID), http.StatusNotFound)
	p = maker.get("/maker/products/" + prod.ID)
	must(t, p, http.StatusOK, "This is no longer sold")
	if strings.Contains(p.Body, "/archive\"") || strings.Contains(p.Body, "/delete\"") {
		t.Fatal("an archived product still offers changes")
	}
	coord := signIn(t, s.e, s.coord.UserID)
	other := s.products[1]
	p = coord.post("/coordinator/products/"+other.ID+"/archive", nil)
	must(t, p, http.StatusOK, "It is no longer sold")
	if coord.url != "/coordinator/makers/"+other.MakerID || mustProduct(t, s, other.ID).Status != catalog.StatusArchived {
		t.Fatalf("coordinator's archive: at %s", coord.url)
	}
}
