package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fairhands/marketplace/store"
)

// dump runs `export` (database → JSON lines) or `import` (JSON lines → empty database): the
// documented way to move a pilot's embedded store into MongoDB, and a logical backup.
func dump(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "-", "dump file (- for standard output/input)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, "warn")
	db, err := store.Open(ctx, store.Config{URI: cfg.MongoURI, Database: cfg.Database, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = db.Close(cctx)
	}()
	switch cmd {
	case "export":
		w := stdout
		if *file != "-" {
			f, err := os.OpenFile(*file, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		n, err := db.Export(ctx, w)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "exported %d documents\n", n)
	case "import":
		var r io.Reader = os.Stdin
		if *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		n, err := db.Import(ctx, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "imported %d documents\n", n)
	}
	return nil
}
