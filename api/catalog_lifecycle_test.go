package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
)

func TestProductLifecycle(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	e := s.e

	r := e.Must(http.StatusCreated, "POST", "/api/v1/products", s.m1t, earrings())
	id := r.Str("id")
	if r.Str("status") != "draft" || id == "" || r.Str("makerId") != s.m1 || r.Str("category") != "jewellery" {
		t.Fatalf("create: %s", r.Body)
	}
	if w := r.JSON["wage"].(map[string]any); w["fair"] != true || w["lowestFairPrice"].(float64) != 51725 {
		t.Fatalf("wage figures: %v", w)
	}
	public := func(want int) apptest.Response {
		t.Helper()
		return e.Must(want, "GET", "/api/v1/products/"+id, "", nil)
	}
	listed := func() bool {
		t.Helper()
		r := e.Must(http.StatusOK, "GET", "/api/v1/products?perPage=100", "", nil)
		return strings.Contains(string(r.Body), id)
	}

	t.Run("a draft is private", func(t *testing.T) {
		public(http.StatusNotFound)
		if listed() {
			t.Fatal("a draft is listed in the storefront")
		}
		e.Must(http.StatusOK, "GET", "/api/v1/products/"+id+"/private", s.m1t, nil)
	})
	t.Run("submit, and only a coordinator of the program reviews", func(t *testing.T) {
		r := e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", s.m1t, nil)
		if r.Str("status") != "pending_review" {
			t.Fatalf("submit: %s", r.Body)
		}
		e.Must(http.StatusConflict, "POST", "/api/v1/products/"+id+"/submit", s.m1t, nil)
		public(http.StatusNotFound)
		e.Must(http.StatusForbidden, "POST", "/api/v1/products/"+id+"/approve", s.m1t, nil)
		e.Must(http.StatusNotFound, "POST", "/api/v1/products/"+id+"/approve", s.c2, nil)
		e.Must(http.StatusNotFound, "POST", "/api/v1/products/"+id+"/approve", s.m2t, nil)
		q := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+s.p1+"/review-queue", s.c1, nil)
		if !strings.Contains(string(q.Body), id) {
			t.Fatalf("review queue lacks the product: %s", q.Body)
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+s.p1+"/review-queue", s.c2, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/programs/"+s.p1+"/review-queue", s.m1t, nil)
	})
	t.Run("reject sends it back with the reason shown to the maker", func(t *testing.T) {
		e.Must(http.StatusBadRequest, "POST", "/api/v1/products/"+id+"/reject", s.c1, map[string]string{})
		r := e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/reject", s.c1, map[string]string{"reason": "Please add a photo of the clasp."})
		if r.Str("status") != "draft" {
			t.Fatalf("reject: %s", r.Body)
		}
		mine := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+s.m1+"/products", s.m1t, nil)
		if !strings.Contains(string(mine.Body), "Please add a photo of the clasp.") {
			t.Fatalf("maker does not see the reason: %s", mine.Body)
		}
		public(http.StatusNotFound)
	})
	var publishedAt string
	t.Run("approve publishes", func(t *testing.T) {
		r := e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", s.m1t, nil)
		if r.Str("rejectReason") != "" {
			t.Fatalf("reject reason kept after resubmitting: %s", r.Body)
		}
		r = e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", s.c1, nil)
		if r.Str("status") != "published" {
			t.Fatalf("approve: %s", r.Body)
		}
		publishedAt = r.Str("publishedAt")
		p := public(http.StatusOK)
		for _, k := range []string{"id", "title", "description", "category", "price", "currency", "stock", "images", "status", "maker", "wageBreakdown"} {
			if _, ok := p.JSON[k]; !ok {
				t.Errorf("public product lacks %q: %s", k, p.Body)
			}
		}
		if !listed() {
			t.Fatal("a published product is not listed")
		}
	})
	t.Run("stock changes need no review; stock never goes below zero", func(t *testing.T) {
		r := e.Must(http.StatusOK, "PATCH", "/api/v1/products/"+id, s.m1t, map[string]any{"stock": 2})
		if r.Str("status") != "published" || r.Num("stock") != 2 {
			t.Fatalf("stock edit: %s", r.Body)
		}
		r = e.Must(http.StatusBadRequest, "PATCH", "/api/v1/products/"+id, s.m1t, map[string]any{"stock": -1})
		if errOf(r)["fields"].(map[string]any)["stock"] == nil {
			t.Fatalf("stock field not named: %s", r.Body)
		}
		ctx := context.Background()
		err := e.App.Catalog.HoldStock(ctx, id, "order1", 3)
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Conflict || fe.Code != "out_of_stock" || !errors.Is(err, catalog.ErrOutOfStock) ||
			!strings.Contains(fe.Message, "Brass jhumka earrings") || !strings.Contains(fe.Message, "2") {
			t.Fatalf("over-reserving: %v", err)
		}
		if err := e.App.Catalog.HoldStock(ctx, id, "order1", 2); err != nil {
			t.Fatalf("reserve: %v", err)
		}
		if n := public(http.StatusOK).Num("stock"); n != 0 {
			t.Fatalf("read model stock after reserve = %v, want 0", n)
		}
		if err := e.App.Catalog.HoldStock(ctx, id, "order2", 1); !errors.Is(err, catalog.ErrOutOfStock) {
			t.Fatalf("reserve from 0: %v", err)
		}
		if ok, err := e.App.Catalog.ReleaseHold(ctx, id, "order1"); err != nil || !ok {
			t.Fatalf("release: %v %v", ok, err)
		}
		if n := public(http.StatusOK).Num("stock"); n != 2 {
			t.Fatalf("stock after release = %v, want 2", n)
		}
		if _, err := e.App.Catalog.ForSale(ctx, id); err != nil {
			t.Fatalf("for sale: %v", err)
		}
	})
	t.Run("editing the price of a published product sends it back to review", func(t *testing.T) {
		r := e.Must(http.StatusOK, "PATCH", "/api/v1/products/"+id, s.m1t, map[string]any{"price": 65000})
		if r.Str("status") != "pending_review" {
			t.Fatalf("price edit: %s", r.Body)
		}
		public(http.StatusNotFound)
		if _, err := e.App.Catalog.ForSale(context.Background(), id); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("for sale while in review: %v", err)
		}
		r = e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", s.c1, nil)
		if r.Str("publishedAt") != publishedAt {
			t.Fatalf("publishedAt changed on re-approval: %s → %s", publishedAt, r.Str("publishedAt"))
		}
		for _, edit := range []map[string]any{{"title": "Brass jhumka earrings, pair"}, {"description": "New words."}} {
			r := e.Must(http.StatusOK, "PATCH", "/api/v1/products/"+id, s.m1t, edit)
			if r.Str("status") != "pending_review" {
				t.Fatalf("edit %v kept it published", edit)
			}
			e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", s.c1, nil)
		}
	})
	t.Run("archive keeps the record", func(t *testing.T) {
		r := e.Must(http.StatusOK, "DELETE", "/api/v1/products/"+id, s.m1t, nil)
		if r.Str("status") != "archived" {
			t.Fatalf("archive: %s", r.Body)
		}
		public(http.StatusNotFound)
		if listed() {
			t.Fatal("archived product still listed")
		}
		e.Must(http.StatusConflict, "PATCH", "/api/v1/products/"+id, s.m1t, map[string]any{"stock": 1})
		mine := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+s.m1+"/products", s.m1t, nil)
		if !strings.Contains(string(mine.Body), `"archived"`) {
			t.Fatalf("archived product missing from the maker's list: %s", mine.Body)
		}
		n, err := e.DB.Read("products").CountDocuments(context.Background(), bson.M{"_id": id})
		if err != nil || n != 1 {
			t.Fatalf("archived product not kept: %d %v", n, err)
		}
		if err := e.App.Catalog.ReleaseStock(context.Background(), id, 1); err != nil {
			t.Fatalf("release on an archived product: %v", err)
		}
	})
}

func TestProductPermissions(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	e := s.e
	id := s.create(s.m1t, earrings())

	t.Run("another maker's product is not found", func(t *testing.T) {
		e.Must(http.StatusNotFound, "PATCH", "/api/v1/products/"+id, s.m2t, map[string]any{"stock": 1})
		e.Must(http.StatusNotFound, "DELETE", "/api/v1/products/"+id, s.m2t, nil)
		e.Must(http.StatusNotFound, "POST", "/api/v1/products/"+id+"/submit", s.m2t, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/products/"+id+"/private", s.m2t, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+s.m1+"/products", s.m2t, nil)
		e.Must(http.StatusNotFound, "POST", "/api/v1/products", s.m2t, with(earrings(), "makerId", s.m1))
	})
	t.Run("another program's coordinator sees nothing", func(t *testing.T) {
		e.Must(http.StatusNotFound, "PATCH", "/api/v1/products/"+id, s.c2, map[string]any{"stock": 1})
		e.Must(http.StatusNotFound, "GET", "/api/v1/products/"+id+"/private", s.c2, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+s.m1+"/products", s.c2, nil)
		e.Must(http.StatusNotFound, "POST", "/api/v1/products", s.c2, with(earrings(), "makerId", s.m1))
		e.Must(http.StatusNotFound, "POST", "/api/v1/products/"+id+"/wage-exception", s.c2, map[string]string{"reason": "a reason long enough"})
	})
	t.Run("buyers and visitors cannot list products", func(t *testing.T) {
		e.Must(http.StatusForbidden, "POST", "/api/v1/products", s.buyerTok, earrings())
		e.Must(http.StatusUnauthorized, "POST", "/api/v1/products", "", earrings())
		e.Must(http.StatusUnauthorized, "PATCH", "/api/v1/products/"+id, "", map[string]any{"stock": 1})
		e.Must(http.StatusNotFound, "PATCH", "/api/v1/products/"+id, s.buyerTok, map[string]any{"stock": 1})
	})
	t.Run("a coordinator lists for a maker of their program, audited as for the maker", func(t *testing.T) {
		e.Must(http.StatusBadRequest, "POST", "/api/v1/products", s.c1, earrings())
		r := e.Must(http.StatusCreated, "POST", "/api/v1/products", s.c1, with(earrings(), "makerId", s.m1))
		pid := r.Str("id")
		if r.Str("makerId") != s.m1 {
			t.Fatalf("made for %q, want %q", r.Str("makerId"), s.m1)
		}
		e.Must(http.StatusOK, "PATCH", "/api/v1/products/"+pid, s.c1, map[string]any{"stock": 9})
		a := e.Must(http.StatusOK, "GET", "/api/v1/programs/"+s.p1+"/audit", s.c1, nil)
		var create, update bool
		for _, it := range a.JSON["items"].([]any) {
			en := it.(map[string]any)
			if en["forMakerId"] != s.m1 || en["actorId"] != s.c1ID || !strings.Contains(en["detail"].(string), pid) {
				continue
			}
			create = create || en["action"] == "product.create"
			update = update || en["action"] == "product.update"
		}
		if !create || !update {
			t.Fatalf("coordinator's actions for the maker not audited: %s", a.Body)
		}
	})
	t.Run("validation names each field; currency must be the program's", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/products", s.m1t, map[string]any{"title": "x", "price": 0, "hoursOfWork": 0, "stock": -2})
		fields := errOf(r)["fields"].(map[string]any)
		for _, f := range []string{"title", "description", "category", "price", "currency", "stock", "hoursOfWork"} {
			if fields[f] == nil {
				t.Errorf("field %s not named: %s", f, r.Body)
			}
		}
		r = e.Must(http.StatusBadRequest, "POST", "/api/v1/products", s.m1t, with(earrings(), "currency", "USD"))
		if errOf(r)["fields"].(map[string]any)["currency"] == nil {
			t.Fatalf("currency not named: %s", r.Body)
		}
		r = e.Must(http.StatusBadRequest, "POST", "/api/v1/products", s.m1t, with(earrings(), "price", 600.5))
		if errOf(r)["fields"].(map[string]any)["price"] == nil {
			t.Fatalf("fractional price not refused by name: %s", r.Body)
		}
		e.Must(http.StatusBadRequest, "POST", "/api/v1/products", s.m1t, with(earrings(), "title", map[string]string{"$gt": ""}))
	})
}

// gate refuses jewellery until a track is done, standing in for the training domain.

func TestFairWageFloorAndTrainingGate(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	e := s.e

	t.Run("below the living wage is refused with the lowest fair price", func(t *testing.T) {
		for _, tc := range []struct {
			price int64
			want  int
		}{{30000, 422}, {51724, 422}, {51725, 200}} {
			id := s.create(s.m1t, with(earrings(), "price", tc.price))
			r := e.Must(tc.want, "POST", "/api/v1/products/"+id+"/submit", s.m1t, nil)
			if tc.want == 422 {
				er := errOf(r)
				if er["code"] != "below_living_wage" || !strings.Contains(er["message"].(string), "₹517.25") ||
					er["details"].(map[string]any)["lowestFairPrice"].(float64) != 51725 {
					t.Fatalf("price %d: %s", tc.price, r.Body)
				}
			}
		}
	})
	t.Run("approval checks again after the program raises its wage", func(t *testing.T) {
		id := s.create(s.m2t, earrings())
		e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", s.m2t, nil)
		e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+s.p1, s.c1, map[string]any{"livingWageHourly": 20000})
		defer e.Must(http.StatusOK, "PATCH", "/api/v1/programs/"+s.p1, s.c1, map[string]any{"livingWageHourly": 9000})
		r := e.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/products/"+id+"/approve", s.c1, nil)
		if errOf(r)["code"] != "below_living_wage" {
			t.Fatalf("approve: %s", r.Body)
		}
		e.Must(http.StatusBadRequest, "POST", "/api/v1/products/"+id+"/approve", s.c1, map[string]string{"wageException": "short"})
		r = e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", s.c1,
			map[string]string{"wageException": "Agreed with the maker: launch price for the Diwali fair."})
		if r.Str("status") != "published" || r.Str("wageException") == "" {
			t.Fatalf("approve with exception: %s", r.Body)
		}
		p := e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil)
		if strings.Contains(string(p.Body), "Diwali") {
			t.Fatalf("the wage exception is public: %s", p.Body)
		}
	})
	t.Run("a coordinator's written exception lets a low price through until the figures change", func(t *testing.T) {
		id := s.create(s.m1t, with(earrings(), "price", 30000))
		e.Must(http.StatusForbidden, "POST", "/api/v1/products/"+id+"/wage-exception", s.m1t, map[string]string{"reason": "I say so, honestly"})
		e.Must(http.StatusBadRequest, "POST", "/api/v1/products/"+id+"/wage-exception", s.c1, map[string]string{"reason": "short"})
		e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/wage-exception", s.c1, map[string]string{"reason": "Practice piece from week one, sold at cost."})
		e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", s.m1t, nil)
		r := e.Must(http.StatusOK, "PATCH", "/api/v1/products/"+id, s.m1t, map[string]any{"price": 29000})
		if r.Str("wageException") != "" {
			t.Fatalf("exception kept after a price change: %s", r.Body)
		}
		e.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/products/"+id+"/approve", s.c1, nil)
	})
	t.Run("a gated category needs the training track", func(t *testing.T) {
		// The real gate: the program sells jewellery only after its safety track.
		r := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+s.p1+"/tracks", s.c1, map[string]any{
			"name": "Jewellery safety basics", "description": "Bench safety before selling.",
			"milestones": []map[string]any{{"title": "Bench safety", "description": "Uses the bench safely.", "hours": 4}}})
		e.Must(http.StatusOK, "PUT", "/api/v1/programs/"+s.p1+"/selling-gates", s.c1, map[string]any{
			"gates": []map[string]string{{"category": "jewellery", "trackId": r.Str("id")}}})
		defer e.Must(http.StatusOK, "PUT", "/api/v1/programs/"+s.p1+"/selling-gates", s.c1, map[string]any{"gates": []any{}})
		id := s.create(s.m1t, earrings())
		r = e.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/products/"+id+"/submit", s.m1t, nil)
		if errOf(r)["code"] != "training_required" || !strings.Contains(errOf(r)["message"].(string), "Jewellery safety basics") {
			t.Fatalf("gate: %s", r.Body)
		}
		other := s.create(s.m1t, with(earrings(), "category", "bags"))
		e.Must(http.StatusOK, "POST", "/api/v1/products/"+other+"/submit", s.m1t, nil)
	})
}

func TestPublicEndpointsLeakNothingPrivate(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	e := s.e
	ctx := context.Background()
	id := s.create(s.m1t, earrings())
	s.publish(id, s.m1t, s.c1)
	priv := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+s.m1, s.c1, nil)
	legal, phone, display := priv.Str("legalName"), priv.Str("phone"), priv.Str("displayName")
	if legal == "" || phone == "" {
		t.Fatalf("private profile: %s", priv.Body)
	}

	publicBodies := func() []apptest.Response {
		return []apptest.Response{
			e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil),
			e.Must(http.StatusOK, "GET", "/api/v1/products?q=jhumka", "", nil),
			e.Must(http.StatusOK, "GET", "/api/v1/products", "", nil),
			e.Must(http.StatusOK, "GET", "/api/v1/categories", "", nil),
		}
	}
	for _, r := range publicBodies() {
		body := string(r.Body)
		for _, secret := range []string{legal, phone, "legalName", "phone", "hoursOfWork", "materialsCost", "makerId",
			"programId", "rejectReason", "wageException", "story", "I make things by hand", "version", "fileIds"} {
			if strings.Contains(body, secret) {
				t.Errorf("public body contains %q: %s", secret, body)
			}
		}
	}
	// No public page or public JSON carries a maker's account id: she is known in public only by
	// her public id, which she can have replaced.
	accountIDs := []string{s.m1, s.m2, s.m3}
	publicID := e.PublicID(s.m1)
	noAccountIDs := func(t *testing.T) {
		t.Helper()
		bodies := append(publicBodies(), e.Must(http.StatusOK, "GET", "/api/v1/makers/"+publicID+"/public", "", nil))
		for _, path := range []string{"/", "/products", "/products?q=jhumka", "/products/" + id, "/makers/" + publicID} {
			bodies = append(bodies, e.Must(http.StatusOK, "GET", path, "", nil))
		}
		for _, r := range bodies {
			for _, acc := range accountIDs {
				if strings.Contains(string(r.Body), acc) {
					t.Errorf("a public answer carries the account id %s: %s", acc, r.Body)
				}
			}
		}
	}
	noAccountIDs(t)

	p := e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil)
	maker := p.JSON["maker"].(map[string]any)
	if maker["id"] != publicID {
		t.Fatalf("the product names its maker by %v, want her public id %s", maker["id"], publicID)
	}
	prog := maker["program"].(map[string]any)
	if maker["displayName"] != display || prog["name"] != "Kolkata Jewellery Workshop" || prog["city"] != "Kolkata" {
		t.Fatalf("maker face: %s", p.Body)
	}
	wb := p.JSON["wageBreakdown"].(map[string]any)
	if sum := wb["maker"].(float64) + wb["materials"].(float64) + wb["program"].(float64) + wb["fees"].(float64); sum != p.Num("price") {
		t.Fatalf("wage breakdown %v sums to %v, not the price %v", wb, sum, p.Num("price"))
	}

	t.Run("withdrawing consent hides the name at once", func(t *testing.T) {
		if err := e.RawPrograms().SetMaker(ctx, s.m1, bson.M{"consent.publicProfile.granted": false}); err != nil {
			t.Fatal(err)
		}
		if err := e.App.Catalog.InvalidateMaker(ctx, s.m1); err != nil {
			t.Fatal(err)
		}
		p := e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil)
		if p.JSON["maker"].(map[string]any)["displayName"] != "A maker" || strings.Contains(string(p.Body), display) {
			t.Fatalf("name still shown: %s", p.Body)
		}
		q := e.Must(http.StatusOK, "GET", "/api/v1/products?q="+strings.ReplaceAll(display, " ", "+"), "", nil)
		if strings.Contains(string(q.Body), id) {
			t.Fatalf("search by the withdrawn name still finds the product: %s", q.Body)
		}
	})
	t.Run("without InvalidateMaker the poll applies a change within its bound", func(t *testing.T) {
		id2 := s.create(s.m2t, with(earrings(), "title", "Copper wire ring"))
		s.publish(id2, s.m2t, s.c1)
		if err := e.RawPrograms().SetMaker(ctx, s.m2, bson.M{"consent.publicProfile.granted": false}); err != nil {
			t.Fatal(err)
		}
		ok := apptest.Eventually(t, catalog.DefaultPollInterval+2*time.Second, func() bool {
			p := e.Do("GET", "/api/v1/products/"+id2, "", nil)
			return p.Status == 200 && p.JSON["maker"].(map[string]any)["displayName"] == "A maker"
		})
		if !ok {
			t.Fatal("consent withdrawal not applied by the poll")
		}
	})
	t.Run("the maker's published products for their public page", func(t *testing.T) {
		ps := e.App.Catalog.MakerPublicProducts(ctx, e.PublicID(s.m1))
		if len(ps) != 1 || ps[0].ID != id || ps[0].Maker.Story != "" {
			t.Fatalf("maker public products: %+v", ps)
		}
		if len(e.App.Catalog.MakerPublicProducts(ctx, e.PublicID(s.m3))) != 0 {
			t.Fatal("a maker with no products has some")
		}
	})
}
