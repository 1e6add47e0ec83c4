package periodic_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fairhands/marketplace/periodic"
)

func TestRunAtOnceOnTicksAndOnWake(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var runs atomic.Int32
	wake := make(chan struct{}, 1)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	done := make(chan struct{})
	go func() {
		defer close(done)
		periodic.Run(ctx, time.Hour, wake, log, "test job", func(context.Context) error {
			if runs.Add(1) == 2 {
				return errors.New("disk full")
			}
			return nil
		})
	}()
	waitFor := func(n int32) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); runs.Load() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%d runs, want %d", runs.Load(), n)
			}
		}
	}
	waitFor(1) // at once, without waiting an hour
	wake <- struct{}{}
	waitFor(2)
	wake <- struct{}{}
	waitFor(3)
	cancel()
	<-done
	if !strings.Contains(logs.String(), "test job") || !strings.Contains(logs.String(), "disk full") {
		t.Fatalf("the failed run was not logged: %s", logs.String())
	}
	if got := runs.Load(); got != 3 {
		t.Fatalf("%d runs after the context ended, want 3", got)
	}
}

func TestRunTicks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var runs atomic.Int32
	periodic.Run(ctx, 5*time.Millisecond, nil, nil, "tick", func(context.Context) error {
		if runs.Add(1) == 4 {
			cancel()
		}
		return nil
	})
	if runs.Load() != 4 {
		t.Fatalf("%d runs", runs.Load())
	}
}
