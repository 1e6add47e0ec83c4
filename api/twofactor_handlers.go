package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
)

// Staff's two-step sign-in: the code step of a login, the account's own set-up, and the
// admin's requirement for all staff.

// twoFactorRoutes lists the two-step sign-in endpoints.
func (s *Server) twoFactorRoutes(g *gin.RouterGroup) {
	g.POST("/auth/login/two-factor", s.loginLimit.limit(), s.loginTwoFactor)
	g.GET("/account/two-factor", requireLogin, s.twoFactorStatus)
	g.POST("/account/two-factor/setup", requireLogin, s.twoFactorSetup)
	g.POST("/account/two-factor/confirm", requireLogin, s.twoFactorConfirm)
	g.POST("/account/two-factor/disable", requireLogin, s.twoFactorDisable)
	g.GET("/settings/security", requireLogin, s.securitySettings)
	g.PUT("/settings/security", requireLogin, s.setSecuritySettings)
}

// setupRoutes are what a staff member without two-step sign-in may still use while the admin
// requires it: the set-up itself, and logging out.
var setupRoutes = map[string]bool{
	"/api/v1/account/two-factor":         true,
	"/api/v1/account/two-factor/setup":   true,
	"/api/v1/account/two-factor/confirm": true,
	"/api/v1/auth/logout":                true,
	"/api/v1/auth/logout-all":            true,
}

// requireTwoFactorSetup refuses a staff member without two-step sign-in everything but the
// set-up while the admin requires it.
func (s *Server) requireTwoFactorSetup(c *gin.Context, u accounts.User) bool {
	if !u.IsStaff() || u.TwoFactorOn() || setupRoutes[c.FullPath()] {
		return true
	}
	need, err := s.Accounts.TwoFactorSetupNeeded(c.Request.Context(), u)
	if err != nil {
		Fail(c, err)
		return false
	}
	if need {
		Fail(c, accounts.ErrTwoFactorSetupRequired)
		return false
	}
	return true
}

type twoFactorLoginInput struct {
	PendingToken string `json:"pendingToken"`
	Code         string `json:"code"`
}

func (s *Server) loginTwoFactor(c *gin.Context) {
	var in twoFactorLoginInput
	if !bindJSON(c, &in) {
		return
	}
	fields := map[string]string{}
	if in.PendingToken == "" {
		fields["pendingToken"] = "is required: the pendingToken of the login's two_factor_required answer"
	}
	if strings.TrimSpace(in.Code) == "" {
		fields["code"] = "is required: the 6-digit code from the authenticator app, or a recovery code"
	}
	if len(fields) > 0 {
		Fail(c, faultFields(fields))
		return
	}
	token, u, err := s.Accounts.CompleteSignIn(c.Request.Context(), in.PendingToken, in.Code,
		accounts.SessionMeta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()})
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": token, "user": viewUser(u)})
}

func (s *Server) twoFactorStatus(c *gin.Context) {
	ctx := c.Request.Context()
	u, err := s.Accounts.User(ctx, ActorOf(c).UserID)
	if err != nil {
		Fail(c, err)
		return
	}
	if !u.IsStaff() {
		Fail(c, accounts.ErrTwoFactorStaffOnly)
		return
	}
	required, err := s.Accounts.StaffTwoFactorRequired(ctx)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"enabled": u.TwoFactorOn(), "recoveryCodesLeft": u.RecoveryCodesLeft(), "required": required})
}

func (s *Server) twoFactorSetup(c *gin.Context) {
	en, err := s.Accounts.BeginTwoFactor(c.Request.Context(), ActorOf(c))
	if err != nil {
		Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store") // the secret is shown once
	c.JSON(http.StatusOK, en)
}

type twoFactorCodeInput struct {
	Code string `json:"code"`
}

func bindCode(c *gin.Context) (string, bool) {
	var in twoFactorCodeInput
	if !bindJSON(c, &in) {
		return "", false
	}
	if strings.TrimSpace(in.Code) == "" {
		Fail(c, faultFields(map[string]string{"code": "is required: the 6-digit code from the authenticator app"}))
		return "", false
	}
	return in.Code, true
}

func (s *Server) twoFactorConfirm(c *gin.Context) {
	code, ok := bindCode(c)
	if !ok {
		return
	}
	codes, err := s.Accounts.ConfirmTwoFactor(c.Request.Context(), ActorOf(c), code)
	if err != nil {
		Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store") // the recovery codes are shown once
	c.JSON(http.StatusOK, gin.H{"enabled": true, "recoveryCodes": codes})
}

func (s *Server) twoFactorDisable(c *gin.Context) {
	code, ok := bindCode(c)
	if !ok {
		return
	}
	if err := s.Accounts.DisableTwoFactor(c.Request.Context(), ActorOf(c), code); err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"enabled": false})
}

func (s *Server) securitySettings(c *gin.Context) {
	if !ActorOf(c).IsAdmin() {
		Fail(c, errForbidden)
		return
	}
	on, err := s.Accounts.StaffTwoFactorRequired(c.Request.Context())
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"staffTwoFactor": on})
}

type securitySettingsInput struct {
	StaffTwoFactor *bool `json:"staffTwoFactor"`
}

func (s *Server) setSecuritySettings(c *gin.Context) {
	if !ActorOf(c).IsAdmin() {
		Fail(c, errForbidden)
		return
	}
	var in securitySettingsInput
	if !bindJSON(c, &in) {
		return
	}
	if in.StaffTwoFactor == nil {
		Fail(c, faultFields(map[string]string{"staffTwoFactor": "is required: true or false"}))
		return
	}
	if err := s.Accounts.SetStaffTwoFactorRequired(c.Request.Context(), ActorOf(c), *in.StaffTwoFactor); err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"staffTwoFactor": *in.StaffTwoFactor})
}
