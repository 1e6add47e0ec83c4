package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/fairhands/marketplace/programs"
)

// TestCartShowsShippingPerPackage: before paying, the cart shows each workshop's package with
// its shipping and when it is sent, and the total with shipping; a country the workshop does
// not ship to is said plainly, in the reader's language.
func TestCartShowsShippingPerPackage(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	if _, err := s.e.App.Programs.UpdateSettings(ctx, s.coord, s.programID, programs.SettingsInput{
		Shipping: &programs.Shipping{Domestic: &programs.ShippingRate{First: 8050, Additional: 2000}, ProcessingDays: 3}}); err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, s.e)
	w.post("/cart", url.Values{"product": {s.products[0].ID}, "qty": {"2"}, "mode": {"add"}})
	p := w.get("/cart?lang=en")
	must(t, p, http.StatusOK, "Packages and shipping", "Package 1 of 1", "Kolkata Beads", "2 × Brass jhumka earrings",
		"Shipping ₹100.50", "Dispatched within 3 days", "Total with shipping")
	must(t, w.get("/cart?country=GB"), http.StatusOK, "does not ship to GB", `value="GB"`)
	must(t, w.get("/cart?country=IN&lang=hi"), http.StatusOK, "डाक ख़र्च ₹100.50", "3 दिन में भेजा जाएगा")
	must(t, w.get("/cart?country=GB&lang=bn"), http.StatusOK, "GB-তে পাঠায় না")
}

// TestCheckoutToACountryNotServed: checking out to a country the workshop does not ship to
// keeps what was typed and says so next to the country, naming the workshop; nothing is held.
func TestCheckoutToACountryNotServed(t *testing.T) {
	s := newShop(t)
	if _, err := s.e.App.Programs.UpdateSettings(context.Background(), s.coord, s.programID, programs.SettingsInput{
		Shipping: &programs.Shipping{Domestic: &programs.ShippingRate{First: 8000}, ProcessingDays: 2}}); err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, s.e)
	w.post("/cart", url.Values{"product": {s.products[0].ID}, "qty": {"1"}, "mode": {"add"}})
	w.get("/cart?lang=en")
	form := url.Values{"email": {"guest@test.example"}, "name": {"Jo Buyer"}, "line1": {"1 High Street"}, "city": {"London"},
		"postalCode": {"N1 9GU"}, "country": {"GB"}}
	p := w.post("/checkout", form)
	must(t, p, http.StatusUnprocessableEntity, "Kolkata Beads does not ship to GB", `value="1 High Street"`, `value="London"`)
	// The cart is still there.
	must(t, w.get("/cart"), http.StatusOK, "Brass jhumka earrings")
}
