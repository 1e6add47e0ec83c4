package frontend

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
)

// orderRow is an order in a coordinator's or maker's list.
type orderRow struct {
	ID     string
	Ref    string
	Items  []string
	PaidAt time.Time
	Total  int64
	Cur    string
	// Flag is a payment that did not match the order (payments.PaymentFlag), for the coordinator.
	Flag *payments.PaymentFlag
}

// shortRef is the part of an order id people read out to each other.
func shortRef(id string) string {
	if len(id) > 8 {
		return strings.ToUpper(id[len(id)-8:])
	}
	return strings.ToUpper(id)
}

var addressFields = []string{"name", "line1", "line2", "city", "state", "postalCode", "country", "phone"}

// checkout turns the cart into an order and sends the buyer to pay: Stripe Checkout, or the
// app's own test-payment page in the demo.
func (s *Site) checkout(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	items := s.readCart(c)
	if len(items) == 0 {
		c.Redirect(http.StatusSeeOther, "/cart")
		return
	}
	p := s.page(c, l.T("cart_title"))
	for _, k := range append([]string{"email"}, addressFields...) {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	if p.Form["country"] == "" {
		p.Form["country"] = "IN"
	}
	in := payments.CheckoutInput{Email: p.Form["email"], ShippingAddress: &payments.Address{
		Name: p.Form["name"], Line1: p.Form["line1"], Line2: p.Form["line2"], City: p.Form["city"], State: p.Form["state"],
		PostalCode: p.Form["postalCode"], Country: strings.ToUpper(p.Form["country"]), Phone: p.Form["phone"]}}
	for _, it := range items {
		in.Items = append(in.Items, payments.ItemInput{ProductID: it.ProductID, Quantity: it.Qty})
	}
	in.CartID = s.cartID(c)
	res, err := s.Payments.Checkout(c.Request.Context(), st.Actor, in)
	if err != nil {
		if fault.KindOf(err) == fault.Internal {
			s.fail(c, err)
			return
		}
		s.fieldErrors(l, p, err)
		for k, v := range p.Errors {
			if rest, ok := strings.CutPrefix(k, "shippingAddress."); ok {
				p.Errors[rest] = v
			}
		}
		if fe, ok := fault.As(err); ok && fe.Code == "no_shipping" {
			// Said next to the country, naming the workshop, in the reader's language.
			name, _ := fe.Details["program"].(string)
			p.Errors["country"] = l.T("checkout_no_ship", "Program", name, "Country", strings.ToUpper(p.Form["country"]))
			p.Errors["_"] = l.T("error_fix_fields")
		}
		d, _ := s.cartView(c)
		p.D = d
		s.render(c, http.StatusUnprocessableEntity, "cart", p)
		return
	}
	s.writeCart(c, nil)
	s.goExternal(c, res.CheckoutURL, l.T("checkout_continue"))
}

// goExternal sends the browser on to a payment page. A redirect to another site straight after
// a form post would be blocked by the form-action 'self' policy, so an external address gets a
// page with a link (followed at once by the script when it runs); our own pages get a redirect.
func (s *Site) goExternal(c *gin.Context, to, label string) {
	base := strings.TrimRight(s.BaseURL, "/")
	if strings.HasPrefix(to, base+"/") || strings.HasPrefix(to, "/") {
		c.Redirect(http.StatusSeeOther, to)
		return
	}
	p := s.page(c, label)
	p.D = map[string]any{"URL": to, "Label": label}
	s.render(c, http.StatusOK, "continue", p)
}

func (s *Site) order(c *gin.Context) {
	st := stateOf(c)
	o, err := s.Payments.OrderByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("X-Robots-Tag", "noindex")
	p := s.page(c, st.L.T("order_title", "Ref", shortRef(o.ID)))
	p.D = map[string]any{"O": o, "Ref": shortRef(o.ID), "JustPaid": c.Query("paid") != ""}
	s.render(c, http.StatusOK, "order", p)
}

// orderRows lists the orders of q that have an item of the program.
func (s *Site) orderRows(ctx context.Context, a accounts.Actor, programID string, q payments.OrderQuery) ([]orderRow, error) {
	v, err := s.Payments.Orders(ctx, a, q)
	if err != nil {
		return nil, err
	}
	os, _ := v.([]payments.Order)
	var out []orderRow
	for _, o := range os {
		mine := false
		for _, id := range o.ProgramIDs {
			mine = mine || id == programID
		}
		if !mine {
			continue
		}
		r := orderRow{ID: o.ID, Ref: shortRef(o.ID), PaidAt: o.PaidAt, Total: o.Total, Cur: o.Currency, Flag: o.PaymentFlag}
		for _, it := range o.Items {
			r.Items = append(r.Items, strconv.Itoa(it.Quantity)+" × "+it.Title)
		}
		out = append(out, r)
	}
	return out, nil
}

// coordShip sends the coordinator's own packages of an order with one tracking number (the
// form before the order desk; another program's package is left to its coordinators), then
// goes to the desk.
func (s *Site) coordShip(c *gin.Context) {
	st := stateOf(c)
	o, err := s.Payments.Ship(c.Request.Context(), st.Actor, c.Param("id"), payments.ShipInput{
		TrackingNumber: strings.TrimSpace(c.PostForm("trackingNumber")), Carrier: strings.TrimSpace(c.PostForm("carrier"))})
	if err != nil {
		s.fail(c, err)
		return
	}
	to := "/coordinator"
	if pid := c.PostForm("program"); pid != "" && st.Actor.Coordinates(pid) {
		to = deskPath(pid, "", "")
	} else if len(o.ProgramIDs) > 0 {
		to = deskPath(o.ProgramIDs[0], "", "")
	}
	s.redirectFlash(c, to, "shipped")
}

// makerPayouts opens Stripe's onboarding for the maker's payouts.
func (s *Site) makerPayouts(c *gin.Context) {
	st := stateOf(c)
	ob, err := s.Payments.OnboardMaker(c.Request.Context(), st.Actor, st.User.MakerID)
	if err != nil {
		if fault.KindOf(err) == fault.Internal {
			s.fail(c, err)
			return
		}
		p := s.page(c, st.L.T("payouts_setup_button"))
		p.Maker = true
		if errors.Is(err, payments.ErrStripeOff) {
			// The demo runs without Stripe: say what would happen, never "try again".
			p.D = map[string]any{"Message": st.L.T("payouts_demo_maker")}
			s.render(c, http.StatusOK, "error", p)
			return
		}
		p.D = map[string]any{"Message": st.L.T("payouts_unavailable")}
		s.render(c, http.StatusServiceUnavailable, "error", p)
		return
	}
	s.goExternal(c, ob.URL, st.L.T("payouts_continue"))
}

// coordProgramPayouts opens Stripe's onboarding for the program's own account (programs that
// receive makers' wages as paying agent).
func (s *Site) coordProgramPayouts(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	ob, err := s.Payments.OnboardProgram(c.Request.Context(), st.Actor, prog.ID)
	if err != nil {
		if fault.KindOf(err) == fault.Internal {
			s.fail(c, err)
			return
		}
		p := s.page(c, st.L.T("program_payouts_button"))
		if errors.Is(err, payments.ErrStripeOff) {
			p.D = map[string]any{"Message": st.L.T("payouts_demo_program")}
			s.render(c, http.StatusOK, "error", p)
			return
		}
		p.D = map[string]any{"Message": st.L.T("payouts_unavailable_staff")}
		s.render(c, http.StatusServiceUnavailable, "error", p)
		return
	}
	s.goExternal(c, ob.URL, st.L.T("payouts_continue"))
}

// exportSales writes the payout report as CSV, and records the export.
func (s *Site) exportSales(ctx context.Context, a accounts.Actor, programID string, w io.Writer) error {
	r, err := s.Payments.Payouts(ctx, a, programID, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	if err := s.Audit.Record(ctx, a, "export.payouts_csv", "program", programID, programID, "payout report"); err != nil {
		return err
	}
	return r.WriteCSV(w)
}

// kAnon is the smallest group the public pages show as a number (CTDC practice, k = 11).
const kAnon = 11

// impactRow is one program's public figures, or the total.
type impactRow struct {
	Name, City  string
	Wages       []moneyTotal
	WagesHidden bool
	Makers      int
	Completions int
}

func (s *Site) impact(c *gin.Context) {
	st := stateOf(c)
	ctx := c.Request.Context()
	wages, err := s.Payments.WagesPaidByProgram(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	earning, err := s.Payments.MakersEarningByProgram(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	done, err := s.Training.Completions(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	dir := s.Catalog.ProgramDirectory() // by name, from the read model: no database round trip
	total := impactRow{}
	totalWages := map[string]int64{}
	var rows []impactRow
	for _, p := range dir {
		r := impactRow{Name: p.Name, City: p.City, Makers: earning[p.ID], Completions: done[p.ID]}
		// Money earned by fewer than k makers would tell too much about each of them.
		r.WagesHidden = r.Makers < kAnon
		r.Wages = sortedTotals(wages[p.ID])
		for cur, amt := range wages[p.ID] {
			totalWages[cur] += amt
		}
		total.Makers += r.Makers
		total.Completions += r.Completions
		rows = append(rows, r)
	}
	total.Wages = sortedTotals(totalWages)
	total.WagesHidden = total.Makers < kAnon
	p := s.page(c, st.L.T("impact_title"))
	p.Canonical = strings.TrimRight(s.BaseURL, "/") + "/impact"
	p.D = map[string]any{"Rows": rows, "Total": total, "K": kAnon}
	s.render(c, http.StatusOK, "impact", p)
}

func sortedTotals(m map[string]int64) []moneyTotal {
	out := make([]moneyTotal, 0, len(m))
	for cur, amt := range m {
		out = append(out, moneyTotal{Amount: amt, Currency: cur})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}
