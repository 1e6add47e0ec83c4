package app

import "context"

// wireCatalog builds the catalog domain (placeholder until it lands).
func (a *App) wireCatalog(ctx context.Context) error { return nil }
