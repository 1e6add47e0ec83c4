package app

import (
	"context"
	"fmt"

	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/programs"
)

// wireCatalog builds the catalog and its read model (loaded from the database here, so the
// storefront is ready before the first request), gated by training and telling coordinators of
// listings to review, and adds the poll that keeps the read model in step with writes made by
// other instances.
func (a *App) wireCatalog(ctx context.Context, registry *programs.Registry) error {
	svc, err := catalog.NewService(ctx, a.DB, catalog.Deps{Directory: registry, Audit: a.Audit, Logger: a.Logger,
		Gate: a.Training, Listings: a.Notices})
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	a.Catalog = svc
	a.workers = append(a.workers, svc.Run)
	return nil
}
