package app

import (
	"context"
	"fmt"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/api"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/notify"
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
	a.Catalog.OnSubmitted = a.mailListingToReview
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

// makerData lists each domain's part of a maker's "everything stored about me" export.
func (a *App) makerData() []api.MakerDataSource {
	return []api.MakerDataSource{
		{Name: "products", Load: func(ctx context.Context, id string) (any, error) {
			return a.Catalog.MakerProducts(ctx, system, id)
		}},
		{Name: "training", Load: a.Training.ExportMaker},
	}
}
