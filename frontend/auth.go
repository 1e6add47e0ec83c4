package frontend

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/httpserver"
)

// homeFor is where each role lands after signing in.
func homeFor(r accounts.Role) string {
	switch r {
	case accounts.RoleAdmin:
		return "/admin"
	case accounts.RoleCoordinator:
		return "/coordinator"
	case accounts.RoleMaker:
		return "/maker"
	}
	return "/"
}

func (s *Site) loginForm(c *gin.Context) {
	st := stateOf(c)
	if st.LoggedIn {
		c.Redirect(http.StatusSeeOther, homeFor(st.User.Role))
		return
	}
	p := s.page(c, st.L.T("login_title"))
	p.Form["next"] = safeNext(c.Query("next"))
	s.render(c, http.StatusOK, "login", p)
}

func (s *Site) login(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	p := s.page(c, l.T("login_title"))
	login, password := strings.TrimSpace(c.PostForm("login")), c.PostForm("password")
	p.Form["login"], p.Form["next"] = login, safeNext(c.PostForm("next"))
	if login == "" {
		p.Errors["login"] = l.T("login_need_login")
	}
	if password == "" {
		p.Errors["password"] = l.T("login_need_password")
	}
	if len(p.Errors) > 0 {
		p.Errors["_"] = l.T("error_fix_fields")
		s.render(c, http.StatusBadRequest, "login", p)
		return
	}
	if !s.loginRate.Allow("ip:" + c.ClientIP()) {
		c.Header("Retry-After", "60")
		p.Errors["_"] = l.T("err_rate_limited")
		s.render(c, http.StatusTooManyRequests, "login", p)
		return
	}
	token, u, err := s.Accounts.Login(c.Request.Context(), login, password,
		accounts.SessionMeta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()})
	var challenge *accounts.TwoFactorChallenge
	if errors.As(err, &challenge) {
		// The password is right; the session waits for the code. Only the pending token is
		// kept, in a cookie that ends with the step.
		s.setCookie(c, pendingCookie, challenge.PendingToken, accounts.PendingSignInTTL, true)
		s.renderCodeStep(c, http.StatusOK, p)
		return
	}
	if err != nil {
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, accounts.ErrThrottled):
			c.Header("Retry-After", "900")
			status = http.StatusTooManyRequests
		case !errors.Is(err, accounts.ErrBadCredentials):
			s.fail(c, err)
			return
		}
		p.Errors["_"] = s.errText(l, err)
		if status == http.StatusTooManyRequests {
			p.Errors["_"] = l.T("login_throttled")
		}
		s.render(c, status, "login", p)
		return
	}
	s.finishLogin(c, token, u, p.Form["next"])
}

// finishLogin starts the session of a completed sign-in (password, and code when two-step
// sign-in is on) and goes on: to next, home, or — for staff who must still set up two-step
// sign-in — its set-up page.
func (s *Site) finishLogin(c *gin.Context, token string, u accounts.User, next string) {
	s.startSession(c, token, u.Role)
	// A language chosen before signing in carries over to the account.
	if ck, err := c.Cookie(langCookie); err == nil && supported(ck) && ck != u.Lang {
		_ = s.Accounts.SetLanguage(c.Request.Context(), u.ID, ck)
	} else if err != nil && supported(u.Lang) {
		s.setCookie(c, langCookie, u.Lang, yearLong, false)
	}
	to := homeFor(u.Role)
	if next != "" {
		to = next
	}
	if need, err := s.Accounts.TwoFactorSetupNeeded(c.Request.Context(), u); err == nil && need {
		to = "/account/two-factor"
	}
	c.Redirect(http.StatusSeeOther, to)
}

// startSession sets the session cookie the API also accepts; it lives no longer than a session
// of the role may last.
func (s *Site) startSession(c *gin.Context, token string, r accounts.Role) {
	s.setCookie(c, httpserver.SessionCookie, token, s.Accounts.SessionLifetime(r), true)
}

func (s *Site) logout(c *gin.Context) {
	st := stateOf(c)
	if st.LoggedIn {
		if err := s.Accounts.Logout(c.Request.Context(), st.Token); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.clearSession(c)
	s.redirectFlash(c, "/", "logged_out")
}

func (s *Site) logoutEverywhere(c *gin.Context) {
	st := stateOf(c)
	if _, err := s.Accounts.LogoutEverywhere(c.Request.Context(), st.User.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.clearSession(c)
	s.redirectFlash(c, "/login", "logged_out_everywhere")
}

// account shows the language choice, "log out on every phone" (for a lost phone) and, for
// staff, two-step sign-in.
func (s *Site) account(c *gin.Context) {
	st := stateOf(c)
	s.renderAccount(c, http.StatusOK, s.page(c, st.L.T("account_title")))
}

func (s *Site) renderAccount(c *gin.Context, status int, p *Page) {
	st := stateOf(c)
	p.Maker = st.User.Role == accounts.RoleMaker
	v, err := s.twoFactorState(c, st.User)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.D = v
	s.render(c, status, "account", p)
}

func (s *Site) setLanguage(c *gin.Context) {
	st := stateOf(c)
	lang := c.PostForm("lang")
	if !supported(lang) {
		s.fail(c, errBadForm)
		return
	}
	if err := s.Accounts.SetLanguage(c.Request.Context(), st.User.ID, lang); err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, langCookie, lang, yearLong, false)
	s.redirectFlash(c, "/account", "saved")
}

// inviteView describes an invitation on its acceptance page.
type inviteView struct {
	Token string
	Maker bool
	Email string
	// MinPassword is the shortest password the account's role may choose.
	MinPassword int
	role        accounts.Role
}

// invite loads what the acceptance form needs; an unusable link is ErrInviteInvalid.
func (s *Site) invite(c *gin.Context) (inviteView, error) {
	token := c.Param("token")
	_, u, err := s.Accounts.PendingInvite(c.Request.Context(), token)
	if err != nil {
		return inviteView{}, err
	}
	return inviteView{Token: token, Maker: u.Role == accounts.RoleMaker, Email: u.Email,
		MinPassword: accounts.MinPasswordLength(u.Role), role: u.Role}, nil
}

func (s *Site) inviteForm(c *gin.Context) {
	st := stateOf(c)
	c.Header("Referrer-Policy", "no-referrer")
	p := s.page(c, st.L.T("invite_title"))
	iv, err := s.invite(c)
	if err != nil {
		p.D = map[string]any{"Message": s.errText(st.L, accounts.ErrInviteInvalid)}
		s.render(c, http.StatusNotFound, "error", p)
		return
	}
	p.Maker = iv.Maker
	p.D = iv
	s.render(c, http.StatusOK, "invite", p)
}

func (s *Site) inviteAccept(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	p := s.page(c, l.T("invite_title"))
	iv, err := s.invite(c)
	if err != nil {
		p.D = map[string]any{"Message": s.errText(l, accounts.ErrInviteInvalid)}
		s.render(c, http.StatusNotFound, "error", p)
		return
	}
	p.Maker, p.D = iv.Maker, iv
	login := accounts.NormalizeLogin(c.PostForm("login"))
	password := c.PostForm("password")
	p.Form["login"] = login
	if iv.Maker {
		if login == "" {
			p.Errors["login"] = l.T("invite_need_login")
		} else if accounts.ValidateLoginName(login) != "" {
			p.Errors["login"] = l.T("invite_bad_login")
		}
	} else {
		login = ""
	}
	if msg := passwordError(l, iv.role, password); msg != "" {
		p.Errors["password"] = msg
	} else if c.PostForm("password2") != password {
		p.Errors["password2"] = l.T("invite_password_mismatch")
	}
	if len(p.Errors) > 0 {
		p.Errors["_"] = l.T("error_fix_fields")
		s.render(c, http.StatusBadRequest, "invite", p)
		return
	}
	u, err := s.Accounts.AcceptInvite(c.Request.Context(), iv.Token, accounts.AcceptInput{Login: login, Password: password})
	if err != nil {
		if errors.Is(err, accounts.ErrLoginTaken) {
			p.Errors["login"] = l.T("err_login_taken")
			p.Errors["_"] = l.T("error_fix_fields")
			s.render(c, http.StatusConflict, "invite", p)
			return
		}
		s.fieldErrors(l, p, err)
		s.render(c, http.StatusBadRequest, "invite", p)
		return
	}
	token, err := s.Accounts.NewSession(c.Request.Context(), u.ID, accounts.SessionMeta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()})
	if err != nil {
		s.fail(c, err)
		return
	}
	_ = s.Accounts.SetLanguage(c.Request.Context(), u.ID, st.Lang)
	s.startSession(c, token, u.Role)
	s.redirectFlash(c, homeFor(u.Role), "welcome")
}

// passwordError is the message shown next to a new password that the account's role may not
// use ("" when it is fine). Every page that sets a password uses it.
func passwordError(l *Loc, r accounts.Role, password string) string {
	switch accounts.CheckNewPassword(r, password) {
	case accounts.PasswordTooShort:
		return l.T("password_too_short", "Min", accounts.MinPasswordLength(r))
	case accounts.PasswordTooLong:
		return l.T("password_too_long", "Max", accounts.MaxPasswordLen)
	case accounts.PasswordCommon:
		return l.T("password_too_common")
	}
	return ""
}
