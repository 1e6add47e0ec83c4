package app

import "context"

// wireTraining builds the training domain (placeholder until it lands).
func (a *App) wireTraining(ctx context.Context) error { return nil }
