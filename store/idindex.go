package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // FerretDB's own SQLite driver, registered as "sqlite"
)

// The embedded FerretDB v1.24 pushes a filter that is exactly {_id: v} down to SQLite as
// `WHERE _ferretdb_sjson->'$._id' = ?` (and its updates and deletes by _id use the same
// expression), but the unique index it creates for _id is on `_ferretdb_sjson->"_id"`. SQLite
// matches index expressions by their text, so every read, update and delete by _id scanned the
// whole table. An index on exactly the expression the queries use turns the scan into a search
// (EXPLAIN QUERY PLAN: "SEARCH ... USING INDEX"). FerretDB keeps its own list of indexes in its
// metadata table, so it neither sees nor drops this one; dropping a collection drops its table
// and the index with it.
const (
	idExpr         = "_ferretdb_sjson->'$._id'"
	idIndexSuffix  = "_fh_id_expr"
	ferretMetadata = "_ferretdb_collections"
)

// idIndexer keeps the _id expression index on every collection table of one SQLite file.
type idIndexer struct {
	mu   sync.Mutex
	db   *sql.DB
	done map[string]bool // tables that have the index
}

func newIDIndexer(path string) (*idIndexer, error) {
	// A busy timeout, because FerretDB writes to the same file through its own connections.
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(1)
	return &idIndexer{db: sdb, done: map[string]bool{}}, nil
}

// ensure creates the index on every collection table that lacks it; it is idempotent and cheap
// when nothing is new (one read of FerretDB's metadata table).
func (x *idIndexer) ensure(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	var exists int
	if err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, ferretMetadata).Scan(&exists); err != nil {
		return fmt.Errorf("read the embedded store's tables: %w", err)
	}
	if exists == 0 {
		return nil // no collection yet
	}
	rows, err := x.db.QueryContext(ctx, `SELECT table_name FROM `+quoteIdent(ferretMetadata))
	if err != nil {
		return fmt.Errorf("list the embedded store's collections: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		if !x.done[t] {
			tables = append(tables, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", quoteIdent(t+idIndexSuffix), quoteIdent(t), idExpr)
		if _, err := x.db.ExecContext(ctx, q); err != nil {
			if strings.Contains(err.Error(), "no such table") {
				continue // dropped meanwhile
			}
			return fmt.Errorf("index _id of %s: %w", t, err)
		}
		x.done[t] = true
	}
	return nil
}

// plan returns SQLite's query plan for a read by _id of collection's table, for tests.
func (x *idIndexer) plan(ctx context.Context, collection string) (string, error) {
	var table string
	if err := x.db.QueryRowContext(ctx, `SELECT table_name FROM `+quoteIdent(ferretMetadata)+` WHERE name = ?`, collection).Scan(&table); err != nil {
		return "", fmt.Errorf("find the table of %s: %w", collection, err)
	}
	rows, err := x.db.QueryContext(ctx, fmt.Sprintf("EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %s WHERE %s = ?", quoteIdent(table), idExpr), "x")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		out = append(out, detail)
	}
	return strings.Join(out, "; "), rows.Err()
}

func (x *idIndexer) close() error { return x.db.Close() }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// IDQueryPlan reports how the embedded store's SQLite answers a read by _id of collection
// ("SEARCH ... USING INDEX ..." once the _id expression index is in place). It is for tests and
// diagnosis; on MongoDB it returns "".
func (db *DB) IDQueryPlan(ctx context.Context, collection string) (string, error) {
	if db.ids == nil {
		return "", nil
	}
	return db.ids.plan(ctx, collection)
}

// ensureIDIndexes adds the _id expression index to collection tables that lack it (embedded only).
func (db *DB) ensureIDIndexes(ctx context.Context) error {
	if db.ids == nil {
		return nil
	}
	return db.ids.ensure(ctx)
}
