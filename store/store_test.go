package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/store/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The embedded server loses concurrent updates across connections; writes through Write must not.
func TestEmbeddedCompareAndSetUnderConcurrency(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	if _, err := db.Write("stock").InsertOne(ctx, bson.M{"_id": "p1", "stock": 10}); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := db.Write("stock").UpdateOne(ctx,
				bson.M{"_id": "p1", "stock": bson.M{"$gte": 1}}, bson.M{"$inc": bson.M{"stock": -1}})
			if err != nil {
				t.Error(err)
				return
			}
			if res.ModifiedCount == 1 {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	var doc struct{ Stock int }
	if err := db.Read("stock").FindOne(ctx, bson.M{"_id": "p1"}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if wins.Load() != 10 || doc.Stock != 0 {
		t.Fatalf("wins = %d, final stock = %d; want 10 and 0", wins.Load(), doc.Stock)
	}
}

func TestEmbeddedDirectoryLockAndRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	cfg := store.Config{DataDir: dir, Database: "m", Logger: quiet()}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	idx := []mongo.IndexModel{
		{Keys: bson.D{{Key: "v", Value: 1}}},
		{Keys: bson.D{{Key: "w", Value: 1}, {Key: "x", Value: -1}}},
		{Keys: bson.D{{Key: "u", Value: 1}}, Options: options.Index().SetUnique(true).SetName("u_unique")},
	}
	if err := db.EnsureIndexes(ctx, "things", idx...); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write("things").InsertOne(ctx, bson.M{"_id": "a", "v": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, cfg); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open on the same directory: err = %v, want ErrLocked", err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("reopen after close: %v", err)
	}
	defer db2.Close(ctx)
	// Re-creating existing indexes after a restart must be a no-op (FerretDB panicked on it).
	if err := db2.EnsureIndexes(ctx, "things", idx...); err != nil {
		t.Fatalf("indexes after restart: %v", err)
	}
	n, err := db2.Read("things").CountDocuments(ctx, bson.M{"_id": "a"})
	if err != nil || n != 1 {
		t.Fatalf("after restart: count = %d, err = %v; want the document kept", n, err)
	}
}

func TestMigrateRunsOnce(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	runs := 0
	for range 2 {
		if err := db.Migrate(ctx, "0001-test", func(context.Context) error { runs++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Fatalf("migration ran %d times, want 1", runs)
	}
}
