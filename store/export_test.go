package store

import (
	"context"
	"fmt"
)

// DropIDIndexes removes the _id expression indexes again, so a benchmark can compare.
func DropIDIndexes(ctx context.Context, db *DB) error {
	db.ids.mu.Lock()
	defer db.ids.mu.Unlock()
	rows, err := db.ids.db.QueryContext(ctx, `SELECT table_name FROM `+quoteIdent(ferretMetadata))
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		if _, err := db.ids.db.ExecContext(ctx, fmt.Sprintf("DROP INDEX IF EXISTS %s", quoteIdent(t+idIndexSuffix))); err != nil {
			return err
		}
		delete(db.ids.done, t)
	}
	return nil
}
