package app

import (
	"context"
	"fmt"

	"github.com/fairhands/marketplace/catalog"
)

// wireCatalog builds the catalog and its read model (loaded from the database here, so the
// storefront is ready before the first request), and adds the poll that keeps the read model
// in step with writes made by other instances.
func (a *App) wireCatalog(ctx context.Context) error {
	svc, err := catalog.NewService(ctx, a.DB, a.Programs.Store, a.Audit, a.Logger)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	a.Catalog = svc
	a.workers = append(a.workers, svc.Run)
	return nil
}
