package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/money"
)

// figure reads one amount of a money view: the row with id's amount.
func figure(t *testing.T, body, id string) string {
	t.Helper()
	return regexpFind(t, body, `id="`+id+`">(?s:.*?)<span class="amt">([^<]+)</span>`)
}

// TestMoneyPages: a coordinator records a fair sale and a wage handed over through the forms;
// the maker's home then shows earned, paid to her (the wage handed over) and held by the
// workshop (the rest), and the coordinator's report shows the same figures in her own voice.
// Mistakes are shown next to their field in the reader's language with what was typed kept;
// another program's coordinator gets 404 on every page.
func TestMoneyPages(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	coord, err := s.e.App.Accounts.User(ctx, s.coord.UserID)
	if err != nil {
		t.Fatal(err)
	}
	maker, err := s.e.App.Accounts.User(ctx, s.maker.UserID)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := s.e.App.Programs.Registry().Program(ctx, s.programID)
	if err != nil {
		t.Fatal(err)
	}
	p0 := s.products[0]
	share := catalog.Breakdown(p0.Price, p0.MaterialsCost, prog.ProgramSharePercent, s.e.App.Catalog.Fees).Maker
	w := newWeb(t, s.e)
	w.login(coord.Login, apptest.Password)
	base := "/coordinator/programs/" + s.programID

	// The fair sale.
	must(t, w.get(base+"/sales/new"), http.StatusOK, "Record a fair sale", p0.Title, s.products[1].Title, "5 in stock", `value="upi"`)
	q := "q-" + p0.ID
	p := w.post(base+"/sales", url.Values{q: {"9"}, "paymentMethod": {"cash"}, "note": {"Diwali fair"}})
	must(t, p, http.StatusUnprocessableEntity, `id="e-`+q+`"`, "Only 5 left of “"+p0.Title+"”", `value="9"`, "Diwali fair")
	p = w.post(base+"/sales?lang=hi", url.Values{q: {"दो"}, "paymentMethod": {"cash"}})
	must(t, p, http.StatusUnprocessableEntity, `id="e-`+q+`"`, "पूरी संख्या", `value="दो"`)
	must(t, w.post(base+"/sales?lang=en", url.Values{"paymentMethod": {"cash"}}), http.StatusUnprocessableEntity, `id="e-items"`)
	p = w.post(base+"/sales", url.Values{q: {"2"}, "paymentMethod": {"cash"}, "note": {"Diwali fair"}})
	must(t, p, http.StatusOK, "The sale is recorded", "3 in stock")
	if got, err := s.e.App.Catalog.Product(ctx, s.coord, p0.ID); err != nil || got.Stock != 3 {
		t.Fatalf("stock after the sale: %+v %v", got.Stock, err)
	}

	// The wage handed over: a bad amount first, kept as typed, in English and Hindi.
	today := time.Now().Format(time.DateOnly)
	form := url.Values{"makerId": {maker.ID}, "amount": {"2OO"}, "method": {"cash"}, "date": {today}, "reference": {"receipt 7"}}
	p = w.post(base+"/disbursements", form)
	must(t, p, http.StatusUnprocessableEntity, `id="e-amount"`, "Type an amount in rupees", `value="2OO"`, `value="receipt 7"`)
	p = w.post(base+"/disbursements?lang=hi", form)
	must(t, p, http.StatusUnprocessableEntity, `id="e-amount"`, "रुपये में रकम लिखें", `value="2OO"`)
	form.Set("amount", "200")
	w.get("/?lang=en")
	form.Set("date", time.Now().AddDate(0, 0, 3).Format(time.DateOnly))
	must(t, w.post(base+"/disbursements", form), http.StatusUnprocessableEntity, `id="e-date"`, "cannot be in the future", `value="200"`)
	form.Set("date", today)
	p = w.post(base+"/disbursements", form)
	must(t, p, http.StatusOK, "The wage is recorded", "₹200.00", "receipt 7", "Cash")
	held := money.Format(2*share-20000, "INR")
	if got := regexpFind(t, p.Body, `(?s)id="held".*?<td class="num">([^<]+)</td>`); got != held {
		t.Fatalf("held by the workshop on the wage page: %s, want %s", got, held)
	}

	// The coordinator's report: the same figures, in the coordinator's voice.
	p = w.get(base + "/reports")
	must(t, p, http.StatusOK, "Paid to the maker", "Held by the workshop", "On its way", money.Format(2*share, "INR"), held)
	for _, path := range []string{base + "/reports", base + "/sales/new", base + "/disbursements"} {
		if pg := w.get(path); strings.Contains(pg.Body, "Paid to me") {
			t.Fatalf("%s speaks in the maker's voice", path)
		}
	}

	// The maker's home.
	mw := newWeb(t, s.e)
	mw.login(maker.Login, apptest.Password)
	for lang, words := range map[string][]string{"en": {"I earned", "Paid to me", "Kept by the workshop for me", "On its way"},
		"hi": {"मैंने कमाया", "मुझे मिला"}, "bn": {"আমি আয় করেছি", "আমি হাতে পেয়েছি"}} {
		p = mw.get("/maker?lang=" + lang)
		must(t, p, http.StatusOK, words...)
		if got := figure(t, p.Body, "m-earned"); got != money.Format(2*share, "INR") {
			t.Fatalf("%s earned: %s, want %s", lang, got, money.Format(2*share, "INR"))
		}
		if got := figure(t, p.Body, "m-paid"); got != "₹200.00" {
			t.Fatalf("%s paid to her: %s", lang, got)
		}
		if got := figure(t, p.Body, "m-held"); got != held {
			t.Fatalf("%s held by the workshop: %s, want %s", lang, got, held)
		}
		if got := figure(t, p.Body, "m-coming"); got != "₹0.00" && got != "₹0" {
			t.Fatalf("%s on its way: %s", lang, got)
		}
	}

	// Another program's coordinator: 404 on every page, and nothing recorded.
	other := s.e.Program("Delhi Weaving")
	otherID, _ := s.e.Coordinator(other)
	ou, err := s.e.App.Accounts.User(ctx, otherID)
	if err != nil {
		t.Fatal(err)
	}
	ow := newWeb(t, s.e)
	ow.login(ou.Login, apptest.Password)
	must(t, ow.get(base+"/sales/new"), http.StatusNotFound)
	must(t, ow.get(base+"/disbursements"), http.StatusNotFound)
	must(t, ow.post(base+"/sales", url.Values{q: {"1"}, "paymentMethod": {"cash"}}), http.StatusNotFound)
	form.Set("amount", "1")
	must(t, ow.post(base+"/disbursements", form), http.StatusNotFound)
	ds, err := s.e.App.Payments.Disbursements(ctx, s.coord, s.programID, "")
	if err != nil || len(ds) != 1 || ds[0].Amount != 20000 || ds[0].Method != "cash" || ds[0].Reference != "receipt 7" {
		t.Fatalf("disbursements: %+v %v", ds, err)
	}
	if got, _ := s.e.App.Catalog.Product(ctx, s.coord, p0.ID); got.Stock != 3 {
		t.Fatalf("another program's coordinator changed the stock: %d", got.Stock)
	}
}
