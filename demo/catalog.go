package demo

import (
	"context"
	"errors"
	"io"

	"github.com/fairhands/marketplace/app"
)

// seedCatalog adds the demo products (placeholder until the catalog lands).
func seedCatalog(ctx context.Context, a *app.App) error { return nil }

// AddProducts adds n published products spread over the demo makers, for load tests.
func AddProducts(ctx context.Context, a *app.App, n int, out io.Writer) error {
	return errors.New("adding products needs the catalog, which is not built yet")
}
