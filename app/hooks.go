package app

import (
	"context"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/api"
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
