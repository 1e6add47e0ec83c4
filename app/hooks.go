package app

import (
	"context"
	"fmt"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/makerdata"
	"github.com/fairhands/marketplace/notify"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// system is the actor for reads the app makes on a person's behalf (their own data export);
// the export itself is audited under the person who asked.
var system = accounts.Actor{UserID: "system", Role: accounts.RoleAdmin}

// connect joins the domains once all are built: each change a domain must react to is a hook,
// so no domain imports another's internals.
func (a *App) connect() {
	a.Catalog.Gate = a.Training
	a.Programs.OnMakerChanged = append(a.Programs.OnMakerChanged, a.Catalog.InvalidateMaker)
	a.Programs.OnProgramChanged = append(a.Programs.OnProgramChanged, a.Catalog.InvalidateProgram)
	a.Programs.OnErase = append(a.Programs.OnErase, a.Catalog.EraseMaker)
	a.Catalog.OnSubmitted = a.mailListingToReview
	a.Training.Earnings = a.Payments
	a.workers = append(a.workers, a.digestWorker)
}

// mailOrderEvent tells the buyer what happened to their order (paid, shipped, refunded) and, on
// payment, asks the coordinators of each program in the order to prepare its items. A failure to
// queue is logged: the order itself has changed either way.
func (a *App) mailOrderEvent(ctx context.Context, event string, o payments.Order, orderURL string, detail map[string]any) {
	a.Metrics.Count("order", event, 1)
	if err := a.queueOrderMails(ctx, event, o, orderURL, detail); err != nil {
		a.Logger.Warn("queue order e-mail", "event", event, "order", o.ID, "err", err.Error())
	}
}

func (a *App) queueOrderMails(ctx context.Context, event string, o payments.Order, orderURL string, detail map[string]any) error {
	if o.Channel != payments.ChannelOnline {
		return nil // counter and fair sales have no buyer e-mail
	}
	lang := ""
	if o.BuyerID != "" {
		if u, err := a.Accounts.Users.ByID(ctx, o.BuyerID); err == nil {
			lang = u.Lang
		}
	}
	number := o.ID[len(o.ID)-8:]
	now := time.Now().UTC()
	items := make([]notify.Item, 0, len(o.Items))
	byProgram := map[string][]notify.Item{}
	for _, it := range o.Items {
		name := programs.AnonymousName
		if m, err := a.Programs.Store.Maker(ctx, it.MakerID); err == nil {
			if p, err := a.Programs.Store.Program(ctx, m.ProgramID); err == nil {
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
		return a.Outbox.Enqueue(ctx, notify.Message{To: o.Email, Lang: lang, Template: template, Key: key, Data: data})
	}
	switch event {
	case "paid":
		if err := buyer(notify.OrderConfirmation, "order_paid:"+o.ID, map[string]any{"items": items, "total": o.Total, "currency": o.Currency}); err != nil {
			return err
		}
		for programID, its := range byProgram {
			prog, err := a.Programs.Store.Program(ctx, programID)
			if err != nil {
				return err
			}
			coords, err := a.Accounts.Users.Coordinators(ctx, programID)
			if err != nil {
				return err
			}
			for _, c := range coords {
				err := a.Outbox.Enqueue(ctx, notify.Message{To: c.Email, Lang: c.Lang, Template: notify.CoordinatorNewOrder,
					Key: "order_paid:" + o.ID + ":" + c.ID,
					Data: map[string]any{"orderNumber": number, "program": prog.Name, "items": its, "currency": o.Currency,
						"orderURL": a.Config.BaseURL + "/coordinator/programs/" + programID}})
				if err != nil {
					return err
				}
			}
		}
	case "shipped":
		return buyer(notify.OrderShipped, "order_shipped:"+o.ID, map[string]any{"trackingNumber": o.TrackingNumber, "carrier": o.Carrier})
	case "refunded":
		return buyer(notify.OrderRefunded, fmt.Sprintf("refund:%s:%v", o.ID, detail["key"]), map[string]any{"amount": detail["amount"], "currency": o.Currency})
	}
	return nil
}

// mailListingToReview tells the program's coordinators that a listing waits for their review.
// Makers get no e-mail; the coordinators see the maker by display name only.
func (a *App) mailListingToReview(ctx context.Context, p catalog.Product) error {
	prog, err := a.Programs.Store.Program(ctx, p.ProgramID)
	if err != nil {
		return err
	}
	maker, err := a.Programs.Store.Maker(ctx, p.MakerID)
	if err != nil {
		return err
	}
	coords, err := a.Accounts.Users.Coordinators(ctx, p.ProgramID)
	if err != nil {
		return err
	}
	for _, c := range coords {
		err := a.Outbox.Enqueue(ctx, notify.Message{
			To: c.Email, Lang: c.Lang, Template: notify.CoordinatorListingReview,
			Key: fmt.Sprintf("review:%s:%s:%s", p.ID, p.UpdatedAt.Format(time.RFC3339Nano), c.ID),
			Data: map[string]any{"productTitle": p.Title, "makerDisplayName": maker.DisplayName, "program": prog.Name,
				"reviewURL": a.Config.BaseURL + "/coordinator/programs/" + prog.ID + "/review"},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// makerData builds the maker's data export from each domain's part of it.
func (a *App) makerData() (*makerdata.Exporter, error) {
	return makerdata.New(a.Programs, a.Audit,
		makerdata.Source{Name: "products", Load: func(ctx context.Context, id string) (any, error) {
			return a.Catalog.MakerProducts(ctx, system, id)
		}},
		makerdata.Source{Name: "training", Load: a.Training.ExportMaker},
		makerdata.Source{Name: "earnings", Load: a.Payments.MakerExport},
	)
}
