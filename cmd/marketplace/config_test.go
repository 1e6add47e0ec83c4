package main

import (
	"testing"
	"time"

	"github.com/fairhands/marketplace/accounts"
)

// TestSessionConfig: SESSION_* set how long sessions last; the defaults are the session policy's.
func TestSessionConfig(t *testing.T) {
	dir := t.TempDir()
	env := func(kv map[string]string) func(string) string {
		return func(k string) string {
			if k == "DATA_DIR" {
				return dir
			}
			return kv[k]
		}
	}
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.App.Sessions != accounts.DefaultSessionPolicy() {
		t.Fatalf("default sessions %+v", c.App.Sessions)
	}
	c, err = loadConfig(env(map[string]string{"SESSION_STAFF_IDLE": "10m", "SESSION_STAFF_MAX": "8h", "SESSION_IDLE": "72h", "SESSION_MAX": "240h"}))
	if err != nil {
		t.Fatal(err)
	}
	want := accounts.SessionPolicy{StaffIdle: 10 * time.Minute, StaffMax: 8 * time.Hour, MemberIdle: 72 * time.Hour, MemberMax: 240 * time.Hour}
	if c.App.Sessions != want {
		t.Fatalf("sessions %+v, want %+v", c.App.Sessions, want)
	}
	for _, bad := range []map[string]string{{"SESSION_IDLE": "soon"}, {"SESSION_STAFF_IDLE": "-5m"}, {"SESSION_STAFF_IDLE": "13h"}} {
		if _, err := loadConfig(env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
