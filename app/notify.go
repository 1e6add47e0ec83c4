package app

import (
	"context"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/httpserver"
	"github.com/fairhands/marketplace/notices"
	"github.com/fairhands/marketplace/notify"
	"github.com/fairhands/marketplace/programs"
)

// wireNotify builds the e-mail notices (package notices: who is told what) and the outbox: SMTP when SMTP_URL is set, else .eml files in MailDir (the
// embedded demo), listed at /dev/mail. The worker sends in the background, so a slow mail server
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

// devMail lists the demo's mails at /dev/mail, only when they go to a folder on an embedded
// store (never in production).
func (a *App) devMail() httpserver.Face {
	return httpserver.FaceFunc(func(r *gin.Engine) {
		if a.Config.SMTPURL == "" && a.Config.MailDir != "" && a.DB.Embedded {
			r.GET("/dev/mail", gin.WrapH(notify.DevHandler(a.Config.MailDir)))
		}
	})
}
