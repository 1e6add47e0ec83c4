package frontend_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fairhands/marketplace/catalog"
)

// TestBrowserListingEdit: on a 360 px phone, a maker opens a listing her coordinator sent back,
// changes every field on the edit form and saves it, then removes a photo after its
// confirmation. Every tap target is 48 px and nothing scrolls sideways.
func TestBrowserListingEdit(t *testing.T) {
	s := startSite(t)
	prog := s.program("Kolkata Beads", "Kolkata")
	coord := s.coordinator(prog.ID, "rina@browser.test")
	tara := s.maker(prog.ID, coord, "tara", "Tara")
	p := s.product(prog, tara, coord, "Brass jhumka earrings", "jewellery")
	ctx := context.Background()
	second, err := s.a.Catalog.AddImage(ctx, tara, p.ID, bytes.NewReader(testJPEG(t, 640, 480)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.Catalog.Reject(ctx, coord, p.ID, "Change the name to “Brass jhumka pair”, and say what they are made of."); err != nil {
		t.Fatal(err)
	}

	phone := phone360(t)
	login(t, phone, s.base, "tara")
	base := s.base + "/maker/products/" + p.ID
	run(t, phone, "product page", chromedp.Navigate(base), chromedp.WaitVisible(`a[href$="/edit"]`, chromedp.ByQuery))
	wantText(t, phone, "main", "Change the name to")
	shot(t, phone, "listing-sent-back")
	fitsPhone(t, phone, "sent-back product page")

	run(t, phone, "open the edit form",
		chromedp.Click(`main a[href$="/edit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#f-title", chromedp.ByQuery),
	)
	wantText(t, phone, "main", "Change the name to")
	wantText(t, phone, "#fair-hint", "for each hour of work")
	shot(t, phone, "listing-edit-form")
	fitsPhone(t, phone, "edit form")
	typeInto := func(sel, v string) chromedp.Action {
		return chromedp.Tasks{setValue(sel, ""), chromedp.SendKeys(sel, v, chromedp.ByQuery)}
	}
	run(t, phone, "change every field",
		typeInto("#f-title", "Brass jhumka pair"),
		setValue("#f-category", "accessories"),
		typeInto("#f-hours", "3"),
		typeInto("#f-materials", "80"),
		typeInto("#f-price", "1200"),
		typeInto("#f-stock", "0"),
		chromedp.Click(`input[name=madeToOrder]`, chromedp.ByQuery),
		typeInto("#f-leadTimeDays", "10"),
		typeInto("#f-description", "A pair of brass jhumkas, hammered by hand."),
	)
	hint, _ := text(phone, "#fair-hint")
	if !strings.Contains(hint, "₹") {
		t.Fatalf("fair-price hint after typing: %q", hint)
	}
	shot(t, phone, "listing-edit-filled")
	run(t, phone, "save", chromedp.Click(`button[name=action][value=save]`, chromedp.ByQuery), chromedp.WaitVisible(".flash", chromedp.ByQuery))
	wantText(t, phone, "h1", "Brass jhumka pair")
	got, err := s.a.Catalog.Product(ctx, tara, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Brass jhumka pair" || got.Category != "accessories" || got.HoursOfWork != 3 || got.MaterialsCost != 8000 ||
		got.Price != 120000 || !got.MadeToOrder || got.LeadTimeDays != 10 || got.Description != "A pair of brass jhumkas, hammered by hand." ||
		got.Status != catalog.StatusDraft {
		t.Fatalf("after saving: %+v", got)
	}

	// Remove the first photo: the first tap only opens the confirmation.
	first := p.Images[0].ID
	sel := `form[action$="/photos/` + first + `/delete"]`
	run(t, phone, "open the confirmation",
		chromedp.Click(`details.confirm > summary`, chromedp.ByQuery),
		chromedp.WaitVisible(sel+` button`, chromedp.ByQuery),
	)
	shot(t, phone, "listing-photo-remove-confirm")
	fitsPhone(t, phone, "photo removal confirmation")
	if still, _ := s.a.Catalog.Product(ctx, tara, p.ID); len(still.Images) != 2 {
		t.Fatalf("opening the confirmation removed a photo: %d left", len(still.Images))
	}
	run(t, phone, "remove", chromedp.Click(sel+` button`, chromedp.ByQuery), chromedp.WaitNotPresent(sel, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery))
	wantText(t, phone, ".flash", "Photo removed")
	shot(t, phone, "listing-photo-removed")
	var srcs []string
	run(t, phone, "photos left", chromedp.Evaluate(`Array.from(document.querySelectorAll('main img[src]')).map(i => i.getAttribute('src'))`, &srcs))
	if len(srcs) != 1 || !strings.Contains(srcs[0], second.ID) {
		t.Fatalf("photos on the page after removal: %q", srcs)
	}
	if got, _ := s.a.Catalog.Product(ctx, tara, p.ID); len(got.Images) != 1 || got.Images[0].ID != second.ID {
		t.Fatalf("stored photos after removal: %+v", got.Images)
	}
	// And she sends it again.
	run(t, phone, "resubmit", chromedp.Click(`form[action$="/submit"] button`, chromedp.ByQuery), chromedp.WaitNotPresent(`form[action$="/submit"]`, chromedp.ByQuery))
	wantText(t, phone, "main", "Waiting for review")
	shot(t, phone, "listing-resubmitted")
}
