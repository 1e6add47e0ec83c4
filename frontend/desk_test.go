package frontend_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
)

// deskProgram is one workshop of a two-program marketplace: its coordinator signed in on the
// pages, one maker and one published product.
type deskProgram struct {
	id      string
	coord   *web
	maker   *web
	makerID string
	product catalog.Product
	name    string // the maker's display name
}

// deskShop is a paid order of two programs' goods: two packages.
type deskShop struct {
	e          *apptest.Env
	a, b       deskProgram
	orderID    string
	orderToken string
}

func newDeskShop(t *testing.T) *deskShop {
	t.Helper()
	e := apptest.New(t)
	ctx := context.Background()
	mk := func(program, title string) deskProgram {
		pid := e.Program(program)
		coordID, coordTok := e.Coordinator(pid)
		makerID, _ := e.Maker(pid, coordTok)
		prog, err := e.App.Programs.Registry().Program(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		m, coord := e.Actor(makerID), e.Actor(coordID)
		p, err := e.App.Catalog.Create(ctx, m, catalog.CreateInput{Title: title, Description: "Made by hand.", Category: "jewellery",
			Price: catalog.LowestFairPrice(5000, 2, prog, e.App.Catalog.Fees) + 5000, Currency: "INR", Stock: 5, HoursOfWork: 2, MaterialsCost: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Catalog.AddImage(ctx, m, p.ID, bytes.NewReader(testJPEG(t, 400, 300))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Catalog.Submit(ctx, m, p.ID); err != nil {
			t.Fatal(err)
		}
		if p, err = e.App.Catalog.Approve(ctx, coord, p.ID, catalog.ReviewInput{}); err != nil {
			t.Fatal(err)
		}
		maker, err := e.App.Programs.Registry().Maker(ctx, makerID)
		if err != nil {
			t.Fatal(err)
		}
		d := deskProgram{id: pid, makerID: makerID, product: p, name: maker.DisplayName, coord: newWeb(t, e), maker: newWeb(t, e)}
		cu, _ := e.App.Accounts.User(ctx, coordID)
		d.coord.login(cu.Login, apptest.Password)
		mu, _ := e.App.Accounts.User(ctx, makerID)
		d.maker.login(mu.Login, apptest.Password)
		return d
	}
	s := &deskShop{e: e, a: mk("Kolkata Beads", "Brass jhumka earrings"), b: mk("Mumbai Tailoring", "Kantha tote bag")}
	res, err := e.App.Payments.Checkout(ctx, accounts.Actor{}, payments.CheckoutInput{Email: "priya@test.example",
		Items: []payments.ItemInput{{ProductID: s.a.product.ID, Quantity: 2}, {ProductID: s.b.product.ID, Quantity: 1}},
		ShippingAddress: &payments.Address{Name: "Priya Buyer", Line1: "12 Park Street", City: "Bengaluru", PostalCode: "560001",
			Country: "IN", Phone: "+91 98000 11111"}})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := url.Parse(res.CheckoutURL)
	if err != nil {
		t.Fatal(err)
	}
	s.orderID, s.orderToken = res.OrderID, cu.Query().Get("token")
	// The test-payment page redirects to the app's BASE_URL, which is not this server: stop there.
	req, _ := http.NewRequest("POST", e.Server.URL+"/checkout/test/"+s.orderID, strings.NewReader(url.Values{"token": {s.orderToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.Server.URL)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	paid, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	paid.Body.Close()
	if paid.StatusCode >= 400 {
		t.Fatalf("test payment: %d", paid.StatusCode)
	}
	if o, err := e.App.Payments.OrderByToken(ctx, s.orderToken); err != nil || o.Status != payments.StatusPaid || len(o.Fulfilments) != 2 {
		t.Fatalf("order after paying: %+v, %v", o, err)
	}
	return s
}

// section is the part of a page from the element with id to the next heading of its level.
func section(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest[1:], "<h2"); j >= 0 {
		return rest[:j+1]
	}
	return rest
}

var packageIDRE = regexp.MustCompile(`action="/coordinator/fulfilments/([^/"]+)/send"`)

// TestOrderDeskTwoPrograms: a cart of two programs' goods makes two packages; each
// coordinator's desk shows only her own, with the delivery address; one is sent through the
// form while the other still waits; the buyer sees one sent and one being prepared; the
// packing slip has no prices and no legal name, and another program's coordinator cannot
// open it.
func TestOrderDeskTwoPrograms(t *testing.T) {
	s := newDeskShop(t)
	a, b := s.a, s.b
	deskA := "/coordinator/programs/" + a.id + "/desk"

	// The dashboard counts the package to prepare and leads to the desk.
	must(t, a.coord.get("/coordinator/programs/"+a.id), http.StatusOK, `href="`+deskA+`"`, "Brass jhumka earrings")

	p := a.coord.get(deskA)
	must(t, p, http.StatusOK, "Order desk", "Brass jhumka earrings", "12 Park Street", "Priya Buyer", "Package 1 of 2", a.name, "private")
	if strings.Contains(p.Body, "Kantha tote bag") {
		t.Fatal("Kolkata's desk shows Mumbai's package")
	}
	m := packageIDRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("no send form on the desk")
	}
	pkgA := m[1]

	// The maker sees what to make, with its quantity, and nothing of the buyer.
	home := a.maker.get("/maker")
	must(t, home, http.StatusOK)
	work := section(home.Body, "work")
	if !strings.Contains(work, "Brass jhumka earrings") || !strings.Contains(work, `>2</span>`) ||
		strings.Contains(home.Body, "Priya") || strings.Contains(home.Body, "Park Street") {
		t.Fatalf("maker's work before sending:\n%s", work)
	}

	// A tracking number over 100 characters is refused next to its field, keeping what was typed.
	long := strings.Repeat("7", 101)
	p = a.coord.post("/coordinator/fulfilments/"+pkgA+"/send", url.Values{"program": {a.id}, "tab": {"to_prepare"},
		"carrier": {"India Post"}, "trackingNumber": {long}})
	must(t, p, http.StatusBadRequest, `id="et-`+pkgA+`"`, "Write at most 100 letters.", `value="India Post"`, `value="`+long+`"`)
	p = a.coord.post("/coordinator/fulfilments/"+pkgA+"/send?lang=hi", url.Values{"program": {a.id}, "carrier": {"India Post"}, "trackingNumber": {long}})
	must(t, p, http.StatusBadRequest, "अक्षर")
	a.coord.get("/?lang=en")

	// The packing slip: order, package, address, items with the maker's chosen name; no prices.
	slip := a.coord.get("/coordinator/fulfilments/" + pkgA + "/slip")
	must(t, slip, http.StatusOK, "Packing slip", "Package 1 of 2", "12 Park Street", "Brass jhumka earrings", a.name, "data-print")
	if strings.Contains(slip.Body, "₹") || strings.Contains(slip.Body, "Legal Name") || strings.Contains(slip.Body, "Kantha tote bag") {
		t.Fatalf("the packing slip shows a price, a legal name or another program's item:\n%s", slip.Body)
	}
	must(t, b.coord.get("/coordinator/fulfilments/"+pkgA+"/slip"), http.StatusNotFound)
	// Nor can she send it.
	must(t, b.coord.post("/coordinator/fulfilments/"+pkgA+"/send", url.Values{"program": {b.id}, "trackingNumber": {"X1"}}), http.StatusNotFound)

	// Sent through the form: back on the desk with a flash, no longer to prepare.
	p = a.coord.post("/coordinator/fulfilments/"+pkgA+"/send", url.Values{"program": {a.id}, "tab": {"to_prepare"},
		"carrier": {"India Post"}, "trackingNumber": {"EE123456789IN"}})
	must(t, p, http.StatusOK, "Package marked as sent", "Nothing to prepare")
	if strings.Contains(p.Body, "Brass jhumka earrings") {
		t.Fatal("the sent package is still under To prepare")
	}
	sent := a.coord.get(deskA + "?tab=sent&reference=" + strings.ToLower(s.orderID[len(s.orderID)-8:]))
	must(t, sent, http.StatusOK, "Brass jhumka earrings", "EE123456789IN", "Refund")
	if strings.Contains(sent.Body, "12 Park Street") {
		t.Fatal("the Sent list shows the delivery address")
	}
	must(t, a.coord.get(deskA+"?tab=sent&reference=ZZZZ"), http.StatusOK, "No package has this order number")
	// A second send is a conflict, said in words.
	p = a.coord.post("/coordinator/fulfilments/"+pkgA+"/send", url.Values{"program": {a.id}, "tab": {"to_prepare"}, "trackingNumber": {"again"}})
	must(t, p, http.StatusConflict, "This package was sent already")

	// The maker's list is clear once it left.
	if work := section(a.maker.get("/maker").Body, "work"); strings.Contains(work, "Brass jhumka earrings") {
		t.Fatalf("maker's work after sending:\n%s", work)
	}

	// Mumbai's package still waits on Mumbai's desk.
	must(t, b.coord.get("/coordinator/programs/"+b.id+"/desk"), http.StatusOK, "Kantha tote bag", "Package 2 of 2", "12 Park Street")

	// The buyer sees one sent, one being prepared.
	buyer := newWeb(t, s.e)
	must(t, buyer.get("/orders/"+s.orderToken), http.StatusOK, "Partly sent", "Package 1 of 2", "Sent on", "EE123456789IN",
		"Package 2 of 2", "Being prepared")

	// Refund needs a ticked item; then the ticked item is refunded.
	p = a.coord.post("/coordinator/fulfilments/"+pkgA+"/refund", url.Values{"program": {a.id}, "tab": {"sent"}, "reason": {"Broken in the post"}})
	must(t, p, http.StatusBadRequest, "Tick at least one item", "Broken in the post")
	p = a.coord.post("/coordinator/fulfilments/"+pkgA+"/refund", url.Values{"program": {a.id}, "tab": {"sent"}, "item": {"0"}, "reason": {"Broken in the post"}})
	must(t, p, http.StatusOK, "Refund sent to the buyer")
	if o, _ := s.e.App.Payments.OrderByToken(context.Background(), s.orderToken); !o.Items[0].Refunded || o.Items[1].Refunded {
		t.Fatalf("after refunding Kolkata's item: %+v", o.Items)
	}
	// The item was sent: the maker keeps her wage, and the workshop's report shows it bore the refund.
	must(t, a.coord.get("/coordinator/programs/"+a.id+"/reports?lang=en"), http.StatusOK,
		"The workshop&#39;s own account", "Refunds of goods already sent, borne by the workshop", "(1)")

	// The form from before the desk still works: it sends only Mumbai's own package.
	p = b.coord.post("/coordinator/orders/"+s.orderID+"/ship", url.Values{"program": {b.id}, "trackingNumber": {"MUM-1"}})
	must(t, p, http.StatusOK, "Order desk")
	o, _ := s.e.App.Payments.OrderByToken(context.Background(), s.orderToken)
	if o.Fulfilments[1].Status != payments.FulfilSent || o.Fulfilments[1].TrackingNumber != "MUM-1" || o.Fulfilments[0].TrackingNumber != "EE123456789IN" {
		t.Fatalf("after Mumbai's old ship form: %+v", o.Fulfilments)
	}
}

// TestOrderDeskCancelAndHandOver: a package handed over in person is delivered at once; one
// cancelled with a reason leaves the list and the buyer sees it cancelled.
func TestOrderDeskCancelAndHandOver(t *testing.T) {
	s := newDeskShop(t)
	deskA := "/coordinator/programs/" + s.a.id + "/desk"
	pkgA := packageIDRE.FindStringSubmatch(s.a.coord.get(deskA).Body)[1]
	p := s.a.coord.post("/coordinator/fulfilments/"+pkgA+"/deliver", url.Values{"program": {s.a.id}, "tab": {"to_prepare"}})
	must(t, p, http.StatusOK, "Package marked as delivered")
	must(t, s.a.coord.get(deskA+"?tab=delivered"), http.StatusOK, "Brass jhumka earrings", "Delivered on")

	deskB := "/coordinator/programs/" + s.b.id + "/desk"
	pkgB := packageIDRE.FindStringSubmatch(s.b.coord.get(deskB).Body)[1]
	p = s.b.coord.post("/coordinator/fulfilments/"+pkgB+"/cancel", url.Values{"program": {s.b.id}, "tab": {"to_prepare"}, "reason": {strings.Repeat("x", 501)}})
	must(t, p, http.StatusBadRequest, "Write at most 500 letters.")
	p = s.b.coord.post("/coordinator/fulfilments/"+pkgB+"/cancel", url.Values{"program": {s.b.id}, "tab": {"to_prepare"}, "reason": {"Dye ran in the wash"}})
	must(t, p, http.StatusOK, "Package cancelled", "Nothing to prepare")
	must(t, newWeb(t, s.e).get("/orders/"+s.orderToken), http.StatusOK, "Delivered on", "Cancelled")
}
