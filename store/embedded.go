package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/periodic"
)

// ferretNewMu serialises ferretdb.New, which writes a package-level variable of FerretDB's
// (version.Get().Package) every time it is called: two stores opened at once in one process
// (parallel tests) are a data race that -race reports. Production opens one store.
var ferretNewMu sync.Mutex

// openEmbedded locks cfg.DataDir, starts FerretDB on SQLite listening on a private Unix socket,
// and connects a pooled read client and a single-connection write client to it.
func openEmbedded(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedded store: DATA_DIR is empty")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: create data directory: %w", err)
	}
	unlock, err := lockDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sqliteDir, err := filepath.Abs(filepath.Join(cfg.DataDir, "db"))
	if err != nil {
		unlock()
		return nil, err
	}
	if err := os.MkdirAll(sqliteDir, 0o700); err != nil {
		unlock()
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	// Unix socket paths are limited to ~100 bytes, so the socket lives in a short private temp dir.
	sockDir, err := os.MkdirTemp("", "fh-db-")
	if err != nil {
		unlock()
		return nil, fmt.Errorf("embedded store: socket directory: %w", err)
	}
	sock := filepath.Join(sockDir, "db.sock")

	ferretNewMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Handler:   "sqlite",
		SQLiteURL: "file:" + sqliteDir + "/",
		// At Info FerretDB logs every connection, and at Warn the driver's endSessions on disconnect.
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: ferretLevel()})),
	})
	ferretNewMu.Unlock()
	if err != nil {
		_ = os.RemoveAll(sockDir)
		unlock()
		return nil, fmt.Errorf("embedded store: start FerretDB: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()
	stop := func() {
		cancel()
		<-done
		_ = os.RemoveAll(sockDir)
		unlock()
	}

	// Wait for the socket: Run creates the listener asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("embedded store: FerretDB did not start within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	uri := f.MongoDBURI()

	readClient, err := mongo.Connect(ctx, options.Client().ApplyURI(uri).SetMaxPoolSize(8).SetTimeout(30*time.Second))
	if err != nil {
		stop()
		return nil, fmt.Errorf("embedded store: connect: %w", err)
	}
	writeClient, err := mongo.Connect(ctx, options.Client().ApplyURI(uri).SetMaxPoolSize(1).SetTimeout(30*time.Second))
	if err != nil {
		_ = readClient.Disconnect(context.Background())
		stop()
		return nil, fmt.Errorf("embedded store: connect writer: %w", err)
	}
	db := &DB{
		Embedded:    true,
		Name:        cfg.Database,
		readClient:  readClient,
		writeClient: writeClient,
		read:        readClient.Database(cfg.Database),
		write:       writeClient.Database(cfg.Database),
		log:         cfg.Logger,
		stop:        stop,
	}
	if err := db.Ping(ctx); err != nil {
		_ = db.Close(context.Background())
		return nil, fmt.Errorf("embedded store: ping: %w", err)
	}
	// Every collection table gets the index its reads, updates and deletes by _id need
	// (idindex.go): now, when a store creates its indexes, and with the size check.
	if db.ids, err = newIDIndexer(filepath.Join(sqliteDir, cfg.Database+".sqlite")); err != nil {
		_ = db.Close(context.Background())
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	if err := db.ensureIDIndexes(ctx); err != nil {
		_ = db.Close(context.Background())
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	cfg.Logger.Info("using the embedded store (FerretDB on SQLite); set MONGODB_URI to use MongoDB",
		"dataDir", cfg.DataDir, "database", cfg.Database,
		"comfortDocsPerCollection", EmbeddedComfortDocs,
		"advice", fmt.Sprintf("the embedded store serves one process and a pilot-sized shop; when a collection passes %d documents, move to MongoDB", EmbeddedComfortDocs))
	return db, nil
}

// WatchSize warns, at start and then every interval, about collections that have outgrown the
// embedded store. It does nothing on MongoDB. It returns when ctx ends.
func (db *DB) WatchSize(ctx context.Context, interval time.Duration) {
	if !db.Embedded {
		return
	}
	periodic.Run(ctx, interval, nil, db.log, "watch the embedded store's size", func(ctx context.Context) error {
		if err := db.ensureIDIndexes(ctx); err != nil {
			db.log.Warn("index _id of new collections", "err", err.Error())
		}
		names, err := db.read.ListCollectionNames(ctx, map[string]any{})
		if err != nil {
			return err
		}
		for _, name := range names {
			n, err := db.read.Collection(name).EstimatedDocumentCount(ctx)
			if err != nil {
				continue
			}
			if n > EmbeddedComfortDocs {
				db.log.Warn("a collection has outgrown the embedded store; move to MongoDB (set MONGODB_URI)",
					"collection", name, "documents", n, "comfortDocs", EmbeddedComfortDocs)
			}
		}
		return nil
	})
}

// ferretLevel is Error unless FERRETDB_LOG_LEVEL asks for more (debugging the embedded server).
func ferretLevel() slog.Level {
	var l slog.Level = slog.LevelError
	if v := os.Getenv("FERRETDB_LOG_LEVEL"); v != "" {
		_ = l.UnmarshalText([]byte(v))
	}
	return l
}
