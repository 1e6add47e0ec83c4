package app

import (
	"context"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/makerdata"
)

// system is the actor for reads the app makes on a person's behalf (their own data export);
// the export itself is audited under the person who asked.
var system = accounts.Actor{UserID: "system", Role: accounts.RoleAdmin}

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
