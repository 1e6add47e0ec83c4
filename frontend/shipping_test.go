package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
)

// TestShippingSettingsForm: a coordinator sets the program's shipping rates in rupees (stored in
// paise), and a mistake shows a translated message next to the field with what was typed kept.
func TestShippingSettingsForm(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	ctx := context.Background()
	pid := e.Program("Kolkata Beads")
	_, coordTok := e.Coordinator(pid)
	coord, err := e.App.Accounts.Authenticate(ctx, coordTok)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, e)
	w.login(coord.Login, apptest.Password)
	base := "/coordinator/programs/" + pid
	must(t, w.get(base+"?lang=en"), http.StatusOK, `href="`+base+`/shipping"`, "Shipping and refunds")
	must(t, w.get(base+"/shipping"), http.StatusOK, "Within the country", `name="abroad"`, `name="processingDays"`)

	form := url.Values{"domesticFirst": {"80.50"}, "domesticAdditional": {"20"}, "abroad": {"1"},
		"intlFirst": {"1,200"}, "intlAdditional": {"400"}, "freeOver": {"3000"}, "processingDays": {"3"}}
	must(t, w.post(base+"/shipping", form), http.StatusOK, "Saved.", `value="80.50"`, `value="3"`)
	prog, err := e.App.Programs.Registry().Program(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	sh := prog.Shipping
	if sh == nil || sh.Domestic == nil || sh.Domestic.First != 8050 || sh.Domestic.Additional != 2000 || sh.International == nil ||
		sh.International.First != 120000 || sh.International.Additional != 40000 || sh.FreeOver == nil || *sh.FreeOver != 300000 ||
		sh.ProcessingDays != 3 || prog.RefundsReverseWages {
		t.Fatalf("stored shipping: %+v", sh)
	}

	// Mistakes: each message next to its field, in the reader's language, with the input kept.
	bad := url.Values{"domesticFirst": {"80 rupees"}, "domesticAdditional": {"20"}, "processingDays": {"90"},
		"refundReverse": {"1"}, "refundReason": {"policy"}}
	p := w.post(base+"/shipping", bad)
	must(t, p, http.StatusBadRequest, `id="e-domesticFirst"`, `value="80 rupees"`, "Write an amount", `id="e-processingDays"`,
		`value="90"`, `id="e-refundReason"`, ">policy</textarea>")
	w.get(base + "/shipping?lang=hi")
	must(t, w.post(base+"/shipping", bad), http.StatusBadRequest, "रकम लिखें", "0 से 60 तक दिनों", `value="80 rupees"`)
	w.get(base + "/shipping?lang=bn")
	must(t, w.post(base+"/shipping", bad), http.StatusBadRequest, "টাকার অঙ্ক লিখুন", "0 থেকে 60 দিনের")
	if again, _ := e.App.Programs.Registry().Program(ctx, pid); again.Shipping.Domestic.First != 8050 {
		t.Fatalf("a refused form changed the settings: %+v", again.Shipping)
	}

	// Home only, with the refund policy: no international rate is kept.
	w.get(base + "/shipping?lang=en")
	home := url.Values{"domesticFirst": {"50"}, "intlFirst": {"999"}, "processingDays": {"2"},
		"refundReverse": {"1"}, "refundReason": {"Our partner shelter's agreement asks for it"}}
	must(t, w.post(base+"/shipping", home), http.StatusOK, "Saved.")
	prog, _ = e.App.Programs.Registry().Program(ctx, pid)
	if prog.Shipping.International != nil || prog.Shipping.FreeOver != nil || prog.Shipping.Domestic.First != 5000 ||
		!prog.RefundsReverseWages || prog.RefundsReverseWagesReason != "Our partner shelter's agreement asks for it" {
		t.Fatalf("stored after the second form: %+v %+v", prog.Shipping, prog)
	}
	// Another program's page is not found.
	other := e.Program("Mumbai Tailoring")
	if p := w.get("/coordinator/programs/" + other + "/shipping"); p.Status != http.StatusNotFound {
		t.Fatalf("another program's shipping page: %d", p.Status)
	}
}

// TestMadeToOrderProductForm: a maker lists a product made to order with no stock; the shop
// sells it and says when it is dispatched.
func TestMadeToOrderProductForm(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	ctx := context.Background()
	pid := e.Program("Kolkata Beads")
	coordID, coordTok := e.Coordinator(pid)
	_, makerTok := e.Maker(pid, coordTok)
	maker, err := e.App.Accounts.Authenticate(ctx, makerTok)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, e)
	w.login(maker.Login, apptest.Password)
	must(t, w.get("/maker/products/new?lang=en"), http.StatusOK, `name="madeToOrder"`, `name="leadTimeDays"`, "Days to make")

	fields := map[string]string{"title": "Kantha cushion cover", "description": "Stitched by hand.", "category": "home",
		"price": "900", "stock": "", "hours": "2", "materials": "50", "madeToOrder": "1", "leadTimeDays": "", "action": "draft"}
	p := w.postMultipart("/maker/products", fields, nil)
	must(t, p, http.StatusBadRequest, `id="e-leadTimeDays"`, "how many days it takes to make", `value="Kantha cushion cover"`)
	fields["leadTimeDays"] = "10"
	p = w.postMultipart("/maker/products", fields, nil)
	must(t, p, http.StatusOK, "Made to order: 10 days")
	id := strings.TrimPrefix(w.url, "/maker/products/")
	prod, err := e.App.Catalog.Product(ctx, e.Actor(maker.ID), id)
	if err != nil || !prod.MadeToOrder || prod.LeadTimeDays != 10 || prod.Stock != 0 {
		t.Fatalf("stored: %+v %v", prod, err)
	}
	if _, err := e.App.Catalog.Submit(ctx, e.Actor(maker.ID), id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Catalog.Approve(ctx, e.Actor(coordID), id, catalog.ReviewInput{}); err != nil {
		t.Fatal(err)
	}
	shopper := newWeb(t, e)
	p = shopper.get("/products/" + id + "?lang=en")
	must(t, p, http.StatusOK, "Made to order — dispatched within 10 days", "Add to cart")
	if strings.Contains(p.Body, "Sold out") {
		t.Fatalf("a made-to-order product shows as sold out:\n%s", p.Body)
	}
	must(t, shopper.get("/products/"+id+"?lang=hi"), http.StatusOK, "10 दिन में भेजा जाएगा")
	must(t, shopper.get("/products/"+id+"?lang=bn"), http.StatusOK, "10 দিনের মধ্যে পাঠানো হবে")

	// The edit form changes the lead time, and a bad one is refused.
	must(t, w.post("/maker/products/"+id, url.Values{"mtoForm": {"1"}, "madeToOrder": {"1"}, "leadTimeDays": {"14"}}), http.StatusOK, "Made to order: 14 days")
	if p := w.post("/maker/products/"+id, url.Values{"mtoForm": {"1"}, "madeToOrder": {"1"}, "leadTimeDays": {"200"}}); p.Status != http.StatusBadRequest {
		t.Fatalf("a lead time of 200 days: %d", p.Status)
	}
	// Sold from stock again: the shop shows the stock and the program's dispatch days.
	must(t, w.post("/maker/products/"+id, url.Values{"mtoForm": {"1"}, "stock": {"4"}}), http.StatusOK, "4 in stock")
	coord, _ := e.App.Accounts.Authenticate(ctx, coordTok)
	cw := newWeb(t, e)
	cw.login(coord.Login, apptest.Password)
	must(t, cw.post("/coordinator/programs/"+pid+"/shipping", url.Values{"domesticFirst": {"60"}, "processingDays": {"3"}}), http.StatusOK)
	must(t, shopper.get("/products/"+id+"?lang=en"), http.StatusOK, "4 left · Dispatched within 3 days")
}
