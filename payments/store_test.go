package payments

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fairhands/marketplace/store/storetest"
)

func TestLedgerStoreKeysAndSums(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	l, err := newLedgerStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	add := func(order string, item int, maker, program string, amount int64, status string) {
		t.Helper()
		ok, err := l.insert(ctx, Entry{ID: entryID(order, item, KindEarning), Kind: KindEarning, OrderID: order, ItemIndex: item,
			MakerID: maker, ProgramID: program, Amount: amount, Currency: "INR", Status: status, Settlement: SettleStripe,
			AvailableAt: now, NextAttemptAt: now, CreatedAt: now})
		if err != nil || !ok {
			t.Fatalf("insert: %v %v", ok, err)
		}
	}
	add("o1", 0, "m1", "p1", 100, EntryPending)
	add("o1", 1, "m2", "p1", 200, EntryTransferred)
	add("o2", 0, "m1", "p1", 400, EntryReversed)
	add("o3", 0, "m3", "p2", 800, EntryCollected)

	// The natural key makes a second credit of the same item impossible.
	ok, err := l.insert(ctx, Entry{ID: entryID("o1", 0, KindEarning), Kind: KindEarning, Amount: 999})
	if err != nil || ok {
		t.Fatalf("second credit: inserted %v, err %v", ok, err)
	}

	// One accumulator per $group: FerretDB v1.24 answers 0 for any after the first.
	rows, err := l.sums(ctx, credited, "programId", "makerId")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Key["programId"]+"/"+r.Key["makerId"]] = r.Total
	}
	want := map[string]int64{"p1/m1": 100, "p1/m2": 200, "p2/m3": 800}
	if len(got) != len(want) {
		t.Fatalf("sums %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("sums %v, want %v", got, want)
		}
	}

	// Only due, pending Stripe earnings (and expired claims) are offered to workers.
	due, err := l.due(ctx, KindEarning, now.Add(time.Second), 10)
	if err != nil || len(due) != 1 || due[0].ID != "o1:0:earning" {
		t.Fatalf("due: %+v %v", due, err)
	}
}

func TestEventStoreClaimsOnce(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	ev, err := newEventStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	steps := []struct {
		name string
		do   func() (bool, error)
		want bool
	}{
		{"first delivery claims", func() (bool, error) { return ev.claim(ctx, "evt_1", "t", now) }, true},
		{"a concurrent delivery does not", func() (bool, error) { return ev.claim(ctx, "evt_1", "t", now) }, false},
		{"after the lease a crashed claim is taken over", func() (bool, error) { return ev.claim(ctx, "evt_1", "t", now.Add(eventLease+time.Second)) }, true},
		{"once done, never again", func() (bool, error) {
			if err := ev.done(ctx, "evt_1", now); err != nil {
				return false, err
			}
			return ev.claim(ctx, "evt_1", "t", now.Add(time.Hour))
		}, false},
		{"a failed event is released for Stripe's retry", func() (bool, error) {
			if _, err := ev.claim(ctx, "evt_2", "t", now); err != nil {
				return false, err
			}
			if err := ev.release(ctx, "evt_2"); err != nil {
				return false, err
			}
			return ev.claim(ctx, "evt_2", "t", now)
		}, true},
	}
	for _, s := range steps {
		got, err := s.do()
		if err != nil || got != s.want {
			t.Fatalf("%s: got %v (%v), want %v", s.name, got, err, s.want)
		}
	}
	if n, err := ev.prune(ctx, now.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
}

func TestPayeeStoreNewestEventWins(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	ps, err := newPayeeStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := ps.ensure(ctx, payee{AccountID: "acct_1", OwnerType: PayeeMaker, OwnerID: "m1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := ps.ensure(ctx, payee{AccountID: "acct_1", OwnerType: PayeeMaker, OwnerID: "m1", CreatedAt: now}); err != nil {
		t.Fatalf("ensuring twice: %v", err)
	}
	for _, ev := range []struct {
		enabled bool
		at      int64
		applied bool
	}{{true, 100, true}, {false, 50, false}, {false, 200, true}, {true, 150, false}} {
		applied, err := ps.applyEvent(ctx, "acct_1", ev.enabled, ev.at, now)
		if err != nil || applied != ev.applied {
			t.Fatalf("event at %d: applied %v (%v), want %v", ev.at, applied, err, ev.applied)
		}
	}
	p, err := ps.byAccount(ctx, "acct_1")
	if err != nil || p.PayoutsEnabled || p.EventAt != 200 {
		t.Fatalf("payee %+v %v", p, err)
	}
}

func TestBackoffGrowsToAnHour(t *testing.T) {
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{0, 10 * time.Second}, {1, 10 * time.Second}, {2, 20 * time.Second}, {4, 80 * time.Second}, {10, time.Hour}, {50, time.Hour}} {
		if got := backoff(c.n); got != c.want {
			t.Errorf("backoff(%d) = %s, want %s", c.n, got, c.want)
		}
	}
}

func TestReadingStripeObjects(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{`"pi_1"`, "pi_1"}, {`{"id":"pi_2","object":"payment_intent"}`, "pi_2"}, {`null`, ""},
	} {
		if got := idOf(json.RawMessage(c.raw)); got != c.want {
			t.Errorf("idOf(%s) = %q, want %q", c.raw, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		n    int
		want []int
		ok   bool
	}{{"all", 3, []int{0, 1, 2}, true}, {"0,2", 3, []int{0, 2}, true}, {"3", 3, nil, false}, {"x", 3, nil, false}, {"", 3, nil, false}} {
		got, ok := parseItems(c.in, c.n)
		if ok != c.ok || len(got) != len(c.want) {
			t.Errorf("parseItems(%q) = %v %v", c.in, got, ok)
		}
	}
}

func TestBuyerViewHidesPayeesAndTokens(t *testing.T) {
	o := Order{ID: "o1", TokenHash: "secret-hash", Status: StatusPaid, Currency: "INR", Total: 100,
		Items: []Item{{ProductID: "p1", Title: "Scarf", MakerID: "maker-1", ProgramID: "prog-1", Quantity: 1, UnitPrice: 100,
			Total: 100, Shares: Shares{Maker: 60, Materials: 20, Program: 10, Fees: 10}, PayeeType: PayeeProgram, PayeeID: "prog-1"}},
		StripeSessionID: "cs_1", PaymentIntentID: "pi_1"}
	b, _ := json.Marshal(o.BuyerView())
	for _, hidden := range []string{"secret-hash", "maker-1", "prog-1", "cs_1", "pi_1", "payee"} {
		if strings.Contains(string(b), hidden) {
			t.Errorf("buyer view shows %q: %s", hidden, b)
		}
	}
	if !strings.Contains(string(b), `"makerWage":60`) {
		t.Errorf("buyer view hides the maker's wage: %s", b)
	}
	full, _ := json.Marshal(o)
	if strings.Contains(string(full), "secret-hash") {
		t.Errorf("an order's JSON shows the token hash: %s", full)
	}
}
