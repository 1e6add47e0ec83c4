package frontend

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/httpserver"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// The order desk: a program's packages, one list per state, each with the form that moves it on.
// Every list carries the buyers' delivery addresses (the service audits the read), so only the
// packages to prepare show them: a sent package's address is nobody's business any more.

// deskTabs are the desk's lists, in the order a package passes through them.
var deskTabs = []string{payments.FulfilToPrepare, payments.FulfilSent, payments.FulfilDelivered}

// deskTab is one entry of the desk's list switch.
type deskTab struct {
	Key, Label, Href string
	Current          bool
}

// deskData is the desk page.
type deskData struct {
	Program   programs.Program
	Programs  []programs.Program
	Tab       string
	Tabs      []deskTab
	Reference string
	Packages  []payments.FulfilmentView
	// Failed is the package whose form came back with a problem: its form shows the page's
	// Errors and Form. FailedShown says whether that package is still in the list (when not, the
	// message is shown above it).
	Failed      string
	FailedShown bool
	Base        string
	// ClearHref is the same list without the search.
	ClearHref string
}

// deskPath is the desk of a program, on a list, optionally at a package.
func deskPath(programID, tab, anchor string) string {
	to := "/coordinator/programs/" + programID + "/desk"
	if tab != "" && tab != payments.FulfilToPrepare {
		to += "?tab=" + url.QueryEscape(tab)
	}
	if anchor != "" {
		to += "#p-" + anchor
	}
	return to
}

func (s *Site) coordDesk(c *gin.Context) {
	s.renderDesk(c, http.StatusOK, nil, c.Param("id"), c.Query("tab"), "")
}

// renderDesk shows a program's desk on one list; p carries a failed form's input and messages.
func (s *Site) renderDesk(c *gin.Context, status int, p *Page, programID, tab, failed string) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	prog, err := s.program(c, programID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !contains(deskTabs, tab) {
		tab = payments.FulfilToPrepare
	}
	if p == nil {
		p = s.page(c, "")
	}
	p.Title = l.T("desk_title") + " · " + prog.Name
	ref := strings.TrimSpace(c.Query("reference"))
	if len(ref) > 40 {
		ref = ref[:40]
	}
	d := deskData{Program: prog, Tab: tab, Reference: ref, Failed: failed, Base: "/coordinator/programs/" + prog.ID,
		ClearHref: deskPath(prog.ID, tab, "")}
	for _, k := range deskTabs {
		d.Tabs = append(d.Tabs, deskTab{Key: k, Label: l.T("desk_tab_" + k), Href: deskPath(prog.ID, k, ""), Current: k == tab})
	}
	if d.Packages, err = s.Payments.Fulfilments(ctx, st.Actor, prog.ID, payments.FulfilmentQuery{Status: tab, Reference: ref, Limit: 100,
		// Only packages still to send show the address; sent ones need not read it.
		WithoutAddress: tab != payments.FulfilToPrepare}); err != nil {
		s.fail(c, err)
		return
	}
	for _, f := range d.Packages {
		d.FailedShown = d.FailedShown || f.ID == failed
	}
	if ps, err := s.Programs.Programs(ctx, st.Actor); err == nil && len(ps) > 1 {
		d.Programs = ps
	}
	p.D = d
	s.render(c, status, "coord_desk", p)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// deskForm starts the answer to a package form: the page with what was typed, and the program
// and list the form was posted from (checked against the coordinator's scope later, by the
// desk itself).
func (s *Site) deskForm(c *gin.Context, fields ...string) (*Page, string, string) {
	p := s.page(c, "")
	for _, k := range fields {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	return p, strings.TrimSpace(c.PostForm("program")), strings.TrimSpace(c.PostForm("tab"))
}

// deskDone finishes a package form: back to the desk with a flash when it worked; otherwise the
// desk again, with the message next to the package's form and what was typed kept. Not found
// (another program's package) and our own faults get their pages.
func (s *Site) deskDone(c *gin.Context, p *Page, programID, tab string, v payments.FulfilmentView, err error, flash string) {
	if err == nil {
		s.redirectFlash(c, deskPath(v.ProgramID, tab, ""), flash)
		return
	}
	st := stateOf(c)
	kind := fault.KindOf(err)
	if kind == fault.NotFound || kind == fault.Internal || programID == "" || !st.Actor.Coordinates(programID) {
		s.fail(c, err)
		return
	}
	s.fieldErrors(st.L, p, err)
	status, _, _ := httpserver.Classify(err)
	s.renderDesk(c, status, p, programID, tab, c.Param("id"))
}

// coordFulfilSend marks a package sent with its carrier and tracking number.
func (s *Site) coordFulfilSend(c *gin.Context) {
	p, prog, tab := s.deskForm(c, "carrier", "trackingNumber")
	v, err := s.Payments.SendFulfilment(c.Request.Context(), stateOf(c).Actor, c.Param("id"),
		payments.ShipInput{Carrier: p.Form["carrier"], TrackingNumber: p.Form["trackingNumber"]})
	s.deskDone(c, p, prog, tab, v, err, "package_sent")
}

// coordFulfilDeliver marks a package delivered (or handed over in person).
func (s *Site) coordFulfilDeliver(c *gin.Context) {
	p, prog, tab := s.deskForm(c)
	v, err := s.Payments.DeliverFulfilment(c.Request.Context(), stateOf(c).Actor, c.Param("id"))
	s.deskDone(c, p, prog, tab, v, err, "package_delivered")
}

// coordFulfilCancel cancels a package not yet sent; the buyer gets its money back.
func (s *Site) coordFulfilCancel(c *gin.Context) {
	p, prog, tab := s.deskForm(c, "reason")
	v, err := s.Payments.CancelFulfilment(c.Request.Context(), stateOf(c).Actor, c.Param("id"), payments.CancelInput{Reason: p.Form["reason"]})
	s.deskDone(c, p, prog, tab, v, err, "package_cancelled")
}

// coordFulfilRefund refunds the ticked items of a sent package. Nothing ticked is a question
// back, not a refund of everything (which is what the service does with an empty list).
func (s *Site) coordFulfilRefund(c *gin.Context) {
	p, prog, tab := s.deskForm(c, "reason", "restock")
	l := stateOf(c).L
	var items []int
	for _, v := range c.PostFormArray("item") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 49 {
			s.fail(c, errBadForm)
			return
		}
		items = append(items, n)
		p.Form["item"+v] = "on"
	}
	if len(items) == 0 {
		p.Errors["items"] = l.T("desk_err_choose_items")
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderDesk(c, http.StatusBadRequest, p, prog, tab, c.Param("id"))
		return
	}
	v, err := s.Payments.RefundFulfilment(c.Request.Context(), stateOf(c).Actor, c.Param("id"),
		payments.RefundInput{Items: items, Reason: p.Form["reason"], Restock: p.Form["restock"] != ""})
	s.deskDone(c, p, prog, tab, v, err, "package_refunded")
}

// coordSlip is a package's packing slip, to print and put in the box: the order reference, which
// package of how many, the delivery address, and the items with their makers' chosen names.
// No prices (it may be a gift) and never a legal name.
func (s *Site) coordSlip(c *gin.Context) {
	st := stateOf(c)
	v, err := s.Payments.Fulfilment(c.Request.Context(), st.Actor, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	prog, err := s.program(c, v.ProgramID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("slip_title")+" · "+v.OrderReference)
	p.D = map[string]any{"F": v, "Program": prog, "Back": deskPath(prog.ID, v.Status, v.ID)}
	s.render(c, http.StatusOK, "coord_slip", p)
}
