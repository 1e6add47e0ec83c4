package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/store/storetest"
)

// Reads by _id on the embedded store use an index: the one FerretDB makes is on an expression
// its own queries do not use, so the store adds one on exactly the queries' expression, for
// collections with indexes of their own and for those created later.
func TestEmbeddedReadsByIDUseAnIndex(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	if err := db.EnsureIndexes(ctx, "orders", mongo.IndexModel{Keys: bson.D{{Key: "status", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := db.Write("orders").InsertOne(ctx, bson.M{"_id": "o" + string(rune('a'+i%26)) + string(rune('a'+i/26)), "status": "paid"}); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := db.IDQueryPlan(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "SEARCH") || !strings.Contains(plan, "USING INDEX") {
		t.Fatalf("a read by _id of orders: %q, want a SEARCH using an index", plan)
	}
	// A collection created by its first insert, with no indexes of its own: the next check
	// (the size watch runs it every few minutes; EnsureIndexes on any collection too) adds it.
	if _, err := db.Write("events").InsertOne(ctx, bson.M{"_id": "e1"}); err != nil {
		t.Fatal(err)
	}
	if plan, err := db.IDQueryPlan(ctx, "events"); err != nil || !strings.Contains(plan, "SCAN") {
		t.Fatalf("before its index, a read by _id of a new collection: %q %v (want the SCAN the index removes)", plan, err)
	}
	if err := db.EnsureIndexes(ctx, "audit", mongo.IndexModel{Keys: bson.D{{Key: "at", Value: -1}}}); err != nil {
		t.Fatal(err)
	}
	for _, coll := range []string{"events", "audit"} {
		plan, err := db.IDQueryPlan(ctx, coll)
		if err != nil || !strings.Contains(plan, "USING INDEX") {
			t.Fatalf("%s: %q %v", coll, plan, err)
		}
	}
	// And the reads themselves still answer as before.
	var got bson.M
	if err := db.Read("orders").FindOne(ctx, bson.M{"_id": "oba"}).Decode(&got); err != nil || got["status"] != "paid" {
		t.Fatalf("find by _id: %v %v", got, err)
	}
	if n, err := db.Read("orders").CountDocuments(ctx, bson.M{}); err != nil || n != 50 {
		t.Fatalf("count: %d %v", n, err)
	}
}

// BenchmarkEmbeddedByID measures a read and a conditional update by _id in a collection of
// 5,000 documents, with and without the _id expression index.
func BenchmarkEmbeddedByID(b *testing.B) {
	ctx := context.Background()
	db := storetest.New(b)
	docs := make([]any, 5000)
	for i := range docs {
		docs[i] = bson.M{"_id": fmt.Sprintf("order-%05d", i), "status": "pending", "total": i}
	}
	if _, err := db.Write("orders").InsertMany(ctx, docs); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B) {
		b.Run("findOne", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				var out bson.M
				if err := db.Read("orders").FindOne(ctx, bson.M{"_id": fmt.Sprintf("order-%05d", (i*997+4000)%5000)}).Decode(&out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("updateIf", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := db.UpdateIf(ctx, "orders", bson.M{"_id": fmt.Sprintf("order-%05d", (i*997+4000)%5000), "status": "pending"},
					bson.M{"$inc": bson.M{"total": 1}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	if err := db.EnsureIndexes(ctx, "orders", mongo.IndexModel{Keys: bson.D{{Key: "status", Value: 1}}}); err != nil {
		b.Fatal(err)
	}
	b.Run("indexed", run)
	if err := store.DropIDIndexes(ctx, db); err != nil {
		b.Fatal(err)
	}
	b.Run("scan", run)
}
