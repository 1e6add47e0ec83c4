package frontend

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"rsc.io/qr"

	"github.com/fairhands/marketplace/accounts"
)

// Staff's two-step sign-in on the pages: the code step after the password, the set-up on the
// account page, and the admin's switch. Everything is a plain form: no script, paste allowed.

// pendingCookie carries the code step's pending token (never the password) from the password
// form to the code form; it lives as long as the step may wait.
const pendingCookie = "signin_step"

// setupPages are what a staff member without two-step sign-in may open while the admin
// requires it.
var setupPages = map[string]bool{
	"/account/two-factor":         true,
	"/account/two-factor/start":   true,
	"/account/two-factor/confirm": true,
	"/account/logout-everywhere":  true,
}

// mustSetUpTwoFactor sends a staff member without two-step sign-in to its set-up page while the
// admin requires it, and reports whether it did (or failed).
func (s *Site) mustSetUpTwoFactor(c *gin.Context, u accounts.User) bool {
	if !u.IsStaff() || u.TwoFactorOn() || setupPages[c.FullPath()] {
		return false
	}
	need, err := s.Accounts.TwoFactorSetupNeeded(c.Request.Context(), u)
	if err != nil {
		s.fail(c, err)
		return true
	}
	if need {
		c.Redirect(http.StatusSeeOther, "/account/two-factor")
		return true
	}
	return false
}

// qrImage draws text as a QR code for an <img src>: invitation links and authenticator set-ups.
func qrImage(text string) template.URL {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return ""
	}
	code.Scale = 6
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG()))
}

func (s *Site) clearPending(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: pendingCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// renderCodeStep shows the login page's second step: the code field, with the login name and
// where to go next carried along.
func (s *Site) renderCodeStep(c *gin.Context, status int, p *Page) {
	p.Title = p.L.T("tf_login_title")
	s.render(c, status, "login_code", p)
}

func (s *Site) loginCodeForm(c *gin.Context) {
	st := stateOf(c)
	if st.LoggedIn {
		c.Redirect(http.StatusSeeOther, homeFor(st.User.Role))
		return
	}
	if tok, err := c.Cookie(pendingCookie); err != nil || tok == "" {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	p := s.page(c, st.L.T("tf_login_title"))
	p.Form["next"] = safeNext(c.Query("next"))
	s.renderCodeStep(c, http.StatusOK, p)
}

func (s *Site) loginCode(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	p := s.page(c, l.T("tf_login_title"))
	p.Form["login"], p.Form["next"] = strings.TrimSpace(c.PostForm("login")), safeNext(c.PostForm("next"))
	tok, _ := c.Cookie(pendingCookie)
	code := strings.TrimSpace(c.PostForm("code"))
	expired := func() {
		s.clearPending(c)
		p.Title = l.T("login_title")
		p.Errors["_"] = l.T("tf_expired")
		s.render(c, http.StatusUnauthorized, "login", p)
	}
	if tok == "" {
		expired()
		return
	}
	if code == "" {
		p.Errors["code"] = l.T("tf_need_code")
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderCodeStep(c, http.StatusBadRequest, p)
		return
	}
	if !s.loginRate.Allow("ip:" + c.ClientIP()) {
		c.Header("Retry-After", "60")
		p.Errors["_"] = l.T("err_rate_limited")
		s.renderCodeStep(c, http.StatusTooManyRequests, p)
		return
	}
	token, u, err := s.Accounts.CompleteSignIn(c.Request.Context(), tok, code,
		accounts.SessionMeta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()})
	switch {
	case err == nil:
	case errors.Is(err, accounts.ErrPendingSignInInvalid):
		expired()
		return
	case errors.Is(err, accounts.ErrBadSecondFactor), errors.Is(err, accounts.ErrSecondFactorUsed):
		p.Errors["code"] = l.T("tf_wrong_code")
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderCodeStep(c, http.StatusUnauthorized, p)
		return
	case errors.Is(err, accounts.ErrThrottled):
		c.Header("Retry-After", "900")
		p.Errors["_"] = l.T("login_throttled")
		s.renderCodeStep(c, http.StatusTooManyRequests, p)
		return
	default:
		s.fail(c, err)
		return
	}
	s.clearPending(c)
	s.finishLogin(c, token, u, p.Form["next"])
}

// twoFactorView is the account page's two-step section.
type twoFactorView struct {
	Staff, On, Required bool
	Left                int
}

func (s *Site) twoFactorState(c *gin.Context, u accounts.User) (twoFactorView, error) {
	v := twoFactorView{Staff: u.IsStaff(), On: u.TwoFactorOn(), Left: u.RecoveryCodesLeft()}
	if !v.Staff {
		return v, nil
	}
	var err error
	v.Required, err = s.Accounts.StaffTwoFactorRequired(c.Request.Context())
	return v, err
}

// setupView is the set-up page: the start button, the QR code and key with the first-code form,
// or the recovery codes once it is on.
type setupView struct {
	twoFactorView
	QR     template.URL
	Secret string
	Codes  []string
	Home   string
}

// twoFactorPage shows the set-up: the secret waiting for its first code, or the start button.
func (s *Site) twoFactorPage(c *gin.Context) {
	s.renderSetup(c, http.StatusOK, nil)
}

func (s *Site) renderSetup(c *gin.Context, status int, p *Page) {
	st := stateOf(c)
	if p == nil {
		p = s.page(c, st.L.T("tf_title"))
	}
	v, err := s.twoFactorState(c, st.User)
	if err != nil {
		s.fail(c, err)
		return
	}
	if v.On {
		c.Redirect(http.StatusSeeOther, "/account")
		return
	}
	view := setupView{twoFactorView: v, Home: homeFor(st.User.Role)}
	en, err := s.Accounts.PendingEnrolment(c.Request.Context(), st.Actor)
	switch {
	case err == nil:
		view.QR, view.Secret = qrImage(en.URL), groupKey(en.Secret)
	case !errors.Is(err, accounts.ErrTwoFactorNotStarted):
		s.fail(c, err)
		return
	}
	p.D = view
	s.render(c, status, "two_factor", p)
}

// groupKey writes a secret in groups of four, as authenticator apps accept it typed.
func groupKey(k string) string {
	var parts []string
	for len(k) > 4 {
		parts = append(parts, k[:4])
		k = k[4:]
	}
	return strings.Join(append(parts, k), " ")
}

func (s *Site) twoFactorStart(c *gin.Context) {
	st := stateOf(c)
	if _, err := s.Accounts.BeginTwoFactor(c.Request.Context(), st.Actor); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/account/two-factor")
}

func (s *Site) twoFactorConfirm(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	p := s.page(c, l.T("tf_title"))
	code := strings.TrimSpace(c.PostForm("code"))
	if code == "" {
		p.Errors["code"] = l.T("tf_need_code")
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderSetup(c, http.StatusBadRequest, p)
		return
	}
	codes, err := s.Accounts.ConfirmTwoFactor(c.Request.Context(), st.Actor, code)
	switch {
	case errors.Is(err, accounts.ErrTwoFactorCode):
		p.Errors["code"] = l.T("tf_wrong_code")
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderSetup(c, http.StatusBadRequest, p)
		return
	case errors.Is(err, accounts.ErrTwoFactorNotStarted):
		p.Errors["_"] = l.T("tf_expired_setup")
		s.renderSetup(c, http.StatusConflict, p)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	p.D = setupView{twoFactorView: twoFactorView{Staff: true, On: true, Left: len(codes)}, Codes: codes, Home: homeFor(st.User.Role)}
	s.render(c, http.StatusOK, "two_factor", p) // the codes are shown once, on this answer only (no-store)
}

func (s *Site) twoFactorDisable(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	code := strings.TrimSpace(c.PostForm("code"))
	p := s.page(c, l.T("account_title"))
	fail := func(status int, msg string) {
		p.Errors["code"] = msg
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderAccount(c, status, p)
	}
	if code == "" {
		fail(http.StatusBadRequest, l.T("tf_need_code"))
		return
	}
	err := s.Accounts.DisableTwoFactor(c.Request.Context(), st.Actor, code)
	switch {
	case errors.Is(err, accounts.ErrTwoFactorCode):
		fail(http.StatusBadRequest, l.T("tf_wrong_code"))
		return
	case errors.Is(err, accounts.ErrTwoFactorOff):
		s.redirectFlash(c, "/account", "tf_off")
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	s.redirectFlash(c, "/account", "tf_off")
}

func (s *Site) adminSecurity(c *gin.Context) {
	st := stateOf(c)
	on := c.PostForm("staffTwoFactor") == "on"
	if err := s.Accounts.SetStaffTwoFactorRequired(c.Request.Context(), st.Actor, on); err != nil {
		s.fail(c, err)
		return
	}
	s.redirectFlash(c, "/admin", "saved")
}
