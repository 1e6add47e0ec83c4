package app

import "context"

// wirePayments builds the payments domain (placeholder until it lands).
func (a *App) wirePayments(ctx context.Context) error { return nil }
