// Package periodic runs a background job at a fixed interval until its context ends: the one
// loop every worker of the marketplace shares (the catalog's poll, the payout and reservation
// workers, the daily digest, the clean-ups).
package periodic

import (
	"context"
	"log/slog"
	"time"
)

// Run calls job at once and then every interval, and also whenever wake receives (a nil wake
// never does), until ctx ends. A job's error is logged under name, unless ctx has ended: the
// next run tries again.
func Run(ctx context.Context, interval time.Duration, wake <-chan struct{}, log *slog.Logger, name string, job func(ctx context.Context) error) {
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := job(ctx); err != nil && ctx.Err() == nil {
			log.Warn(name, "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}
