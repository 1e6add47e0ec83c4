package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"go.mongodb.org/mongo-driver/bson"
)

// dumpLine is one document of a dump: JSON lines of MongoDB canonical Extended JSON, so types
// (dates, binary image chunks, int64 money) survive the trip between FerretDB and MongoDB.
type dumpLine struct {
	Collection string          `json:"c"`
	Doc        json.RawMessage `json:"d"`
}

// Export writes every collection (GridFS files included) to w. It is how a pilot's embedded
// store moves to MongoDB: `marketplace export` here, `marketplace import` there.
func (db *DB) Export(ctx context.Context, w io.Writer) (int, error) {
	names, err := db.read.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("list collections: %w", err)
	}
	sort.Strings(names)
	bw := bufio.NewWriter(w)
	n := 0
	for _, name := range names {
		cur, err := db.read.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			return n, fmt.Errorf("read %s: %w", name, err)
		}
		for cur.Next(ctx) {
			doc, err := bson.MarshalExtJSON(cur.Current, true, false)
			if err != nil {
				cur.Close(ctx)
				return n, fmt.Errorf("encode %s: %w", name, err)
			}
			line, _ := json.Marshal(dumpLine{Collection: name, Doc: doc})
			bw.Write(line)
			bw.WriteByte('\n')
			n++
		}
		if err := cur.Err(); err != nil {
			cur.Close(ctx)
			return n, fmt.Errorf("read %s: %w", name, err)
		}
		cur.Close(ctx)
	}
	return n, bw.Flush()
}

// ErrNotEmpty means an import target already holds data.
var ErrNotEmpty = errors.New("the target database already has data: import only into an empty database")

// Import loads a dump made by Export into an empty database.
func (db *DB) Import(ctx context.Context, r io.Reader) (int, error) {
	names, err := db.read.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("list collections: %w", err)
	}
	for _, name := range names {
		if n, _ := db.read.Collection(name).EstimatedDocumentCount(ctx); n > 0 && name != "migrations" {
			return 0, fmt.Errorf("%w (%s has documents)", ErrNotEmpty, name)
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	batch := map[string][]any{}
	n := 0
	flush := func() error {
		for name, docs := range batch {
			if len(docs) == 0 {
				continue
			}
			if _, err := db.Write(name).InsertMany(ctx, docs); err != nil && !IsDuplicate(err) {
				return fmt.Errorf("insert into %s: %w", name, err)
			}
			batch[name] = docs[:0]
		}
		return nil
	}
	for sc.Scan() {
		var line dumpLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return n, fmt.Errorf("line %d: %w", n+1, err)
		}
		var doc bson.D
		if err := bson.UnmarshalExtJSON(line.Doc, true, &doc); err != nil {
			return n, fmt.Errorf("line %d: %w", n+1, err)
		}
		batch[line.Collection] = append(batch[line.Collection], doc)
		n++
		if len(batch[line.Collection]) >= 500 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("read dump: %w", err)
	}
	return n, flush()
}
