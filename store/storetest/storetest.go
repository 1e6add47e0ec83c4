// Package storetest starts a fresh embedded database for a test, the same server production's
// pilot mode runs, so store tests exercise real queries.
package storetest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/fairhands/marketplace/store"
)

// New opens a fresh embedded store in a temporary directory and closes it when the test ends.
func New(tb testing.TB) *store.DB {
	tb.Helper()
	dir := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, store.Config{
		DataDir:  dir,
		Database: "test",
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatalf("open embedded store: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = db.Close(ctx)
	})
	return db
}
