package audit_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/store/storetest"
)

func mustLog(tb testing.TB) *audit.Log {
	tb.Helper()
	l, err := audit.NewLog(context.Background(), storetest.New(tb))
	if err != nil {
		tb.Fatalf("audit.NewLog: %v", err)
	}
	return l
}

func mustRecord(tb testing.TB, l *audit.Log, actor accounts.Actor, action, recordType, recordID, programID string) {
	tb.Helper()
	if err := l.Record(context.Background(), actor, action, recordType, recordID, programID, "detail of "+action); err != nil {
		tb.Fatalf("record %s: %v", action, err)
	}
}

func mustList(tb testing.TB, l *audit.Log, q audit.Query) []audit.Entry {
	tb.Helper()
	es, err := l.List(context.Background(), q)
	if err != nil {
		tb.Fatalf("list %+v: %v", q, err)
	}
	return es
}

func actions(es []audit.Entry) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestRecordAndListByScope(t *testing.T) {
	t.Parallel()
	l := mustLog(t)
	c1 := accounts.Actor{UserID: "c1", Role: accounts.RoleCoordinator, ProgramIDs: []string{"p1"}, IP: "10.0.0.1"}
	c2 := accounts.Actor{UserID: "c2", Role: accounts.RoleCoordinator, ProgramIDs: []string{"p2"}, IP: "10.0.0.2"}
	admin := accounts.Actor{UserID: "a1", Role: accounts.RoleAdmin, IP: "10.0.0.3"}
	maker := accounts.Actor{UserID: "m1", Role: accounts.RoleMaker, MakerID: "m1", IP: "10.0.0.4"}
	mustRecord(t, l, c1, "p1.read", "maker", "m1", "p1")
	mustRecord(t, l, maker, "p1.consent", "maker", "m1", "p1")
	mustRecord(t, l, c1, "p1.product", "product", "prod1", "p1")
	mustRecord(t, l, c2, "p2.read", "maker", "m2", "p2")
	mustRecord(t, l, admin, "global.admin", "user", "u9", "")
	mustRecord(t, l, accounts.Actor{}, "anon.login_failed", "user", "u9", "")

	tests := []struct {
		name string
		q    audit.Query
		want string
	}{
		{"admin: every program (nil scope)", audit.Query{}, "anon.login_failed,global.admin,p1.consent,p1.product,p1.read,p2.read"},
		{"one program", audit.Query{ProgramIDs: []string{"p1"}}, "p1.consent,p1.product,p1.read"},
		{"the other program", audit.Query{ProgramIDs: []string{"p2"}}, "p2.read"},
		{"both programs", audit.Query{ProgramIDs: []string{"p1", "p2"}}, "p1.consent,p1.product,p1.read,p2.read"},
		{"a coordinator of no program sees nothing", audit.Query{ProgramIDs: []string{}}, ""},
		{"an unknown program", audit.Query{ProgramIDs: []string{"p3"}}, ""},
		{"one record in scope", audit.Query{ProgramIDs: []string{"p1"}, RecordID: "m1"}, "p1.consent,p1.read"},
		{"a record outside the scope", audit.Query{ProgramIDs: []string{"p1"}, RecordID: "m2"}, ""},
		{"one record, any program", audit.Query{RecordID: "u9"}, "anon.login_failed,global.admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := actions(mustList(t, l, tc.q)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("who, role, what, which record, when, from where", func(t *testing.T) {
		byAction := map[string]audit.Entry{}
		for _, e := range mustList(t, l, audit.Query{}) {
			byAction[e.Action] = e
		}
		e := byAction["p1.read"]
		if e.ID == "" || e.ActorID != "c1" || e.ActorRole != "coordinator" || e.RecordType != "maker" || e.RecordID != "m1" ||
			e.ProgramID != "p1" || e.IP != "10.0.0.1" || e.Detail != "detail of p1.read" || time.Since(e.At) > time.Minute {
			t.Fatalf("coordinator's entry: %+v", e)
		}
		if e.ForMakerID != "m1" {
			t.Fatalf("a coordinator acting on a maker's record is not recorded as for the maker: %+v", e)
		}
		if e := byAction["p1.product"]; e.ForMakerID != "" {
			t.Fatalf("a product record marked as for a maker: %+v", e)
		}
		if e := byAction["p1.consent"]; e.ActorRole != "maker" || e.ForMakerID != "" {
			t.Fatalf("the maker's own action: %+v", e)
		}
		if e := byAction["anon.login_failed"]; e.ActorID != "anonymous" || e.ActorRole != "anonymous" {
			t.Fatalf("anonymous entry: %+v", e)
		}
	})
}

func TestListNewestFirstWithLimit(t *testing.T) {
	t.Parallel()
	l := mustLog(t)
	actor := accounts.Actor{UserID: "c1", Role: accounts.RoleCoordinator}
	for _, a := range []string{"first", "second", "third", "fourth"} {
		mustRecord(t, l, actor, a, "maker", "m1", "p1")
		time.Sleep(3 * time.Millisecond) // BSON dates have millisecond precision
	}
	es := mustList(t, l, audit.Query{ProgramIDs: []string{"p1"}})
	got := make([]string, len(es))
	for i, e := range es {
		got[i] = e.Action
	}
	if !slices.Equal(got, []string{"fourth", "third", "second", "first"}) {
		t.Fatalf("order %v, want newest first", got)
	}
	if es := mustList(t, l, audit.Query{ProgramIDs: []string{"p1"}, Limit: 2}); len(es) != 2 || es[0].Action != "fourth" {
		t.Fatalf("limit 2: %+v", es)
	}
	for _, limit := range []int64{0, -1, 5000} {
		if es := mustList(t, l, audit.Query{Limit: limit}); len(es) != 4 {
			t.Fatalf("limit %d: %d entries, want all 4 (default cap)", limit, len(es))
		}
	}
}

func TestAsSeenByMakerHidesStaffAddresses(t *testing.T) {
	t.Parallel()
	in := []audit.Entry{
		{Action: "maker.read_private", ActorRole: "coordinator", IP: "10.0.0.1"},
		{Action: "maker.read_private", ActorRole: "admin", IP: "10.0.0.2"},
		{Action: "consent.change", ActorRole: "maker", IP: "10.0.0.3"},
	}
	out := audit.AsSeenByMaker(in)
	if out[0].IP != "" || out[1].IP != "" || out[2].IP != "10.0.0.3" {
		t.Fatalf("as seen by the maker: %+v", out)
	}
	if in[0].IP != "10.0.0.1" {
		t.Fatal("AsSeenByMaker changed the entries it was given")
	}
}
