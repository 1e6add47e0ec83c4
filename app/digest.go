package app

import (
	"context"
	"fmt"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/notify"
	"github.com/fairhands/marketplace/training"
)

// digestWorker sends each coordinator, once a day, the list of outcome follow-ups due or overdue
// in their programs. It checks every hour; the message key (coordinator and date) makes the
// digest go once a day even with several instances or restarts.
func (a *App) digestWorker(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := a.SendDigests(ctx, time.Now().UTC()); err != nil && ctx.Err() == nil {
			a.Logger.Warn("daily digest", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendDigests queues today's digest for every active coordinator with follow-ups due.
func (a *App) SendDigests(ctx context.Context, now time.Time) error {
	progs, err := a.Programs.Store.Programs(ctx, nil)
	if err != nil {
		return err
	}
	day := now.Format("2006-01-02")
	perCoord := map[string][]notify.FollowUp{}
	coords := map[string]accounts.User{}
	for _, p := range progs {
		cs, err := a.Accounts.Users.Coordinators(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			continue
		}
		report, err := a.Training.ProgramReport(ctx, system, p.ID)
		if err != nil {
			return fmt.Errorf("report for %s: %w", p.ID, err)
		}
		var due []notify.FollowUp
		for _, f := range report.FollowUps {
			if f.Status != training.FollowUpDue && f.Status != training.FollowUpOverdue {
				continue
			}
			due = append(due, notify.FollowUp{
				Title: fmt.Sprintf("%d-month follow-up: %s (%s, %s)", f.Months, f.DisplayName, f.TrackName, p.Name),
				Due:   f.Due.Time,
				URL:   a.Config.BaseURL + "/coordinator/makers/" + f.MakerID,
			})
		}
		for _, c := range cs {
			coords[c.ID] = c
			perCoord[c.ID] = append(perCoord[c.ID], due...)
		}
	}
	for id, due := range perCoord {
		if len(due) == 0 {
			continue
		}
		c := coords[id]
		err := a.Outbox.Enqueue(ctx, notify.Message{To: c.Email, Lang: c.Lang, Template: notify.CoordinatorDigest,
			Key:  "digest:" + id + ":" + day,
			Data: map[string]any{"date": now, "followUps": due, "dashboardURL": a.Config.BaseURL + "/coordinator"}})
		if err != nil {
			return err
		}
	}
	return nil
}
