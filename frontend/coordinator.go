package frontend

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/money"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// coordHome sends a coordinator with one program straight to its dashboard; otherwise lists them.
func (s *Site) coordHome(c *gin.Context) {
	st := stateOf(c)
	ps, err := s.Programs.Programs(c.Request.Context(), st.Actor)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(ps) == 1 {
		c.Redirect(http.StatusSeeOther, "/coordinator/programs/"+ps[0].ID)
		return
	}
	p := s.page(c, st.L.T("coord_title"))
	p.D = map[string]any{"Programs": ps}
	s.render(c, http.StatusOK, "coord_home", p)
}

// makerRow is one maker on the dashboard, with why they may need attention.
type makerRow struct {
	ID, DisplayName string
	Invited         bool
	PayoutsEnabled  bool
	Attention       []string
}

// todo is one thing to do today, with a count and where to do it.
type todo struct {
	Label string
	Count int
	Href  string
}

// dashboardData is the program dashboard: what needs doing today, then the makers.
type dashboardData struct {
	Program  programs.Program
	Todos    []todo
	Makers   []makerRow
	Programs []programs.Program
	// ToPrepare are the program's packages waiting to be sent, oldest due first (the desk
	// shows them in full; the dashboard only counts and names them).
	ToPrepare []payments.FulfilmentView
	Desk      string
	// Flagged are orders with a payment that did not match them: nothing was credited.
	Flagged []orderRow
	Review  []productRow
}

// program loads a program the actor coordinates (ErrNotFound otherwise).
func (s *Site) program(c *gin.Context, id string) (programs.Program, error) {
	st := stateOf(c)
	if !st.Actor.Coordinates(id) {
		return programs.Program{}, programs.ErrNotFound
	}
	return s.Programs.Program(c.Request.Context(), st.Actor, id)
}

// makerRows lists a program's makers with the reasons each may need a coordinator's attention.
func (s *Site) makerRows(ctx context.Context, l *Loc, actor accounts.Actor, programID string) ([]makerRow, error) {
	ms, err := s.Programs.Makers(ctx, actor, programID)
	if err != nil {
		return nil, err
	}
	rows := make([]makerRow, 0, len(ms))
	for _, m := range ms {
		if m.Status != "active" {
			continue
		}
		r := makerRow{ID: m.ID, DisplayName: m.DisplayName, PayoutsEnabled: m.PayoutsEnabled}
		if u, err := s.Accounts.User(ctx, m.ID); err == nil && u.Status == accounts.StatusInvited {
			r.Invited = true
			r.Attention = append(r.Attention, l.T("coord_attn_invited"))
		}
		if !m.PayoutsEnabled {
			r.Attention = append(r.Attention, l.T("coord_attn_payouts"))
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return len(rows[i].Attention) > len(rows[j].Attention) })
	return rows, nil
}

func (s *Site) coordDashboard(c *gin.Context) {
	s.renderDashboard(c, http.StatusOK, nil)
}

func (s *Site) renderDashboard(c *gin.Context, status int, p *Page) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if p == nil {
		p = s.page(c, prog.Name)
	}
	p.Title = prog.Name
	d := dashboardData{Program: prog}
	if d.Makers, err = s.makerRows(ctx, l, st.Actor, prog.ID); err != nil {
		s.fail(c, err)
		return
	}
	attention := 0
	for _, m := range d.Makers {
		if len(m.Attention) > 0 {
			attention++
		}
	}
	base := "/coordinator/programs/" + prog.ID
	review, err := s.reviewRows(ctx, st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	d.Review = review
	if d.ToPrepare, err = s.Payments.Fulfilments(ctx, st.Actor, prog.ID, payments.FulfilmentQuery{Status: payments.FulfilToPrepare, Limit: 200, WithoutAddress: true}); err != nil {
		s.fail(c, err)
		return
	}
	d.Desk = deskPath(prog.ID, "", "")
	if d.Flagged, err = s.orderRows(ctx, st.Actor, prog.ID, payments.OrderQuery{Flagged: true, Limit: 200}); err != nil {
		s.fail(c, err)
		return
	}
	followUps, err := s.followUpsDue(ctx, st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	d.Todos = []todo{
		{Label: l.T("coord_todo_review"), Count: len(review), Href: base + "/review"},
		{Label: l.T("coord_todo_ship"), Count: len(d.ToPrepare), Href: d.Desk},
		{Label: l.T("coord_todo_attention"), Count: attention, Href: base + "#makers"},
		{Label: l.T("coord_todo_followups"), Count: followUps, Href: base + "/training"},
	}
	if ps, err := s.Programs.Programs(ctx, st.Actor); err == nil && len(ps) > 1 {
		d.Programs = ps
	}
	p.D = d
	if p.Form["livingWageHourly"] == "" {
		p.Form["name"], p.Form["city"] = prog.Name, prog.City
		p.Form["livingWageHourly"] = money.Input(prog.LivingWageHourly, prog.Currency)
		p.Form["programSharePercent"] = itoa(prog.ProgramSharePercent)
		p.Form["holdDays"] = itoa(prog.HoldDays)
		p.Form["payeeModel"] = prog.PayeeModel
	}
	s.render(c, status, "coord_dashboard", p)
}

func (s *Site) coordSettings(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	p := s.page(c, "")
	for _, k := range []string{"name", "city", "livingWageHourly", "programSharePercent", "holdDays", "payeeModel"} {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	// The living wage is typed in the program's currency, whose minor digits decide what "90.5" is.
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var in programs.SettingsInput
	in.Name, in.City = strPtr(p.Form["name"]), strPtr(p.Form["city"])
	if w, err := money.Parse(p.Form["livingWageHourly"], prog.Currency); err == nil && w > 0 {
		in.LivingWageHourly = &w
	} else {
		p.Errors["livingWageHourly"] = l.T("err_money")
	}
	if n, ok := formInt(c, "programSharePercent"); ok {
		in.ProgramSharePercent = &n
	} else {
		p.Errors["programSharePercent"] = l.T("err_whole_number")
	}
	if n, ok := formInt(c, "holdDays"); ok {
		in.HoldDays = &n
	} else {
		p.Errors["holdDays"] = l.T("err_whole_number")
	}
	in.PayeeModel = strPtr(p.Form["payeeModel"])
	if len(p.Errors) > 0 {
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderDashboard(c, http.StatusBadRequest, p)
		return
	}
	if _, err := s.Programs.UpdateSettings(c.Request.Context(), st.Actor, c.Param("id"), in); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			s.fail(c, err)
			return
		}
		s.fieldErrors(l, p, err)
		s.renderDashboard(c, http.StatusBadRequest, p)
		return
	}
	s.redirectFlash(c, "/coordinator/programs/"+c.Param("id"), "saved")
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Site) coordMakerForm(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("coord_invite_title"))
	p.D = map[string]any{"Program": prog}
	s.render(c, http.StatusOK, "coord_maker_new", p)
}

func (s *Site) coordMakerCreate(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, l.T("coord_invite_title"))
	p.D = map[string]any{"Program": prog}
	for _, k := range []string{"displayName", "legalName", "phone", "story", "consentPublic", "consentStory", "consentPhotos"} {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	in := programs.CreateMakerInput{DisplayName: p.Form["displayName"], LegalName: p.Form["legalName"],
		Phone: p.Form["phone"], Story: p.Form["story"]}
	in.Consent = &struct {
		PublicProfile bool `json:"publicProfile"`
		Story         bool `json:"story"`
		WorkPhotos    bool `json:"workPhotos"`
	}{PublicProfile: p.Form["consentPublic"] != "", Story: p.Form["consentStory"] != "", WorkPhotos: p.Form["consentPhotos"] != ""}
	id, token, err := s.Programs.CreateMaker(c.Request.Context(), st.Actor, prog.ID, in)
	if err != nil {
		s.fieldErrors(l, p, err)
		s.render(c, http.StatusBadRequest, "coord_maker_new", p)
		return
	}
	p = s.page(c, l.T("coord_invited_title"))
	p.D = map[string]any{"Program": prog, "MakerID": id, "DisplayName": in.DisplayName, "Invite": s.newInviteLink(token, in.DisplayName)}
	s.render(c, http.StatusCreated, "coord_maker_invited", p)
}

// coordMakerData is a coordinator's page about one maker.
type coordMakerData struct {
	Maker   programs.Maker
	Program programs.Program
	Invited bool
	// LoginAttackAt is when many wrong passwords were last tried on her login (zero: not lately).
	LoginAttackAt time.Time
	Private       *programs.MakerPrivate
	Invite        *inviteLink
	Products      []productRow
	Progress      *progressView
	Error         string
	Today         string
	Consents      []consentView
}

// scopedMaker loads a maker whose program the actor coordinates, without opening private fields.
func (s *Site) scopedMaker(c *gin.Context, id string) (programs.Maker, programs.Program, error) {
	st := stateOf(c)
	if st.Actor.IsMaker(id) {
		return programs.Maker{}, programs.Program{}, programs.ErrMakerNotFound // the coordinator's pages only
	}
	return s.Programs.Maker(c.Request.Context(), st.Actor, id)
}

func (s *Site) coordMaker(c *gin.Context) { s.renderCoordMaker(c, http.StatusOK, nil) }

func (s *Site) renderCoordMaker(c *gin.Context, status int, modify func(*coordMakerData)) {
	st := stateOf(c)
	ctx := c.Request.Context()
	m, prog, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	d := coordMakerData{Maker: m, Program: prog, Today: s.now().Format("2006-01-02"), Consents: coordConsentViews(m, s.now())}
	if u, err := s.Accounts.User(ctx, m.ID); err == nil {
		d.Invited = u.Status == accounts.StatusInvited
		// Many wrong passwords on her login lately: her coordinator should know, and talk to her.
		if !u.LoginAttackAt.IsZero() && s.now().Sub(u.LoginAttackAt) < loginAttackNotice {
			d.LoginAttackAt = u.LoginAttackAt
		}
	}
	if d.Products, err = s.makerProductRows(ctx, st.Actor, m.ID); err != nil {
		s.fail(c, err)
		return
	}
	if d.Progress, err = s.progress(ctx, st.Actor, m.ID); err != nil {
		s.fail(c, err)
		return
	}
	if modify != nil {
		modify(&d)
	}
	p := s.page(c, m.DisplayName)
	p.D = d
	s.render(c, status, "coord_maker", p)
}

// coordMakerPrivate shows the legal name and phone on request; the read is audited.
func (s *Site) coordMakerPrivate(c *gin.Context) {
	st := stateOf(c)
	priv, err := s.Programs.MakerPrivate(c.Request.Context(), st.Actor, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderCoordMaker(c, http.StatusOK, func(d *coordMakerData) { d.Private = &priv })
}

// coordMakerReinvite makes a fresh invitation link for a maker who has not yet chosen a login
// (the old link may be lost or expired).
func (s *Site) coordMakerReinvite(c *gin.Context) {
	st := stateOf(c)
	ctx := c.Request.Context()
	m, _, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.Accounts.User(ctx, m.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if u.Status != accounts.StatusInvited {
		s.fail(c, accounts.ErrAlreadyRegistered)
		return
	}
	token, err := s.Accounts.Invite(ctx, m.ID, st.User.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Audit.Record(ctx, st.Actor, "maker.reinvite", "maker", m.ID, m.ProgramID, "new invitation link"); err != nil {
		s.fail(c, err)
		return
	}
	s.renderCoordMaker(c, http.StatusCreated, func(d *coordMakerData) { d.Invite = s.newInviteLink(token, m.DisplayName) })
}

// coordMakerRevokeInvite withdraws every pending invitation link of a maker (a link handed to
// the wrong person, or lost with a phone).
func (s *Site) coordMakerRevokeInvite(c *gin.Context) {
	st := stateOf(c)
	if _, err := s.Programs.RevokeMakerInvites(c.Request.Context(), st.Actor, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	s.redirectFlash(c, "/coordinator/makers/"+c.Param("id"), "invite_revoked")
}

// loginAttackNotice is how long the maker's page tells of an attack on her password.
const loginAttackNotice = 30 * 24 * time.Hour

func itoa(n int) string { return strconv.Itoa(n) }
