package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
)

// TestPayoutsSetUpInTheDemo: without Stripe, setting up payouts explains that the demo has no
// Stripe and what would happen, to the maker and to the coordinator; it never says "try again".
func TestPayoutsSetUpInTheDemo(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	mu, err := s.e.App.Accounts.User(ctx, s.maker.UserID)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, s.e)
	w.login(mu.Login, apptest.Password)
	p := w.post("/maker/payouts", url.Values{})
	must(t, p, http.StatusOK, "This is the demo", "Stripe")
	if strings.Contains(p.Body, "try again") || strings.Contains(p.Body, "ask your coordinator") {
		t.Fatal("the demo pretends payouts may work later")
	}
	w.get("/maker?lang=hi")
	must(t, w.post("/maker/payouts", url.Values{}), http.StatusOK, "यह डेमो है")

	cu, err := s.e.App.Accounts.User(ctx, s.coord.UserID)
	if err != nil {
		t.Fatal(err)
	}
	cw := newWeb(t, s.e)
	cw.login(cu.Login, apptest.Password)
	must(t, cw.post("/coordinator/programs/"+s.programID+"/payouts", url.Values{}), http.StatusOK, "This is the demo", "workshop")
}
