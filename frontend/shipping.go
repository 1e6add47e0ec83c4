package frontend

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/money"
	"github.com/fairhands/marketplace/programs"
)

// Limits the shipping form checks before the program's service does, so each mistake gets a
// message in the reader's language (the service checks them again).
const (
	maxShipAmount = 10_000_000 // minor units
	maxShipDays   = 60
)

// shipAmountFields are the shipping form's money fields.
var shipAmountFields = []string{"domesticFirst", "domesticAdditional", "intlFirst", "intlAdditional", "freeOver"}

// shipFormFields maps the programs service's field names onto the form's.
var shipFormFields = map[string]string{
	"shipping.domestic.first": "domesticFirst", "shipping.domestic.additional": "domesticAdditional",
	"shipping.international.first": "intlFirst", "shipping.international.additional": "intlAdditional",
	"shipping.freeOver": "freeOver", "shipping.processingDays": "processingDays",
	"refundsReverseWagesReason": "refundReason",
}

// shippingData is the shipping and refunds page of a program.
type shippingData struct {
	Program programs.Program
	Symbol  string
}

func (s *Site) coordShippingForm(c *gin.Context) {
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	sh := prog.Shipping
	if sh == nil {
		sh = &programs.Shipping{}
	}
	in := func(r *programs.ShippingRate, first bool) string {
		if r == nil {
			return ""
		}
		if first {
			return money.Input(r.First, prog.Currency)
		}
		return money.Input(r.Additional, prog.Currency)
	}
	p.Form["domesticFirst"], p.Form["domesticAdditional"] = in(sh.Domestic, true), in(sh.Domestic, false)
	p.Form["intlFirst"], p.Form["intlAdditional"] = in(sh.International, true), in(sh.International, false)
	if sh.International != nil {
		p.Form["abroad"] = "1"
	}
	if sh.FreeOver != nil {
		p.Form["freeOver"] = money.Input(*sh.FreeOver, prog.Currency)
	}
	p.Form["processingDays"] = strconv.Itoa(sh.ProcessingDays)
	if prog.RefundsReverseWages {
		p.Form["refundReverse"] = "1"
	}
	p.Form["refundReason"] = prog.RefundsReverseWagesReason
	s.renderShipping(c, http.StatusOK, p, prog)
}

func (s *Site) renderShipping(c *gin.Context, status int, p *Page, prog programs.Program) {
	p.Title = stateOf(c).L.T("ship_title")
	p.D = shippingData{Program: prog, Symbol: money.Symbol(prog.Currency)}
	s.render(c, status, "coord_shipping", p)
}

// coordShipping saves a program's shipping rates (typed in major units of its currency, as
// every money field of the forms) and its refund policy.
func (s *Site) coordShipping(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	for _, k := range append(shipAmountFields, "processingDays", "abroad", "refundReverse", "refundReason") {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	amounts := map[string]int64{}
	for _, k := range shipAmountFields {
		v := p.Form[k]
		if v == "" || (strings.HasPrefix(k, "intl") && p.Form["abroad"] == "") {
			continue // blank: nothing charged (free-over: none); international rates unused
		}
		n, err := money.Parse(v, prog.Currency)
		switch {
		case err != nil || n < 0:
			p.Errors[k] = l.T("err_money")
		case n > maxShipAmount && k != "freeOver":
			p.Errors[k] = l.T("ship_err_amount", "Max", money.Format(maxShipAmount, prog.Currency))
		default:
			amounts[k] = n
		}
	}
	sh := programs.Shipping{Domestic: &programs.ShippingRate{First: amounts["domesticFirst"], Additional: amounts["domesticAdditional"]}}
	if p.Form["abroad"] != "" {
		sh.International = &programs.ShippingRate{First: amounts["intlFirst"], Additional: amounts["intlAdditional"]}
	}
	if n, ok := amounts["freeOver"]; ok {
		sh.FreeOver = &n
	}
	if v := p.Form["processingDays"]; v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > maxShipDays {
			p.Errors["processingDays"] = l.T("ship_err_days", "Max", maxShipDays)
		} else {
			sh.ProcessingDays = n
		}
	}
	on := p.Form["refundReverse"] != ""
	reason := p.Form["refundReason"]
	if on && len([]rune(reason)) < programs.MinRefundReasonLen {
		p.Errors["refundReason"] = l.T("refund_err_reason", "N", programs.MinRefundReasonLen)
	}
	if len(p.Errors) > 0 {
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderShipping(c, http.StatusBadRequest, p, prog)
		return
	}
	in := programs.SettingsInput{Shipping: &sh, RefundsReverseWages: &on}
	if on {
		in.RefundsReverseWagesReason = &reason
	}
	if _, err := s.Programs.UpdateSettings(c.Request.Context(), st.Actor, prog.ID, in); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			s.fail(c, err)
			return
		}
		s.fieldErrors(l, p, err)
		for from, to := range shipFormFields {
			if m, ok := p.Errors[from]; ok {
				p.Errors[to] = m
				delete(p.Errors, from)
			}
		}
		s.renderShipping(c, http.StatusBadRequest, p, prog)
		return
	}
	s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/shipping", "saved")
}
