package app

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/frontend"
)

// wireFrontend mounts the web pages on the engine, over the same services as the API.
func (a *App) wireFrontend(ctx context.Context, engine *gin.Engine) error {
	site, err := frontend.New(frontend.Deps{
		Logger: a.Logger, Accounts: a.Accounts, Programs: a.Programs, Audit: a.Audit,
		Catalog: a.Catalog, Training: a.Training, Payments: a.Payments,
		BaseURL: a.Config.BaseURL, SessionSecret: a.Config.SessionSecret, RateLimitScale: a.Config.RateLimitScale,
		MakerData: a.API.MakerData, // the API's export sources: both downloads hold the same parts
	})
	if err != nil {
		return err
	}
	site.Mount(engine)
	return nil
}
