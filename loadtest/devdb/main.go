// Command devdb runs FerretDB on SQLite as a stand-alone MongoDB-compatible server on TCP, in a
// process of its own, so tests can point MONGODB_URI at a database they can stop and restart
// (cmd/marketplace/faults_test.go) and several app processes can share one database.
//
//	go run ./loadtest/devdb -addr 127.0.0.1:27018 -dir /tmp/devdb
//
// It prints "devdb listening on <uri>" once it accepts connections and runs until killed. It is
// a development tool: FerretDB on SQLite is not atomic across connections the way MongoDB is.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:27018", "TCP address to listen on")
	dir := flag.String("dir", "./devdb-data", "directory for the SQLite files (kept across restarts)")
	flag.Parse()
	abs, err := filepath.Abs(*dir)
	if err == nil {
		err = os.MkdirAll(abs, 0o700)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devdb:", err)
		os.Exit(1)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "devdb: start FerretDB:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	// Run opens the listener asynchronously: say so once it accepts connections.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", *addr, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "devdb: FerretDB did not listen within 20 s")
			os.Exit(1)
		}
	}
	fmt.Println("devdb listening on", f.MongoDBURI())
	<-done
}
