package notices_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/notices"
	"github.com/fairhands/marketplace/notify"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store/storetest"
	"github.com/fairhands/marketplace/training"
)

// world is two programs with a coordinator each, a maker in each, and the notices service on a
// real outbox, accounts and training, all on one embedded store.
type world struct {
	n      *notices.Service
	outbox *notify.Outbox
}

func mustWorld(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	log, err := audit.NewLog(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := fieldcrypt.ParseKey(fieldcrypt.NewKey())
	box, _ := fieldcrypt.New(key)
	acc, err := accounts.NewService(ctx, db, accounts.Deps{Box: box, Audit: log})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := programs.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := programs.NewRegistry(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	consent := programs.Consent{Granted: true, At: now, ExpiresAt: now.Add(programs.ConsentMaxAge)}
	for _, p := range []struct{ prog, city, maker, name, coord, lang string }{
		{"p1", "Kolkata", "m1", "Tara", "c1@example.org", "bn"},
		{"p2", "Mumbai", "m2", "Mina", "c2@example.org", "hi"},
	} {
		if err := raw.InsertProgram(ctx, programs.Program{ID: p.prog, Name: p.city + " Workshop", City: p.city, Country: "IN",
			Currency: "INR", LivingWageHourly: 9000, ProgramSharePercent: 10}); err != nil {
			t.Fatal(err)
		}
		if err := raw.InsertMaker(ctx, programs.Maker{ID: p.maker, ProgramID: p.prog, DisplayName: p.name, Status: "active",
			Consent: programs.Consents{PublicProfile: consent}}); err != nil {
			t.Fatal(err)
		}
		u := accounts.User{Role: accounts.RoleCoordinator, Login: p.coord, Email: p.coord, Name: "Coordinator",
			ProgramIDs: []string{p.prog}, Lang: p.lang, Status: accounts.StatusActive}
		if err := acc.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	earnings, err := payments.NewEarningsReader(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := training.New(ctx, db, training.Deps{Programs: reg, Accounts: acc, Audit: log, Box: box, Earnings: earnings})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := notify.NewSender("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ob, err := notify.NewOutbox(ctx, db, sender, quiet)
	if err != nil {
		t.Fatal(err)
	}
	n, err := notices.New(notices.Deps{Accounts: acc, Programs: reg, Queue: ob, Reports: tr, BaseURL: "https://shop.example", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return world{n: n, outbox: ob}
}

func (w world) mail(t *testing.T, key string) (notify.Entry, bool) {
	t.Helper()
	e, err := w.outbox.Get(context.Background(), key)
	if err != nil {
		return notify.Entry{}, false
	}
	return e, true
}

func TestPaidOrderTellsTheBuyerAndEachProgramOfItsOwnItems(t *testing.T) {
	w := mustWorld(t)
	o := payments.Order{ID: "order-0000abcd1234", Email: "buyer@example.org", Channel: payments.ChannelOnline,
		Currency: "INR", Total: 150000, Items: []payments.Item{
			{ProductID: "ring", Title: "Copper wire ring", MakerID: "m1", ProgramID: "p1", Quantity: 1, UnitPrice: 60000},
			{ProductID: "bag", Title: "Block-printed bag", MakerID: "m2", ProgramID: "p2", Quantity: 2, UnitPrice: 45000},
		}}
	w.n.OrderEvent(context.Background(), "paid", o, "https://shop.example/orders/tok", nil)

	buyer, ok := w.mail(t, "order_paid:"+o.ID)
	if !ok || buyer.To != "buyer@example.org" || !strings.Contains(buyer.Text, "Copper wire ring") || !strings.Contains(buyer.Text, "Block-printed bag") {
		t.Fatalf("buyer's confirmation: %v %+v", ok, buyer)
	}
	if !strings.Contains(buyer.Text, "Tara") {
		t.Fatalf("the buyer sees the maker's chosen name: %s", buyer.Text)
	}
	// Each program's coordinator hears of her own program's items only, in her own language.
	seen := 0
	for _, c := range []struct{ addr, lang, mine, other string }{
		{"c1@example.org", "bn", "Copper wire ring", "Block-printed bag"},
		{"c2@example.org", "hi", "Block-printed bag", "Copper wire ring"},
	} {
		for _, e := range entriesTo(t, w, o.ID) {
			if e.To != c.addr {
				continue
			}
			seen++
			if e.Lang != c.lang || !strings.Contains(e.Text, c.mine) || strings.Contains(e.Text, c.other) {
				t.Fatalf("%s was told: lang %s\n%s", c.addr, e.Lang, e.Text)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("%d coordinator mails, want one per program", seen)
	}
	// The same event again queues nothing new (the keys are the same).
	w.n.OrderEvent(context.Background(), "paid", o, "https://shop.example/orders/tok", nil)
	if n := len(entriesTo(t, w, o.ID)); n != 2 {
		t.Fatalf("%d coordinator mails after a repeat", n)
	}
	// Counter and fair sales have no buyer to tell.
	offline := o
	offline.ID, offline.Channel = "order-offline00001", payments.ChannelOffline
	w.n.OrderEvent(context.Background(), "paid", offline, "", nil)
	if _, ok := w.mail(t, "order_paid:"+offline.ID); ok {
		t.Fatal("an offline sale mailed a buyer")
	}
}

// entriesTo finds the coordinators' mails about an order by their keys.
func entriesTo(t *testing.T, w world, orderID string) []notify.Entry {
	t.Helper()
	var out []notify.Entry
	for _, id := range coordinatorIDs(t, w) {
		if e, ok := w.mail(t, "order_paid:"+orderID+":"+id); ok {
			out = append(out, e)
		}
	}
	return out
}

func coordinatorIDs(t *testing.T, w world) []string {
	t.Helper()
	var ids []string
	for _, addr := range []string{"c1@example.org", "c2@example.org"} {
		u, err := w.n.Accounts().UserByLogin(context.Background(), addr)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return ids
}

func TestListingToReviewTellsOnlyItsProgramsCoordinators(t *testing.T) {
	w := mustWorld(t)
	p := catalog.Product{ID: "prod1", ProgramID: "p1", MakerID: "m1", Title: "Brass jhumka earrings", UpdatedAt: time.Now().UTC()}
	if err := w.n.ListingToReview(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	ids := coordinatorIDs(t, w)
	key := func(coordID string) string {
		return "review:" + p.ID + ":" + p.UpdatedAt.Format(time.RFC3339Nano) + ":" + coordID
	}
	e, ok := w.mail(t, key(ids[0]))
	if !ok || e.To != "c1@example.org" || !strings.Contains(e.Text, "Tara") || !strings.Contains(e.Text, "/coordinator/programs/p1/review") {
		t.Fatalf("review mail: %v %+v", ok, e)
	}
	if _, ok := w.mail(t, key(ids[1])); ok {
		t.Fatal("another program's coordinator was told of the listing")
	}
}

func TestDigestQueuesNothingWithoutFollowUps(t *testing.T) {
	w := mustWorld(t)
	now := time.Now().UTC()
	if err := w.n.SendDigests(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	for _, id := range coordinatorIDs(t, w) {
		if _, ok := w.mail(t, "digest:"+id+":"+now.Format("2006-01-02")); ok {
			t.Fatal("a digest with nothing due was queued")
		}
	}
}

func TestNewRefusesMissingParts(t *testing.T) {
	if _, err := notices.New(notices.Deps{}); err == nil {
		t.Fatal("notices without accounts, programs, queue and reports were built")
	}
}
