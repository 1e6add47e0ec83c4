package frontend_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/money"
)

// TestBrowserMoneyJourney: on 360 px phones, a coordinator records a craft-fair sale of two
// pieces paid by UPI and then hands the maker ₹200 in cash; the maker opens her home and sees
// what she earned, the ₹200 paid to her and the rest kept for her by the workshop.
func TestBrowserMoneyJourney(t *testing.T) {
	s := startSite(t)
	kol := s.program("Kolkata Beads", "Kolkata")
	kc := s.coordinator(kol.ID, "rina@browser.test")
	tara := s.maker(kol.ID, kc, "tara", "Tara")
	p := s.product(kol, tara, kc, "Brass jhumka earrings", "jewellery")
	prog, err := s.a.Programs.Registry().Program(context.Background(), kol.ID)
	if err != nil {
		t.Fatal(err)
	}
	share := catalog.Breakdown(p.Price, p.MaterialsCost, prog.ProgramSharePercent, s.a.Catalog.Fees).Maker

	co := phone360(t)
	login(t, co, s.base, "rina@browser.test")
	run(t, co, "open the fair sale",
		chromedp.Navigate(s.base+"/coordinator/programs/"+kol.ID+"/reports"),
		chromedp.WaitVisible(`a[href$="/sales/new"]`, chromedp.ByQuery),
		chromedp.Click(`a[href$="/sales/new"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action$="/sales"]`, chromedp.ByQuery),
	)
	fitsPhone(t, co, "fair sale")
	shot(t, co, "money-sale-form")
	run(t, co, "record the sale",
		chromedp.SendKeys("#f-q-"+p.ID, "2", chromedp.ByQuery),
		chromedp.Click(`input[name=paymentMethod][value=upi]`, chromedp.ByQuery),
		chromedp.SendKeys("#f-note", "Diwali fair, Salt Lake", chromedp.ByQuery),
		chromedp.Click(`form[action$="/sales"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	wantText(t, co, ".flash", "The sale is recorded")
	wantText(t, co, "main", "3 in stock")
	shot(t, co, "money-sale-recorded")

	run(t, co, "open the wages page",
		chromedp.Click(`main a[href$="/disbursements"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action$="/disbursements"]`, chromedp.ByQuery),
	)
	wantText(t, co, "#held", money.Format(2*share, "INR"))
	run(t, co, "a bad amount",
		chromedp.SetValue("#f-makerId", tara.UserID, chromedp.ByQuery),
		chromedp.SendKeys("#f-amount", "two hundred", chromedp.ByQuery),
		chromedp.Click(`form[action$="/disbursements"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible("#e-amount", chromedp.ByQuery),
	)
	wantText(t, co, "#e-amount", "Type an amount in rupees")
	fitsPhone(t, co, "wage form with a mistake")
	shot(t, co, "money-wage-bad-amount")
	run(t, co, "hand over ₹200",
		chromedp.SetValue("#f-amount", "200", chromedp.ByQuery),
		chromedp.SendKeys("#f-reference", "receipt 7", chromedp.ByQuery),
		chromedp.Click(`form[action$="/disbursements"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	wantText(t, co, ".flash", "The wage is recorded")
	wantText(t, co, "#recent", "₹200.00")
	wantText(t, co, "#held", money.Format(2*share-20000, "INR"))
	fitsPhone(t, co, "wages page")
	shot(t, co, "money-wage-recorded")
	run(t, co, "the report", chromedp.Navigate(s.base+"/coordinator/programs/"+kol.ID+"/reports"), chromedp.WaitVisible("#payouts", chromedp.ByQuery))
	wantText(t, co, "#payouts", "Held by the workshop")
	if got, _ := text(co, "main"); strings.Contains(got, "Paid to me") {
		t.Fatal("the coordinator's report speaks in the maker's voice")
	}
	fitsPhone(t, co, "report")
	shot(t, co, "money-report")

	mk := phone360(t)
	login(t, mk, s.base, "tara")
	for _, lang := range []string{"en", "hi", "bn"} {
		run(t, mk, "maker home "+lang, chromedp.Navigate(s.base+"/maker?lang="+lang+"#money"), chromedp.WaitVisible("#money-figures", chromedp.ByQuery))
		wantText(t, mk, "#m-earned", money.Format(2*share, "INR"))
		wantText(t, mk, "#m-paid", "₹200.00")
		wantText(t, mk, "#m-held", money.Format(2*share-20000, "INR"))
		fitsPhone(t, mk, "maker home "+lang)
		var wrapped bool
		// Each figure's amount stays on its own line's right, beside its words, not pushed out.
		run(t, mk, "figures fit "+lang, chromedp.Evaluate(`Array.from(document.querySelectorAll('#money-figures .amt')).some(e => e.getBoundingClientRect().right > window.innerWidth)`, &wrapped))
		if wrapped {
			t.Fatalf("%s: an amount runs off a 360 px screen", lang)
		}
		shot(t, mk, "money-maker-home-"+lang)
	}
	wantText(t, mk, "#m-paid", "হাতে পেয়েছি")
}
