package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
)

type userView struct {
	ID         string   `json:"id"`
	Role       string   `json:"role"`
	Login      string   `json:"login,omitempty"`
	Email      string   `json:"email,omitempty"`
	Name       string   `json:"name,omitempty"`
	ProgramIDs []string `json:"programIds,omitempty"`
	MakerID    string   `json:"makerId,omitempty"`
	Lang       string   `json:"lang,omitempty"`
}

func viewUser(u accounts.User) userView {
	return userView{ID: u.ID, Role: string(u.Role), Login: u.Login, Email: u.Email, Name: u.Name,
		ProgramIDs: u.ProgramIDs, MakerID: u.MakerID, Lang: u.Lang}
}

func (s *Server) register(c *gin.Context) {
	var in accounts.RegisterInput
	if !bindJSON(c, &in) {
		return
	}
	u, err := s.Accounts.Register(c.Request.Context(), in)
	if err != nil {
		Fail(c, err)
		return
	}
	// The same answer whether or not the e-mail had an account (accounts.Register).
	c.JSON(http.StatusCreated, registrationView{userView: viewUser(u), Message: registeredMessage})
}

// registrationView is the answer to a sign-up.
type registrationView struct {
	userView
	Message string `json:"message"`
}

const registeredMessage = "Sign in with this e-mail and password. If this e-mail already had an account, " +
	"that account and its password are unchanged. Check your e-mail for any message from us."

type loginInput struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

func (s *Server) login(c *gin.Context) {
	var in loginInput
	if !bindJSON(c, &in) {
		return
	}
	fields := map[string]string{}
	if in.Login == "" {
		fields["login"] = "is required: your email or login name"
	}
	if in.Password == "" {
		fields["password"] = "is required"
	}
	if len(fields) > 0 {
		Fail(c, faultFields(fields))
		return
	}
	token, u, err := s.Accounts.Login(c.Request.Context(), in.Login, in.Password,
		accounts.SessionMeta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()})
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": token, "user": viewUser(u)})
}

func (s *Server) logout(c *gin.Context) {
	if err := s.Accounts.Logout(c.Request.Context(), c.GetString("token")); err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "logged_out"})
}

func (s *Server) logoutAll(c *gin.Context) {
	n, err := s.Accounts.LogoutEverywhere(c.Request.Context(), ActorOf(c).UserID)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "logged_out", "sessionsRevoked": n})
}

func (s *Server) me(c *gin.Context) {
	u, err := s.Accounts.User(c.Request.Context(), ActorOf(c).UserID)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewUser(u))
}

func (s *Server) acceptInvite(c *gin.Context) {
	var in accounts.AcceptInput
	if !bindJSON(c, &in) {
		return
	}
	u, err := s.Accounts.AcceptInvite(c.Request.Context(), c.Param("token"), in)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "active", "user": viewUser(u)})
}
