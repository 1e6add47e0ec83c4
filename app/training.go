package app

import (
	"context"
	"fmt"
	"time"

	"github.com/fairhands/marketplace/periodic"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/training"
)

// wireTraining builds the training domain (its store and indexes; marketplace earnings beside
// outcomes in its reports) and the hourly clean-up of evidence photos no sign-off used.
func (a *App) wireTraining(ctx context.Context, registry *programs.Registry, earnings training.Earnings) error {
	t, err := training.New(ctx, a.DB, training.Deps{Programs: registry, Accounts: a.Accounts, Audit: a.Audit,
		Box: a.Box, Earnings: earnings})
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	t.BaseURL = a.Config.BaseURL
	a.Training = t
	a.workers = append(a.workers, func(ctx context.Context) {
		periodic.Run(ctx, time.Hour, nil, a.Logger, "clean unattached evidence photos", func(ctx context.Context) error {
			n, err := t.CleanUnattachedEvidence(ctx, time.Now().UTC().Add(-24*time.Hour))
			if n > 0 {
				a.Logger.Info("removed unattached evidence photos", "count", n)
			}
			return err
		})
	})
	return nil
}
