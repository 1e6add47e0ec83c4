package frontend

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/money"
	"github.com/fairhands/marketplace/programs"
)

// adminHome lists every program with a form to add one.
func (s *Site) adminHome(c *gin.Context) {
	s.renderAdminHome(c, http.StatusOK, nil)
}

func (s *Site) renderAdminHome(c *gin.Context, status int, p *Page) {
	st := stateOf(c)
	if p == nil {
		p = s.page(c, st.L.T("admin_title"))
		p.Form["currency"], p.Form["country"] = "INR", "IN"
	}
	ps, err := s.Programs.Programs(c.Request.Context(), st.Actor)
	if err != nil {
		s.fail(c, err)
		return
	}
	required, err := s.Accounts.StaffTwoFactorRequired(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	p.D = map[string]any{"Programs": ps, "StaffTwoFactor": required}
	s.render(c, status, "admin", p)
}

func (s *Site) adminCreateProgram(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	p := s.page(c, l.T("admin_title"))
	for _, k := range []string{"name", "city", "country", "currency", "livingWageHourly"} {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	wage, err := money.Parse(p.Form["livingWageHourly"], p.Form["currency"])
	if err != nil || wage <= 0 {
		p.Errors["livingWageHourly"] = l.T("err_money")
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderAdminHome(c, http.StatusBadRequest, p)
		return
	}
	prog, err := s.Programs.CreateProgram(c.Request.Context(), st.Actor, programs.CreateInput{
		Name: p.Form["name"], City: p.Form["city"], Country: p.Form["country"], Currency: p.Form["currency"], LivingWageHourly: wage})
	if err != nil {
		s.fieldErrors(l, p, err)
		s.renderAdminHome(c, http.StatusBadRequest, p)
		return
	}
	s.redirectFlash(c, "/admin/programs/"+prog.ID, "program_created")
}

// adminProgramData is the admin's view of one program.
type adminProgramData struct {
	Program      programs.Program
	Coordinators []accounts.User
	Invite       *inviteLink
}

func (s *Site) adminProgram(c *gin.Context) {
	s.renderAdminProgram(c, http.StatusOK, nil, nil)
}

func (s *Site) renderAdminProgram(c *gin.Context, status int, p *Page, inv *inviteLink) {
	st := stateOf(c)
	prog, err := s.Programs.Program(c.Request.Context(), st.Actor, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if p == nil {
		p = s.page(c, prog.Name)
	}
	p.Title = prog.Name
	coords, err := s.Accounts.ProgramCoordinators(c.Request.Context(), prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.D = adminProgramData{Program: prog, Coordinators: coords, Invite: inv}
	s.render(c, status, "admin_program", p)
}

func (s *Site) adminAddCoordinator(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	p := s.page(c, "")
	p.Form["name"], p.Form["email"] = strings.TrimSpace(c.PostForm("name")), strings.TrimSpace(c.PostForm("email"))
	_, token, err := s.Programs.AddCoordinator(c.Request.Context(), st.Actor, c.Param("id"),
		programs.AddCoordinatorInput{Name: p.Form["name"], Email: p.Form["email"]})
	if err != nil {
		if fault.KindOf(err) == fault.NotFound {
			s.fail(c, err)
			return
		}
		s.fieldErrors(l, p, err)
		s.renderAdminProgram(c, http.StatusBadRequest, p, nil)
		return
	}
	var inv *inviteLink
	if token != "" {
		inv = s.newInviteLink(token, p.Form["email"])
	} else {
		p.Flash = l.T("flash_coordinator_added")
	}
	p.Form = map[string]string{}
	s.renderAdminProgram(c, http.StatusCreated, p, inv)
}

// inviteLink is an invitation to hand over: the link and its QR code. The token is shown once,
// on the page that created it, and never put in a URL the browser requests (the QR is inline).
type inviteLink struct {
	URL  string
	QR   template.URL
	Whom string
}

func (s *Site) newInviteLink(token, whom string) *inviteLink {
	link := strings.TrimRight(s.BaseURL, "/") + "/invite/" + token
	return &inviteLink{URL: link, Whom: whom, QR: qrImage(link)}
}

// formInt reads a whole number from a form field.
func formInt(c *gin.Context, key string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(c.PostForm(key)))
	return n, err == nil
}

// adminResetTwoFactor switches a coordinator's two-step sign-in off, for one who lost her phone
// and her recovery codes; she sets it up again at her next sign-in if it is required.
func (s *Site) adminResetTwoFactor(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.Programs.Program(c.Request.Context(), st.Actor, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Accounts.ResetTwoFactor(c.Request.Context(), st.Actor, c.PostForm("user")); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			s.fail(c, err)
			return
		}
		p := s.page(c, "")
		p.Errors["_"] = s.errText(st.L, err)
		s.renderAdminProgram(c, http.StatusConflict, p, nil)
		return
	}
	s.redirectFlash(c, "/admin/programs/"+prog.ID, "two_factor_reset")
}
