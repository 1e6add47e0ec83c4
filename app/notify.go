package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/httpserver"
	"github.com/fairhands/marketplace/notices"
	"github.com/fairhands/marketplace/notify"
	"github.com/fairhands/marketplace/programs"
)

// wireNotify builds the e-mail notices (package notices: who is told what) and the outbox: SMTP when SMTP_URL is set, else .eml files in MailDir
// (listed at /dev/mail in the demo only; outside it they stay in the folder, unsent). The worker sends in the background, so a slow mail server
// never slows a request and nothing queued is lost on restart.
func (a *App) wireNotify(ctx context.Context, registry *programs.Registry) error {
	sender, err := notify.NewSender(a.Config.SMTPURL, a.Config.MailDir)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	ob, err := notify.NewOutbox(ctx, a.DB, sender, a.Logger)
	if err != nil {
		return fmt.Errorf("mail outbox: %w", err)
	}
	a.Outbox = ob
	n, err := notices.New(notices.Deps{Accounts: a.Accounts, Programs: registry, Queue: ob, Reports: a.Training,
		BaseURL: a.Config.BaseURL, Logger: a.Logger})
	if err != nil {
		return err
	}
	a.Notices = n
	a.workers = append(a.workers, ob.Run, n.RunDigests)
	return nil
}

// devMail lists the demo's mails at /dev/mail: only in demo mode (serve --demo) with mail going
// to a folder, and only to a client on this machine or a signed-in admin. Outside the demo the
// route does not exist, so buyers' and coordinators' mails are never readable over HTTP.
func (a *App) devMail() httpserver.Face {
	return httpserver.FaceFunc(func(r *gin.Engine) {
		if !a.Config.Demo || a.Config.SMTPURL != "" || a.Config.MailDir == "" {
			return
		}
		h := gin.WrapH(notify.DevHandler(a.Config.MailDir))
		r.GET("/dev/mail", func(c *gin.Context) {
			if !fromLoopback(c) && !a.signedInAdmin(c) {
				// As if the route were not there: nothing tells a visitor the demo's mail exists.
				c.Header("Cache-Control", "no-store")
				c.AbortWithStatus(http.StatusNotFound)
				return
			}
			c.Header("Cache-Control", "no-store")
			h(c)
		})
	})
}

// fromLoopback reports whether the request comes straight from this machine: the connection is
// from a loopback address and no proxy forwarded it (a reverse proxy on the same host would
// otherwise make every visitor look local).
func fromLoopback(c *gin.Context) bool {
	for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded"} {
		if c.GetHeader(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(c.Request.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// signedInAdmin reports whether the request carries the session (cookie or bearer token) of an
// admin.
func (a *App) signedInAdmin(c *gin.Context) bool {
	token := ""
	if scheme, rest, ok := strings.Cut(c.GetHeader("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	} else if ck, err := c.Cookie(httpserver.SessionCookie); err == nil {
		token = ck
	}
	if token == "" {
		return false
	}
	u, err := a.Accounts.Authenticate(c.Request.Context(), token)
	return err == nil && u.Role == accounts.RoleAdmin
}
