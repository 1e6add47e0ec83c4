// Command marketplace runs the fair-wage marketplace and training platform.
//
//	marketplace [serve] [--demo]     run the server (the default)
//	marketplace seed [--products N]  fill an empty store with demo data, or add N products
//	marketplace export [--file F]    write the whole database as JSON lines (backup, move to MongoDB)
//	marketplace import [--file F]    load such a dump into an empty database
//
// Configuration comes from environment variables (see README.md).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "marketplace:", err)
		os.Exit(1)
	}
}

// run is the whole program, callable from tests: it starts the server on ADDR (port 0 works and
// the chosen address is logged) and returns when ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "seed":
		return seed(ctx, args, getenv, stdout, stderr)
	case "export", "import":
		return dump(ctx, cmd, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: marketplace [serve [--demo]] | seed [--products N] | export [--file F] | import [--file F]")
		return nil
	}
	return fmt.Errorf("unknown command %q: use serve, seed, export or import", cmd)
}
