package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/store/storetest"
)

// The matcher behind embedded compare-and-set agrees with the server on every filter it claims
// to know, over random documents and conditions of the shapes the stores use.
func TestMatchesAgreesWithTheServer(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(1, 2))
	values := []any{"pending", "paid", "", 0, 1, 2, int64(3), 2.5, true, false, base, base.Add(time.Minute)}
	pick := func() any { return values[rnd.IntN(len(values))] }
	var docs []any
	for i := range 60 {
		d := bson.M{"_id": fmt.Sprintf("d%02d", i)}
		for _, f := range []string{"status", "rev", "at"} {
			if rnd.IntN(4) > 0 {
				d[f] = pick()
			}
		}
		if rnd.IntN(2) == 0 {
			sub := bson.M{}
			if rnd.IntN(3) > 0 {
				sub["qty"] = pick()
			}
			d["holds"] = bson.M{"o1": sub}
		}
		docs = append(docs, d)
	}
	if _, err := db.Write("m").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	ops := []string{"", "$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$exists"}
	fields := []string{"status", "rev", "at", "holds.o1.qty", "holds.o1", "missing"}
	checked := 0
	for range 400 {
		filter := bson.M{}
		for range 1 + rnd.IntN(2) {
			f, op := fields[rnd.IntN(len(fields))], ops[rnd.IntN(len(ops))]
			switch op {
			case "":
				filter[f] = pick()
			case "$in", "$nin":
				filter[f] = bson.M{op: bson.A{pick(), pick()}}
			case "$exists":
				filter[f] = bson.M{op: rnd.IntN(2) == 0}
			default:
				filter[f] = bson.M{op: pick()}
			}
		}
		cur, err := db.Read("m").Find(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		var found []bson.M
		if err := cur.All(ctx, &found); err != nil {
			t.Fatal(err)
		}
		server := map[string]bool{}
		for _, d := range found {
			server[d["_id"].(string)] = true
		}
		cur, err = db.Read("m").Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var all []bson.M
		if err := cur.All(ctx, &all); err != nil {
			t.Fatal(err)
		}
		for _, d := range all {
			ok, known := store.Matches(d, filter)
			if !known {
				continue
			}
			checked++
			if ok != server[d["_id"].(string)] {
				t.Errorf("filter %v on %v: matcher says %v, the server %v", filter, d, ok, !ok)
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d document×filter pairs were decided by the matcher", checked)
	}
	t.Logf("%d document×filter pairs agree", checked)
}

// Conditional writes from many goroutines on the embedded store: exactly one of many racing
// transitions wins, and a counter guarded by compare-and-set loses no increment.
func TestUpdateIfIsAtomic(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	if _, err := db.Write("c").InsertMany(ctx, []any{bson.M{"_id": "o1", "status": "pending"}, bson.M{"_id": "p1", "stock": 10, "version": 0}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	wins, sold := 0, 0
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.UpdateIf(ctx, "c", bson.M{"_id": "o1", "status": "pending"}, bson.M{"$set": bson.M{"status": "paid", "by": i}})
			if err != nil {
				t.Error(err)
			}
			var p bson.M
			took, err := db.FindOneAndUpdateIf(ctx, "c", bson.M{"_id": "p1", "stock": bson.M{"$gte": 1}},
				bson.M{"$inc": bson.M{"stock": -1, "version": 1}}, &p)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				wins++
			}
			if took {
				sold++
			}
		}()
	}
	wg.Wait()
	var p bson.M
	if err := db.Read("c").FindOne(ctx, bson.M{"_id": "p1"}).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if wins != 1 || sold != 10 || p["stock"] != int32(0) {
		t.Fatalf("%d transitions won (want 1), %d units sold (want 10), stock %v (want 0)", wins, sold, p["stock"])
	}
	if ok, err := db.UpdateIf(ctx, "c", bson.M{"_id": "nope", "status": "pending"}, bson.M{"$set": bson.M{"x": 1}}); ok || err != nil {
		t.Fatalf("a missing document: %v %v", ok, err)
	}
}
