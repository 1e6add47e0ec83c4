package frontend

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/money"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// moneyParts is where a maker's wages are, as the ledger and the disbursements say.
type moneyParts struct {
	// ToHer reached her own Stripe account.
	ToHer int64
	// ToWorkshop reached the workshop for her: transferred to its account as paying agent, or
	// collected in cash at an offline sale.
	ToWorkshop int64
	// Pending is credited but not yet moved; AwaitingDispatch is the part whose package is not
	// sent yet.
	Pending, AwaitingDispatch int64
	// Disbursed is what the workshop recorded handing to her.
	Disbursed int64
}

// moneyView is a maker's money in few words, the same figures for her and her coordinator:
// what she earned, what was paid to her, what the workshop holds for her, what is on its way.
type moneyView struct {
	Earned, PaidToHer, Held, OnItsWay int64
	// AwaitingDispatch is the part of OnItsWay whose package is not sent yet: a wage is payable
	// only once the work has left the workshop.
	AwaitingDispatch int64
	Currency         string
}

// moneyOf is the one place the figures are worked out. Paid to her is what reached her own
// account plus what the workshop handed her; held by the workshop is what reached the workshop
// for her less what it handed her, never below zero (a workshop may advance a wage).
func moneyOf(p moneyParts, currency string) moneyView {
	return moneyView{Earned: p.ToHer + p.ToWorkshop + p.Pending, PaidToHer: p.ToHer + p.Disbursed,
		Held: max(0, p.ToWorkshop-p.Disbursed), OnItsWay: p.Pending, AwaitingDispatch: p.AwaitingDispatch,
		Currency: currency}
}

// partsOfEarnings splits a maker's ledger by who holds the money. An earning transferred to a
// maker payee reached her own account; anything else that moved (transferred to the program as
// paying agent, or collected in person) is with the workshop.
func partsOfEarnings(e payments.Earnings) moneyParts {
	b := e.Balance
	p := moneyParts{Pending: b.Pending, AwaitingDispatch: b.AwaitingDispatch, Disbursed: b.Disbursed}
	for _, en := range e.Entries {
		if en.Kind == payments.KindEarning && en.Currency == b.Currency && en.Status == payments.EntryTransferred &&
			en.PayeeType == payments.PayeeMaker {
			p.ToHer += en.Amount
		}
	}
	p.ToWorkshop = b.Transferred - p.ToHer
	return p
}

// partsOfRow reads the same split from a payout report row.
func partsOfRow(r payments.PayoutRow) moneyParts {
	return moneyParts{ToHer: r.ToMaker, ToWorkshop: r.ToProgram, Pending: r.Pending, Disbursed: r.Disbursed}
}

func (s *Site) makerMoney(ctx context.Context, a accounts.Actor, makerID string) (*moneyView, error) {
	e, err := s.Payments.Earnings(ctx, a, makerID)
	if err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return nil, nil
		}
		return nil, err
	}
	if e.Balance.Currency == "" && len(e.Entries) == 0 && e.Balance.Disbursed == 0 {
		return nil, nil
	}
	v := moneyOf(partsOfEarnings(e), e.Balance.Currency)
	return &v, nil
}

// salesRow is one maker's line of the coordinator's payout report.
type salesRow struct {
	MakerID, DisplayName string
	Sales                int
	M                    moneyView
}

// salesView is the payout report as the reports page shows it: per maker, the same figures
// her own home shows.
type salesView struct {
	Currency string
	Makers   []salesRow
	Totals   salesRow
	Program  payments.ProgramAccount
}

func salesOf(r payments.PayoutReport) *salesView {
	v := &salesView{Currency: r.Currency, Program: r.Program, Totals: salesRow{M: moneyView{Currency: r.Currency}}}
	for _, row := range r.Makers {
		sr := salesRow{MakerID: row.MakerID, DisplayName: row.DisplayName, Sales: row.Sales, M: moneyOf(partsOfRow(row), r.Currency)}
		v.Makers = append(v.Makers, sr)
		t := &v.Totals
		t.Sales += sr.Sales
		t.M.Earned += sr.M.Earned
		t.M.PaidToHer += sr.M.PaidToHer
		t.M.Held += sr.M.Held
		t.M.OnItsWay += sr.M.OnItsWay
	}
	return v
}

// programSales is the payout report for the reports page.
func (s *Site) programSales(ctx context.Context, a accounts.Actor, programID string) (*salesView, error) {
	r, err := s.Payments.Payouts(ctx, a, programID, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	return salesOf(r), nil
}

// Offline sales: a craft fair or the shop counter.

// saleMethods and wageMethods are the ways money is taken at a fair and handed to a maker.
var (
	saleMethods = []string{"cash", "upi", "card", "bank"}
	wageMethods = []string{"cash", "upi", "bank"}
)

const maxSaleQty = 999

// saleProduct is a published product of the program on the sale form.
type saleProduct struct {
	ID, Title, Maker string
	Price            int64
	Stock            int
	MadeToOrder      bool
}

type saleData struct {
	Program  programs.Program
	Products []saleProduct
	Methods  []string
}

// saleProducts lists the program's published products of its active makers, by maker and title.
func (s *Site) saleProducts(ctx context.Context, a accounts.Actor, programID string) ([]saleProduct, error) {
	ms, err := s.Programs.Makers(ctx, a, programID)
	if err != nil {
		return nil, err
	}
	var out []saleProduct
	for _, m := range ms {
		if m.Status != "active" {
			continue
		}
		ps, err := s.Catalog.MakerProducts(ctx, a, m.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.Status == catalog.StatusPublished {
				out = append(out, saleProduct{ID: p.ID, Title: p.Title, Maker: m.DisplayName, Price: p.Price,
					Stock: p.Stock, MadeToOrder: p.MadeToOrder})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Maker != out[j].Maker {
			return out[i].Maker < out[j].Maker
		}
		return out[i].Title < out[j].Title
	})
	return out, nil
}

func (s *Site) renderSale(c *gin.Context, status int, p *Page, prog programs.Program, ps []saleProduct) {
	p.Title = stateOf(c).L.T("sale_title")
	p.D = saleData{Program: prog, Products: ps, Methods: saleMethods}
	s.render(c, status, "coord_sale", p)
}

func (s *Site) coordSaleForm(c *gin.Context) {
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	ps, err := s.saleProducts(c.Request.Context(), stateOf(c).Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	p.Form["paymentMethod"] = "cash"
	s.renderSale(c, http.StatusOK, p, prog, ps)
}

// coordSale records a sale made in person: the quantities typed per product, the way it was
// paid and a note. A mistake is shown next to its field with everything typed kept.
func (s *Site) coordSale(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	ps, err := s.saleProducts(c.Request.Context(), st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	p.Form["paymentMethod"] = strings.TrimSpace(c.PostForm("paymentMethod"))
	p.Form["note"] = strings.TrimSpace(c.PostForm("note"))
	var in payments.OfflineSaleInput
	for _, sp := range ps {
		k := "q-" + sp.ID
		v := strings.TrimSpace(c.PostForm(k))
		p.Form[k] = v
		if v == "" || v == "0" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxSaleQty {
			p.Errors[k] = l.T("sale_err_qty", "Max", maxSaleQty)
			continue
		}
		if n > 0 {
			in.Items = append(in.Items, payments.ItemInput{ProductID: sp.ID, Quantity: n})
		}
	}
	if len(in.Items) == 0 && len(p.Errors) == 0 {
		p.Errors["items"] = l.T("sale_err_none")
	}
	if !contains(saleMethods, p.Form["paymentMethod"]) {
		p.Errors["paymentMethod"] = l.T("money_err_method")
	}
	if len([]rune(p.Form["note"])) > 500 {
		p.Errors["note"] = l.T("ferr_max_chars", "N", 500)
	}
	if len(p.Errors) == 0 {
		in.PaymentMethod, in.Note = p.Form["paymentMethod"], p.Form["note"]
		o, err := s.Payments.OfflineSale(c.Request.Context(), st.Actor, prog.ID, in)
		if err == nil {
			s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/sales/new?sold="+shortRef(o.ID), "sale_recorded")
			return
		}
		if fault.KindOf(err) == fault.Internal || fault.KindOf(err) == fault.NotFound {
			s.fail(c, err)
			return
		}
		s.saleErrors(l, p, err, in, ps)
	}
	if p.Errors["_"] == "" {
		p.Errors["_"] = l.T("error_fix_fields")
	}
	s.renderSale(c, http.StatusUnprocessableEntity, p, prog, ps)
}

// saleErrors puts the service's refusal next to the product it is about, in the reader's
// language: an out-of-stock conflict names the product and the units left.
func (s *Site) saleErrors(l *Loc, p *Page, err error, in payments.OfflineSaleInput, ps []saleProduct) {
	title := func(id string) string {
		for _, sp := range ps {
			if sp.ID == id {
				return sp.Title
			}
		}
		return ""
	}
	fe, _ := fault.As(err)
	if errors.Is(err, catalog.ErrOutOfStock) && fe != nil {
		id, _ := fe.Details["productId"].(string)
		left := 0
		switch n := fe.Details["available"].(type) {
		case int:
			left = n
		case int64:
			left = int(n)
		case float64:
			left = int(n)
		}
		if id != "" {
			p.Errors["q-"+id] = l.T("sale_err_stock", "Left", left, "Title", title(id))
			return
		}
	}
	if fe != nil {
		for f, msg := range fe.Fields {
			if i, ok := itemIndex(f); ok && i < len(in.Items) {
				p.Errors["q-"+in.Items[i].ProductID] = l.T("sale_err_not_for_sale", "Title", title(in.Items[i].ProductID))
				continue
			}
			if f == "paymentMethod" || f == "note" {
				p.Errors[f] = translateFieldMsg(l, msg)
			}
		}
		if len(p.Errors) > 0 {
			return
		}
	}
	s.fieldErrors(l, p, err)
}

// itemIndex reads the item index out of a field path such as "items[2].productId".
func itemIndex(field string) (int, bool) {
	rest, ok := strings.CutPrefix(field, "items[")
	end := strings.IndexByte(rest, ']')
	if !ok || end < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(rest[:end])
	return n, err == nil && n >= 0
}

// Wage disbursements: a wage the workshop handed to a maker.

type disbRow struct {
	Maker     string
	Amount    int64
	Currency  string
	Method    string
	Date      time.Time
	Reference string
}

type disbData struct {
	Program programs.Program
	Makers  []programs.Maker
	Methods []string
	Symbol  string
	Recent  []disbRow
	// Sales has each maker's figures (what the workshop holds for her, what it paid her).
	Sales *salesView
}

const (
	maxDisbAmount = 100_000_000 // minor units: the service's own limit
	recentDisbs   = 20
)

func (s *Site) renderDisbursements(c *gin.Context, status int, p *Page, prog programs.Program) {
	st := stateOf(c)
	ctx := c.Request.Context()
	ms, err := s.Programs.Makers(ctx, st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	names := map[string]string{}
	active := []programs.Maker{}
	for _, m := range ms {
		names[m.ID] = m.DisplayName
		if m.Status == "active" {
			active = append(active, m)
		}
	}
	ds, err := s.Payments.Disbursements(ctx, st.Actor, prog.ID, "")
	if err != nil {
		s.fail(c, err)
		return
	}
	d := disbData{Program: prog, Makers: active, Methods: wageMethods, Symbol: money.Symbol(prog.Currency)}
	for i, x := range ds {
		if i == recentDisbs {
			break
		}
		day, _ := time.Parse(time.DateOnly, x.Date)
		name := names[x.MakerID]
		if name == "" {
			name = programs.RetiredName
		}
		d.Recent = append(d.Recent, disbRow{Maker: name, Amount: x.Amount, Currency: x.Currency, Method: x.Method,
			Date: day, Reference: x.Reference})
	}
	if d.Sales, err = s.programSales(ctx, st.Actor, prog.ID); err != nil {
		s.fail(c, err)
		return
	}
	p.Title = st.L.T("disb_title")
	p.D = d
	s.render(c, status, "coord_disbursements", p)
}

func (s *Site) coordDisbursements(c *gin.Context) {
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	p.Form["method"] = "cash"
	p.Form["date"] = time.Now().Format(time.DateOnly)
	p.Form["makerId"] = c.Query("maker")
	s.renderDisbursements(c, http.StatusOK, p, prog)
}

// coordDisburse records a wage handed to a maker. The amount is typed in rupees ("200",
// "200.50") and stored in paise, as every money field of the forms.
func (s *Site) coordDisburse(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	for _, k := range []string{"makerId", "amount", "method", "date", "reference"} {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	in := payments.DisbursementInput{MakerID: p.Form["makerId"], Method: p.Form["method"], Date: p.Form["date"],
		Reference: p.Form["reference"]}
	if in.MakerID == "" {
		p.Errors["makerId"] = l.T("disb_err_maker")
	}
	n, err := money.Parse(p.Form["amount"], prog.Currency)
	switch {
	case p.Form["amount"] == "" || err != nil || n <= 0:
		p.Errors["amount"] = l.T("disb_err_amount")
	case n > maxDisbAmount:
		p.Errors["amount"] = l.T("disb_err_amount_max", "Max", money.Format(maxDisbAmount, prog.Currency))
	default:
		in.Amount = n
	}
	if !contains(wageMethods, in.Method) {
		p.Errors["method"] = l.T("money_err_method")
	}
	if day, err := time.Parse(time.DateOnly, in.Date); err != nil {
		p.Errors["date"] = l.T("disb_err_date")
	} else if day.After(time.Now().Add(24 * time.Hour)) {
		p.Errors["date"] = l.T("disb_err_future")
	}
	if len([]rune(in.Reference)) > 100 {
		p.Errors["reference"] = l.T("ferr_max_chars", "N", 100)
	}
	if len(p.Errors) == 0 {
		_, err := s.Payments.RecordDisbursement(c.Request.Context(), st.Actor, prog.ID, in)
		if err == nil {
			s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/disbursements", "disbursement_recorded")
			return
		}
		if fault.KindOf(err) == fault.Internal || fault.KindOf(err) == fault.NotFound {
			s.fail(c, err)
			return
		}
		s.fieldErrors(l, p, err)
		if fe, ok := fault.As(err); ok {
			if fe.Fields["makerId"] != "" {
				p.Errors["makerId"] = l.T("disb_err_maker")
			}
			if fe.Fields["date"] == "cannot be in the future" {
				p.Errors["date"] = l.T("disb_err_future")
			}
		}
	}
	if p.Errors["_"] == "" {
		p.Errors["_"] = l.T("error_fix_fields")
	}
	s.renderDisbursements(c, http.StatusUnprocessableEntity, p, prog)
}
