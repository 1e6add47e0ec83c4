// Package notices decides who is told what, and when: the buyer of an order (paid, shipped,
// refunded), the coordinators of each program in it (a new order to prepare), the coordinators
// of a listing waiting for review, and each coordinator's daily digest of outcome follow-ups.
// It only decides and queues: package notify renders the mail in the reader's language and the
// outbox sends it. Makers are never mailed, and buyers never learn how to reach a maker.
package notices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/notify"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/periodic"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/training"
)

// Queue is where notices go to be sent (the outbox); Enqueue is idempotent by Message.Key.
type Queue interface {
	Enqueue(ctx context.Context, m notify.Message) error
}

// Reports gives a program's outcome report, for the digest of follow-ups due.
type Reports interface {
	ProgramReport(ctx context.Context, actor accounts.Actor, programID string) (training.Report, error)
}

// Deps is what the notices are built on; every field but Logger is required.
type Deps struct {
	Accounts *accounts.Service
	Programs *programs.Registry
	Queue    Queue
	Reports  Reports
	// BaseURL prefixes the links in the mail.
	BaseURL string
	Logger  *slog.Logger
}

// Service queues the marketplace's e-mail notices.
type Service struct {
	d Deps
}

// system is the actor for the reports the digest reads on the coordinators' behalf.
var system = accounts.Actor{UserID: "system:notices", Role: accounts.RoleAdmin}

// New returns the notices service.
func New(d Deps) (*Service, error) {
	if d.Accounts == nil || d.Programs == nil || d.Queue == nil || d.Reports == nil {
		return nil, errors.New("notices: accounts, programs, the mail queue and the reports are all required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Service{d: d}, nil
}

// Accounts is the accounts service the notices read people from.
func (s *Service) Accounts() *accounts.Service { return s.d.Accounts }

// OrderEvent tells the buyer what happened to their order ("paid", "shipped", "refunded") and,
// on payment, asks the coordinators of each program in the order to prepare its items. A failure
// to queue is logged: the order itself has changed either way.
func (s *Service) OrderEvent(ctx context.Context, event string, o payments.Order, orderURL string, detail map[string]any) {
	if err := s.orderMails(ctx, event, o, orderURL, detail); err != nil {
		s.d.Logger.Warn("queue order e-mail", "event", event, "order", o.ID, "err", err.Error())
	}
}

func (s *Service) orderMails(ctx context.Context, event string, o payments.Order, orderURL string, detail map[string]any) error {
	if o.Channel != payments.ChannelOnline {
		return nil // counter and fair sales have no buyer e-mail
	}
	lang := ""
	if o.BuyerID != "" {
		if u, err := s.d.Accounts.User(ctx, o.BuyerID); err == nil {
			lang = u.Lang
		}
	}
	number := o.ID[len(o.ID)-8:]
	now := time.Now().UTC()
	items := make([]notify.Item, 0, len(o.Items))
	byProgram := map[string][]notify.Item{}
	for _, it := range o.Items {
		name := programs.AnonymousName
		if m, err := s.d.Programs.Maker(ctx, it.MakerID); err == nil {
			if p, err := s.d.Programs.Program(ctx, m.ProgramID); err == nil {
				name = m.Public(p, now).DisplayName
			}
		}
		ni := notify.Item{Title: it.Title, MakerDisplayName: name, Quantity: it.Quantity, UnitPrice: it.UnitPrice}
		items = append(items, ni)
		byProgram[it.ProgramID] = append(byProgram[it.ProgramID], ni)
	}
	buyer := func(template, key string, data map[string]any) error {
		if o.Email == "" || orderURL == "" {
			return nil
		}
		data["orderNumber"], data["orderURL"] = number, orderURL
		return s.d.Queue.Enqueue(ctx, notify.Message{To: o.Email, Lang: lang, Template: template, Key: key, Data: data})
	}
	switch event {
	case "paid":
		if err := buyer(notify.OrderConfirmation, "order_paid:"+o.ID, map[string]any{"items": items, "total": o.Total, "currency": o.Currency}); err != nil {
			return err
		}
		for programID, its := range byProgram {
			prog, err := s.d.Programs.Program(ctx, programID)
			if err != nil {
				return err
			}
			err = s.toCoordinators(ctx, programID, func(c accounts.User) notify.Message {
				return notify.Message{Template: notify.CoordinatorNewOrder, Key: "order_paid:" + o.ID + ":" + c.ID,
					Data: map[string]any{"orderNumber": number, "program": prog.Name, "items": its, "currency": o.Currency,
						"orderURL": s.d.BaseURL + "/coordinator/programs/" + programID + "/desk"}}
			})
			if err != nil {
				return err
			}
		}
	case "shipped":
		return buyer(notify.OrderShipped, "order_shipped:"+o.ID, map[string]any{"trackingNumber": o.TrackingNumber, "carrier": o.Carrier})
	case "package_sent":
		f, _ := detail["package"].(payments.Fulfilment)
		its := make([]notify.Item, 0, len(f.Items))
		for _, i := range f.Items {
			if i >= 0 && i < len(items) {
				its = append(its, items[i])
			}
		}
		return buyer(notify.PackageSent, "package_sent:"+f.ID, map[string]any{"number": detail["number"], "of": detail["of"],
			"items": its, "trackingNumber": f.TrackingNumber, "carrier": f.Carrier})
	case "refunded":
		return buyer(notify.OrderRefunded, fmt.Sprintf("refund:%s:%v", o.ID, detail["key"]), map[string]any{"amount": detail["amount"], "currency": o.Currency})
	}
	return nil
}

// toCoordinators queues one message for each active coordinator of a program, in their own
// language, at their own address.
func (s *Service) toCoordinators(ctx context.Context, programID string, msg func(c accounts.User) notify.Message) error {
	coords, err := s.d.Accounts.Coordinators(ctx, programID)
	if err != nil {
		return err
	}
	for _, c := range coords {
		m := msg(c)
		m.To, m.Lang = c.Email, c.Lang
		if err := s.d.Queue.Enqueue(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// ListingToReview tells the program's coordinators that a listing waits for their review.
// Makers get no e-mail; the coordinators see the maker by display name only.
func (s *Service) ListingToReview(ctx context.Context, p catalog.Product) error {
	prog, err := s.d.Programs.Program(ctx, p.ProgramID)
	if err != nil {
		return err
	}
	maker, err := s.d.Programs.Maker(ctx, p.MakerID)
	if err != nil {
		return err
	}
	return s.toCoordinators(ctx, p.ProgramID, func(c accounts.User) notify.Message {
		return notify.Message{Template: notify.CoordinatorListingReview,
			Key: fmt.Sprintf("review:%s:%s:%s", p.ID, p.UpdatedAt.Format(time.RFC3339Nano), c.ID),
			Data: map[string]any{"productTitle": p.Title, "makerDisplayName": maker.DisplayName, "program": prog.Name,
				"reviewURL": s.d.BaseURL + "/coordinator/programs/" + prog.ID + "/review"}}
	})
}

// SendDigests queues today's digest for every active coordinator with follow-ups due or overdue
// in their programs. The message key (coordinator and date) makes the digest go once a day, with
// several instances or restarts.
func (s *Service) SendDigests(ctx context.Context, now time.Time) error {
	progs, err := s.d.Programs.Programs(ctx, nil)
	if err != nil {
		return err
	}
	day := now.Format("2006-01-02")
	perCoord := map[string][]notify.FollowUp{}
	coords := map[string]accounts.User{}
	for _, p := range progs {
		cs, err := s.d.Accounts.Coordinators(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			continue
		}
		report, err := s.d.Reports.ProgramReport(ctx, system, p.ID)
		if err != nil {
			return fmt.Errorf("report for %s: %w", p.ID, err)
		}
		var due []notify.FollowUp
		for _, f := range report.FollowUps {
			if f.Status != training.FollowUpDue && f.Status != training.FollowUpOverdue {
				continue
			}
			due = append(due, notify.FollowUp{
				Title:  fmt.Sprintf("%d-month follow-up: %s (%s, %s)", f.Months, f.DisplayName, f.TrackName, p.Name),
				Months: f.Months, Maker: f.DisplayName, Track: f.TrackName, Program: p.Name,
				Due: f.Due.Time,
				URL: s.d.BaseURL + "/coordinator/makers/" + f.MakerID,
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
		err := s.d.Queue.Enqueue(ctx, notify.Message{To: c.Email, Lang: c.Lang, Template: notify.CoordinatorDigest,
			Key:  "digest:" + id + ":" + day,
			Data: map[string]any{"date": now, "followUps": due, "dashboardURL": s.d.BaseURL + "/coordinator"}})
		if err != nil {
			return err
		}
	}
	return nil
}

// RunDigests sends the digests once an hour (each goes once a day) until ctx ends.
func (s *Service) RunDigests(ctx context.Context) {
	periodic.Run(ctx, time.Hour, nil, s.d.Logger, "daily digest", func(ctx context.Context) error {
		return s.SendDigests(ctx, time.Now().UTC())
	})
}
