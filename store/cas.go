package store

import (
	"context"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Compare-and-set updates: a write that applies only while a document, named by its _id, still
// matches a condition (an order still pending, an entry still claimed by this worker).
//
// MongoDB runs the whole filter with the write, atomically. The embedded store would too, but it
// matches any filter other than a bare {_id} by decoding every document of the collection in Go,
// and does so on the one write connection every write waits for: with a thousand orders, a
// conditional update took 90 ms against 20 ms by _id alone. So in embedded mode UpdateIf and its
// kin read the one document by _id, test the condition here, and write by _id alone — under a
// lock per collection, which every conditional write in the process takes, and the embedded store
// is only ever used by one process (the data directory is locked). A condition this matcher does
// not know exactly goes to the server unchanged, under the same lock.
//
// Every write to a document that conditional writes also change must go through these functions
// (UpdateIf with a bare {_id} filter too, and UpdateAll for many): a write around them could land
// between the read and the write.

// UpdateIf applies update to the document filter["_id"] names if it matches the rest of filter,
// and reports whether it did.
func (db *DB) UpdateIf(ctx context.Context, coll string, filter bson.M, update any) (bool, error) {
	return db.casWrite(ctx, coll, filter, func(f bson.M) (bool, error) {
		res, err := db.write.Collection(coll).UpdateOne(ctx, f, update)
		if err != nil {
			return false, err
		}
		return res.MatchedCount == 1, nil
	})
}

// ReplaceIf replaces the document filter["_id"] names with doc if it matches the rest of filter,
// and reports whether it did.
func (db *DB) ReplaceIf(ctx context.Context, coll string, filter bson.M, doc any) (bool, error) {
	return db.casWrite(ctx, coll, filter, func(f bson.M) (bool, error) {
		res, err := db.write.Collection(coll).ReplaceOne(ctx, f, doc)
		if err != nil {
			return false, err
		}
		return res.MatchedCount == 1, nil
	})
}

// FindOneAndUpdateIf is UpdateIf that decodes the document as it is after the change into out.
func (db *DB) FindOneAndUpdateIf(ctx context.Context, coll string, filter bson.M, update any, out any) (bool, error) {
	return db.casWrite(ctx, coll, filter, func(f bson.M) (bool, error) {
		err := db.write.Collection(coll).FindOneAndUpdate(ctx, f, update,
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(out)
		if IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
}

// UpdateAll applies update to every document matching filter (each one atomically, as MongoDB
// does), ordered against the collection's conditional writes in embedded mode, and returns how
// many it changed.
func (db *DB) UpdateAll(ctx context.Context, coll string, filter bson.M, update any) (int64, error) {
	if db.Embedded {
		mu := db.casLock(coll)
		mu.Lock()
		defer mu.Unlock()
	}
	res, err := db.write.Collection(coll).UpdateMany(ctx, filter, update)
	if err != nil {
		return 0, err
	}
	return res.ModifiedCount, nil
}

func (db *DB) casWrite(ctx context.Context, coll string, filter bson.M, write func(bson.M) (bool, error)) (bool, error) {
	id, hasID := filter["_id"]
	if !db.Embedded || !hasID {
		return write(filter)
	}
	mu := db.casLock(coll)
	mu.Lock()
	defer mu.Unlock()
	if len(filter) == 1 {
		return write(filter) // by _id alone: only ordered against the conditional writes
	}
	var cur bson.M
	err := db.read.Collection(coll).FindOne(ctx, bson.M{"_id": id}).Decode(&cur)
	if IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s %v: %w", coll, id, err)
	}
	ok, known := Matches(cur, filter)
	if !known {
		return write(filter)
	}
	if !ok {
		return false, nil
	}
	return write(bson.M{"_id": id})
}

func (db *DB) casLock(coll string) *sync.Mutex {
	db.casMu.Lock()
	defer db.casMu.Unlock()
	if db.casLocks == nil {
		db.casLocks = map[string]*sync.Mutex{}
	}
	mu := db.casLocks[coll]
	if mu == nil {
		mu = &sync.Mutex{}
		db.casLocks[coll] = mu
	}
	return mu
}
