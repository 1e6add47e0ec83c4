package app

import (
	"github.com/fairhands/marketplace/frontend"
	"github.com/fairhands/marketplace/makerdata"
)

// newSite builds the web pages over the same services (and the same data export) as the API.
func (a *App) newSite(exports *makerdata.Exporter) (*frontend.Site, error) {
	return frontend.New(frontend.Deps{
		Logger: a.Logger, Accounts: a.Accounts, Programs: a.Programs, Audit: a.Audit,
		Catalog: a.Catalog, Training: a.Training, Payments: a.Payments,
		BaseURL: a.Config.BaseURL, SessionSecret: a.Config.SessionSecret, RateLimitScale: a.Config.RateLimitScale,
		MakerData: exports,
	})
}
