package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

const (
	productsColl = "products"
	// metaColl holds one document whose counter grows with every product write, so that other
	// instances can poll a single tiny document instead of scanning the products (every
	// non-_id query scans the collection on the embedded store).
	metaColl    = "catalog_meta"
	changesDoc  = "changes"
	importBatch = 500
)

// errStale means a compare-and-set update lost to a concurrent write; the service reloads and retries.
var errStale = errors.New("product changed concurrently")

// ProductStore keeps products. Every write goes through db.Write, which on the embedded store is
// the single connection that makes compare-and-set updates atomic.
type ProductStore struct {
	db *store.DB

	// mine holds the change-counter values this process's writes produced, so a poll can
	// tell whether anyone else wrote since it last looked.
	mu   sync.Mutex
	mine map[int64]bool
}

// NewProductStore returns a ProductStore and creates its indexes (MongoDB uses them; the
// embedded store scans anyway, which is why the storefront reads the read model instead).
func NewProductStore(ctx context.Context, db *store.DB) (*ProductStore, error) {
	err := db.EnsureIndexes(ctx, productsColl,
		mongo.IndexModel{Keys: bson.D{{Key: "makerId", Value: 1}, {Key: "updatedAt", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "programId", Value: 1}, {Key: "status", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "updatedAt", Value: 1}}},
	)
	if err != nil {
		return nil, err
	}
	return &ProductStore{db: db, mine: map[int64]bool{}}, nil
}

// Insert stores a new product.
func (s *ProductStore) Insert(ctx context.Context, p Product) error {
	if _, err := s.db.Write(productsColl).InsertOne(ctx, p); err != nil {
		if store.IsDuplicate(err) {
			return fmt.Errorf("insert product: %w", errDuplicate)
		}
		return fmt.Errorf("insert product: %w", err)
	}
	return s.bump(ctx)
}

// InsertMany stores many new products in batches (demo data and load tests).
func (s *ProductStore) InsertMany(ctx context.Context, ps []Product) error {
	for start := 0; start < len(ps); start += importBatch {
		end := min(start+importBatch, len(ps))
		docs := make([]any, 0, end-start)
		for _, p := range ps[start:end] {
			docs = append(docs, p)
		}
		if _, err := s.db.Write(productsColl).InsertMany(ctx, docs); err != nil {
			return fmt.Errorf("insert products: %w", err)
		}
	}
	return s.bump(ctx)
}

// ByID returns a product in any status, or ErrNotFound.
func (s *ProductStore) ByID(ctx context.Context, id string) (Product, error) {
	var p Product
	err := s.db.Read(productsColl).FindOne(ctx, bson.M{"_id": id}).Decode(&p)
	if store.IsNotFound(err) {
		return Product{}, ErrNotFound
	}
	if err != nil {
		return Product{}, fmt.Errorf("load product: %w", err)
	}
	return p, nil
}

// Replace writes p if the stored version is still p.Version-1 (the caller has already
// incremented it); otherwise it returns errStale.
func (s *ProductStore) Replace(ctx context.Context, p Product) error {
	ok, err := s.db.ReplaceIf(ctx, productsColl, bson.M{"_id": p.ID, "version": p.Version - 1}, p)
	if err != nil {
		return fmt.Errorf("update product: %w", err)
	}
	if !ok {
		return errStale
	}
	return s.bump(ctx)
}

// notMadeToOrder is the filter part that leaves made-to-order products' stock alone.
var notMadeToOrder = bson.M{"$ne": true}

// AddStock adds delta to the stock of a product sold from stock (not made to order) and returns
// the product as it is after the change. With ifPublished, the change applies only to a
// published product with at least -delta units. A miss returns ErrNotFound so the caller can
// explain it.
func (s *ProductStore) AddStock(ctx context.Context, id string, delta int, ifPublished bool, now time.Time) (Product, error) {
	filter := bson.M{"_id": id, "madeToOrder": notMadeToOrder}
	if ifPublished {
		filter["status"] = StatusPublished
		filter["stock"] = bson.M{"$gte": -delta}
	}
	update := bson.M{"$inc": bson.M{"stock": delta, "version": 1}, "$set": bson.M{"updatedAt": now}}
	var p Product
	ok, err := s.db.FindOneAndUpdateIf(ctx, productsColl, filter, update, &p)
	if err == nil && !ok {
		return Product{}, ErrNotFound
	}
	if err != nil {
		return Product{}, fmt.Errorf("update stock: %w", err)
	}
	return p, s.bump(ctx)
}

// Hold takes qty units of a published product sold from stock for holdID, if at least qty are
// left and holdID holds none yet, and returns the product after the change; a miss (a
// made-to-order product too) is ErrNotFound.
func (s *ProductStore) Hold(ctx context.Context, id, holdID string, qty int, now time.Time) (Product, error) {
	key := "holds." + holdID
	filter := bson.M{"_id": id, "status": StatusPublished, "stock": bson.M{"$gte": qty}, key: bson.M{"$exists": false},
		"madeToOrder": notMadeToOrder}
	update := bson.M{"$inc": bson.M{"stock": -qty, "holdCount": 1, "version": 1},
		"$set": bson.M{"updatedAt": now, key: Hold{Quantity: qty, At: now}}}
	var p Product
	ok, err := s.db.FindOneAndUpdateIf(ctx, productsColl, filter, update, &p)
	if err == nil && !ok {
		return Product{}, ErrNotFound
	}
	if err != nil {
		return Product{}, fmt.Errorf("hold stock: %w", err)
	}
	return p, s.bump(ctx)
}

// Unhold removes holdID's hold of qty units, putting the units back in stock when restock is
// set (the order was let go) and not otherwise (the order was paid: the units are sold). It
// reports false when there was no such hold, so a repeat changes nothing.
func (s *ProductStore) Unhold(ctx context.Context, id, holdID string, qty int, restock bool, now time.Time) (Product, bool, error) {
	key := "holds." + holdID
	inc := bson.M{"holdCount": -1, "version": 1}
	if restock {
		inc["stock"] = qty
	}
	var p Product
	ok, err := s.db.FindOneAndUpdateIf(ctx, productsColl, bson.M{"_id": id, key + ".qty": qty},
		bson.M{"$inc": inc, "$unset": bson.M{key: ""}, "$set": bson.M{"updatedAt": now}}, &p)
	if err == nil && !ok {
		return Product{}, false, nil
	}
	if err != nil {
		return Product{}, false, fmt.Errorf("release hold: %w", err)
	}
	return p, true, s.bump(ctx)
}

// Held lists every hold on every product.
func (s *ProductStore) Held(ctx context.Context) ([]HeldUnits, error) {
	cur, err := s.db.Read(productsColl).Find(ctx, bson.M{"holdCount": bson.M{"$gt": 0}},
		options.Find().SetProjection(bson.M{"holds": 1}))
	if err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	var ps []Product
	if err := cur.All(ctx, &ps); err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	out := []HeldUnits{}
	for _, p := range ps {
		for hid, h := range p.Holds {
			out = append(out, HeldUnits{ProductID: p.ID, HoldID: hid, Quantity: h.Quantity, At: h.At})
		}
	}
	slices.SortFunc(out, func(a, b HeldUnits) int { return a.At.Compare(b.At) })
	return out, nil
}

// list runs a query sorted newest change first.
func (s *ProductStore) list(ctx context.Context, filter bson.M) ([]Product, error) {
	cur, err := s.db.Read(productsColl).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "updatedAt", Value: -1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	out := []Product{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return out, nil
}

// ByMaker lists a maker's products in every status.
func (s *ProductStore) ByMaker(ctx context.Context, makerID string) ([]Product, error) {
	return s.list(ctx, bson.M{"makerId": makerID})
}

// ByProgramStatus lists a program's products in one status.
func (s *ProductStore) ByProgramStatus(ctx context.Context, programID, status string) ([]Product, error) {
	return s.list(ctx, bson.M{"programId": programID, "status": status})
}

// Live lists every product that is not archived, for building the read model.
func (s *ProductStore) Live(ctx context.Context) ([]Product, error) {
	cur, err := s.db.Read(productsColl).Find(ctx, bson.M{"status": bson.M{"$ne": StatusArchived}})
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	out := []Product{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	return out, nil
}

// ChangedSince lists products (archived too) changed at or after t.
func (s *ProductStore) ChangedSince(ctx context.Context, t time.Time) ([]Product, error) {
	cur, err := s.db.Read(productsColl).Find(ctx, bson.M{"updatedAt": bson.M{"$gte": t}})
	if err != nil {
		return nil, fmt.Errorf("load changed products: %w", err)
	}
	out := []Product{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("load changed products: %w", err)
	}
	return out, nil
}

// ChangeCount returns the counter every product write increments; a poller that sees the same
// number as last time knows nothing changed without touching the products.
func (s *ProductStore) ChangeCount(ctx context.Context) (int64, error) {
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	err := s.db.Read(metaColl).FindOne(ctx, bson.M{"_id": changesDoc}).Decode(&doc)
	if store.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load catalog change counter: %w", err)
	}
	return doc.Seq, nil
}

// bump increments the change counter after a write and remembers the value as this process's.
func (s *ProductStore) bump(ctx context.Context) error {
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	err := s.db.Write(metaColl).FindOneAndUpdate(ctx, bson.M{"_id": changesDoc}, bson.M{"$inc": bson.M{"seq": 1}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return fmt.Errorf("bump catalog change counter: %w", err)
	}
	s.mu.Lock()
	s.mine[doc.Seq] = true
	s.mu.Unlock()
	return nil
}

// OnlyMine reports whether every change counted in (from, to] was made by this process (whose
// writes are in its read model already), and forgets the values up to to.
func (s *ProductStore) OnlyMine(from, to int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	only := to >= from
	for v := from + 1; v <= to && only; v++ {
		only = s.mine[v]
	}
	for v := range s.mine {
		if v <= to {
			delete(s.mine, v)
		}
	}
	return only
}
