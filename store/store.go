// Package store opens the database the marketplace runs on: a MongoDB named by MONGODB_URI in
// production, or an embedded FerretDB on SQLite for a one-command pilot and for tests.
//
// The embedded server loses concurrent updates made through different connections (it applies
// update operators in Go without a lock), so in embedded mode every write goes through one
// client holding a single connection, and the data directory is locked to one process. Stores
// therefore take collections from Write for anything that changes data and from Read otherwise.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/x/mongo/driver/topology"
)

// EmbeddedComfortDocs is how many documents a collection may hold before the embedded store gets
// slow: it scans the whole collection for every query (measured: ~14 ms per findOne at 5,000).
const EmbeddedComfortDocs = 5000

// Config says which database to open.
type Config struct {
	URI      string // MongoDB URI; empty starts the embedded server
	Database string // database name
	DataDir  string // where the embedded server keeps its files
	Logger   *slog.Logger
}

// DB is an open database with separate read and write paths.
type DB struct {
	Embedded bool
	Name     string

	readClient  *mongo.Client
	writeClient *mongo.Client
	read        *mongo.Database
	write       *mongo.Database
	log         *slog.Logger
	stop        func()

	// ids keeps the embedded SQLite's _id expression index on every collection (idindex.go).
	ids *idIndexer

	// casLocks serialise the conditional writes of each collection in embedded mode (cas.go).
	casMu    sync.Mutex
	casLocks map[string]*sync.Mutex
}

// Open connects to MongoDB, or starts the embedded server when cfg.URI is empty.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Database == "" {
		cfg.Database = "marketplace"
	}
	if cfg.URI != "" {
		return openMongo(ctx, cfg)
	}
	return openEmbedded(ctx, cfg)
}

func openMongo(ctx context.Context, cfg Config) (*DB, error) {
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(cfg.URI).SetTimeout(10*time.Second).
		SetServerSelectionTimeout(2*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to MongoDB: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := client.Ping(pctx, nil); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("reach MongoDB: %w", err)
	}
	cfg.Logger.Info("using MongoDB", "database", cfg.Database)
	db := &DB{Name: cfg.Database, readClient: client, writeClient: client, log: cfg.Logger}
	db.read = client.Database(cfg.Database)
	db.write = db.read
	return db, nil
}

// Read returns a collection for queries.
func (db *DB) Read(name string) *mongo.Collection { return db.read.Collection(name) }

// Write returns a collection for anything that changes data. On the embedded server all writes
// share one connection, which is what makes compare-and-set updates atomic there.
func (db *DB) Write(name string) *mongo.Collection { return db.write.Collection(name) }

// Bucket returns a GridFS bucket for writing (upload, delete) files.
func (db *DB) Bucket(name string) (*gridfs.Bucket, error) {
	return gridfs.NewBucket(db.write, options.GridFSBucket().SetName(name))
}

// ReadBucket returns a GridFS bucket for reading files.
func (db *DB) ReadBucket(name string) (*gridfs.Bucket, error) {
	return gridfs.NewBucket(db.read, options.GridFSBucket().SetName(name))
}

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.read.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

// Close disconnects and, in embedded mode, stops the server and releases the directory lock.
func (db *DB) Close(ctx context.Context) error {
	var errs []error
	if db.writeClient != db.readClient {
		errs = append(errs, db.writeClient.Disconnect(ctx))
	}
	errs = append(errs, db.readClient.Disconnect(ctx))
	if db.ids != nil {
		errs = append(errs, db.ids.close())
	}
	if db.stop != nil {
		db.stop()
	}
	return errors.Join(errs...)
}

// EnsureIndexes creates the indexes that do not exist yet, one at a time; start-up fails if they
// cannot be made. Existing ones are skipped by name because FerretDB v1.24 panics when
// createIndexes repeats several existing indexes after a restart (found in our tests).
func (db *DB) EnsureIndexes(ctx context.Context, collection string, models ...mongo.IndexModel) error {
	if len(models) == 0 {
		return nil
	}
	have := map[string]bool{}
	specs, err := db.Write(collection).Indexes().ListSpecifications(ctx)
	if err != nil {
		return fmt.Errorf("list indexes on %s: %w", collection, err)
	}
	for _, s := range specs {
		have[s.Name] = true
	}
	for _, m := range models {
		name := indexName(m)
		if have[name] {
			continue
		}
		if m.Options == nil {
			m.Options = options.Index()
		}
		m.Options.SetName(name)
		if _, err := db.Write(collection).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create index %s on %s: %w", name, collection, err)
		}
	}
	if err := db.ensureIDIndexes(ctx); err != nil {
		return fmt.Errorf("index _id on %s: %w", collection, err)
	}
	return nil
}

// indexName is the explicit name, or MongoDB's default ("field_1_other_-1").
func indexName(m mongo.IndexModel) string {
	if m.Options != nil && m.Options.Name != nil {
		return *m.Options.Name
	}
	var parts []string
	if keys, ok := m.Keys.(bson.D); ok {
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s_%v", k.Key, k.Value))
		}
	}
	return strings.Join(parts, "_")
}

// Migrate runs a named data migration once, recording it in the migrations collection.
func (db *DB) Migrate(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	n, err := db.Read("migrations").CountDocuments(ctx, bson.M{"_id": name})
	if err != nil {
		return fmt.Errorf("check migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if err := fn(ctx); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	_, err = db.Write("migrations").InsertOne(ctx, bson.M{"_id": name, "appliedAt": time.Now().UTC()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("record migration %s: %w", name, err)
	}
	return nil
}

// IsDuplicate reports whether err is a unique-index violation. FerretDB reports an update that
// breaks a unique index as an InternalError carrying SQLite's message, so that is matched too.
func IsDuplicate(err error) bool {
	if err == nil {
		return false
	}
	return mongo.IsDuplicateKeyError(err) || strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// IsNotFound reports whether err means no document matched.
func IsNotFound(err error) bool { return errors.Is(err, mongo.ErrNoDocuments) }

// IsUnreachable reports whether err means the database could not be reached (a network error, a
// timeout, no server to select): the request may succeed later, so the HTTP shell answers 503,
// not 500. It is here so that no HTTP code needs to know the driver's error types.
func IsUnreachable(err error) bool {
	var sse topology.ServerSelectionError
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.As(err, &sse) ||
		errors.Is(err, context.DeadlineExceeded)
}
