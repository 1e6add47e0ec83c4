package payments_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/payments/stripetest"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/store/storetest"
)

// world is the payments service on a fresh embedded store and a stripe-mock, with the real
// catalog and programs store beside it: two programs in INR (A pays its makers directly, B may
// be made the paying agent), a maker in each, their coordinators and a buyer. No worker runs in
// the background: tests call ProcessLedger and ExpireReservations themselves, so every pass is
// one the test can see.
type world struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	sm  *stripetest.Server
	cat *catalog.Service
	dir *programs.Store    // the raw records, for set-up
	reg *programs.Registry // what payments reads
	// prods is the catalog's raw product store, for set-up and for checking stock as stored.
	prods *catalog.ProductStore
	svc   *payments.Service

	progA, progB   string
	makerA, makerB string
	coordA, coordB accounts.Actor
	admin, buyer   accounts.Actor

	seq atomic.Int64

	mu   sync.Mutex
	told []toldEvent // what OnOrder heard, in order
}

type toldEvent struct {
	Event   string
	OrderID string
	Detail  map[string]any
}

// Shares the programs' products are priced with: INR 600.00, materials INR 180.00, 3 hours.
const (
	price     = int64(60000)
	materials = int64(18000)
)

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, ctx: ctx, db: storetest.New(t), sm: stripetest.Start(t)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	auditLog, err := audit.NewLog(ctx, w.db)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	if w.dir, err = programs.NewStore(ctx, w.db); err != nil {
		t.Fatalf("programs: %v", err)
	}
	if w.prods, err = catalog.NewProductStore(ctx, w.db); err != nil {
		t.Fatalf("products: %v", err)
	}
	if w.reg, err = programs.NewRegistry(ctx, w.db); err != nil {
		t.Fatalf("programs: %v", err)
	}
	if w.cat, err = catalog.NewService(ctx, w.db, catalog.Deps{Directory: w.reg, Audit: auditLog, Logger: quiet,
		Gate: noTraining{}, Listings: noListings{}}); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	w.progA = w.mustProgram("Kolkata Jewellery Workshop", "Kolkata")
	w.progB = w.mustProgram("Mumbai Tailoring Workshop", "Mumbai")
	w.makerA = w.mustMaker(w.progA, "Asha")
	w.makerB = w.mustMaker(w.progB, "Bina")
	w.coordA = accounts.Actor{UserID: "user-coord-a", Role: accounts.RoleCoordinator, ProgramIDs: []string{w.progA}}
	w.coordB = accounts.Actor{UserID: "user-coord-b", Role: accounts.RoleCoordinator, ProgramIDs: []string{w.progB}}
	w.admin = accounts.Actor{UserID: "user-admin", Role: accounts.RoleAdmin}
	w.buyer = accounts.Actor{UserID: "user-buyer", Role: accounts.RoleBuyer}
	w.svc = w.newInstance()
	return w
}

// newInstance builds a payments service on the world's database and stripe-mock, as another
// app instance (or the same one after a restart) would.
func (w *world) newInstance() *payments.Service {
	w.t.Helper()
	cfg := payments.Config{
		StripeSecretKey:     stripetest.Key,
		StripeWebhookSecret: stripetest.WebhookSecret,
		StripeAPIURL:        w.sm.URL,
		BaseURL:             "http://shop.test",
		Fees:                w.cat.Fees,
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnOrder: func(_ context.Context, event string, o payments.Order, _ string, detail map[string]any) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.told = append(w.told, toldEvent{Event: event, OrderID: o.ID, Detail: detail})
		},
	}
	auditLog, err := audit.NewLog(w.ctx, w.db)
	if err != nil {
		w.t.Fatalf("audit: %v", err)
	}
	svc, err := payments.New(w.ctx, cfg, w.db, w.cat, w.reg, auditLog)
	if err != nil {
		w.t.Fatalf("payments.New: %v", err)
	}
	return svc
}

func (w *world) mustProgram(name, city string) string {
	w.t.Helper()
	id := accounts.NewID()
	err := w.dir.InsertProgram(w.ctx, programs.Program{ID: id, Name: name, City: city, Country: "IN", Currency: "INR",
		LivingWageHourly: 9000, ProgramSharePercent: 10, PayeeModel: programs.PayeeMaker, CreatedAt: time.Now().UTC()})
	if err != nil {
		w.t.Fatalf("insert program: %v", err)
	}
	return id
}

func (w *world) mustMaker(programID, name string) string {
	w.t.Helper()
	id := accounts.NewID()
	if err := w.dir.InsertMaker(w.ctx, programs.Maker{ID: id, ProgramID: programID, DisplayName: name, Status: "active",
		CreatedBy: "user-coord", CreatedAt: time.Now().UTC()}); err != nil {
		w.t.Fatalf("insert maker: %v", err)
	}
	return id
}

// mustProduct stores a published product of the maker with stock units.
func (w *world) mustProduct(makerID string, stock int) string {
	w.t.Helper()
	m, err := w.dir.Maker(w.ctx, makerID)
	if err != nil {
		w.t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	p := catalog.Product{ID: accounts.NewID(), MakerID: m.ID, ProgramID: m.ProgramID,
		Title: fmt.Sprintf("Brass jhumka earrings %d", w.seq.Add(1)), Description: "Made by hand in the workshop.",
		Category: "jewellery", Price: price, Currency: "INR", Stock: stock, HoursOfWork: 3, MaterialsCost: materials,
		Status: catalog.StatusPublished, Images: []catalog.Image{}, CreatedAt: now, UpdatedAt: now, PublishedAt: now, Version: 1}
	if err := w.prods.Insert(w.ctx, p); err != nil {
		w.t.Fatalf("insert product: %v", err)
	}
	return p.ID
}

// share is what the product page shows the maker gets of one unit.
func (w *world) share() int64 {
	return catalog.Breakdown(price, materials, 10, w.cat.Fees).Maker
}

func (w *world) stock(productID string) int {
	w.t.Helper()
	p, err := w.prods.ByID(w.ctx, productID)
	if err != nil {
		w.t.Fatalf("load product: %v", err)
	}
	return p.Stock
}

var address = &payments.Address{Name: "Asha Buyer", Line1: "1 Park Street", City: "Kolkata", PostalCode: "700016", Country: "IN"}

// mustCheckout checks the buyer out of (product, quantity) pairs and returns the order.
func (w *world) mustCheckout(lines ...any) payments.Order {
	w.t.Helper()
	var items []payments.ItemInput
	for i := 0; i+1 < len(lines); i += 2 {
		items = append(items, payments.ItemInput{ProductID: lines[i].(string), Quantity: lines[i+1].(int)})
	}
	res, err := w.svc.Checkout(w.ctx, w.buyer, payments.CheckoutInput{Items: items, Email: "buyer@test.example", ShippingAddress: address})
	if err != nil {
		w.t.Fatalf("checkout: %v", err)
	}
	return w.order(res.OrderID)
}

// order loads an order straight from the database.
func (w *world) order(id string) payments.Order {
	w.t.Helper()
	var o payments.Order
	if err := w.db.Read("orders").FindOne(w.ctx, bson.M{"_id": id}).Decode(&o); err != nil {
		w.t.Fatalf("load order %s: %v", id, err)
	}
	return o
}

// entry loads a ledger entry; ok is false when there is none.
func (w *world) entry(id string) (payments.Entry, bool) {
	w.t.Helper()
	var e payments.Entry
	err := w.db.Read("ledger").FindOne(w.ctx, bson.M{"_id": id}).Decode(&e)
	if store.IsNotFound(err) {
		return payments.Entry{}, false
	}
	if err != nil {
		w.t.Fatalf("load ledger entry %s: %v", id, err)
	}
	return e, true
}

func (w *world) mustEntry(id string) payments.Entry {
	w.t.Helper()
	e, ok := w.entry(id)
	if !ok {
		w.t.Fatalf("no ledger entry %s", id)
	}
	return e
}

func earningID(orderID string, item int) string {
	return orderID + ":" + strconv.Itoa(item) + ":earning"
}
func reversalID(orderID string, item int) string {
	return orderID + ":" + strconv.Itoa(item) + ":reversal"
}

// entries lists an order's ledger entries.
func (w *world) entries(orderID string) []payments.Entry {
	w.t.Helper()
	cur, err := w.db.Read("ledger").Find(w.ctx, bson.M{"orderId": orderID})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []payments.Entry
	if err := cur.All(w.ctx, &out); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// setOrder and setEntry stage what time or a crash would leave behind.
func (w *world) setOrder(id string, set bson.M) {
	w.t.Helper()
	if _, err := w.db.UpdateIf(w.ctx, "orders", bson.M{"_id": id}, bson.M{"$set": set}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) setEntry(id string, set bson.M) {
	w.t.Helper()
	if _, err := w.db.UpdateIf(w.ctx, "ledger", bson.M{"_id": id}, bson.M{"$set": set}); err != nil {
		w.t.Fatal(err)
	}
}

// audits counts the audit records of an action on a record.
func (w *world) audits(action, recordID string) int64 {
	w.t.Helper()
	n, err := w.db.Read("audit").CountDocuments(w.ctx, bson.M{"action": action, "recordId": recordID})
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// toldOf lists what the buyer was told of an order.
func (w *world) toldOf(orderID string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, e := range w.told {
		if e.OrderID == orderID {
			out = append(out, e.Event)
		}
	}
	return out
}

// event builds a Stripe event with a fresh id.
func (w *world) event(typ string, obj map[string]any) []byte {
	return stripetest.Event(fmt.Sprintf("evt_svc_%d_%d", time.Now().UnixNano(), w.seq.Add(1)), typ, obj, time.Now())
}

// deliver hands a signed event to the service's webhook entry point.
func (w *world) deliver(payload []byte) (payments.WebhookResult, error) {
	return w.deliverTo(w.svc, payload)
}

func (w *world) deliverTo(svc *payments.Service, payload []byte) (payments.WebhookResult, error) {
	return svc.HandleWebhook(w.ctx, payload, stripetest.Sign(payload, stripetest.WebhookSecret))
}

// mustDeliver delivers an event and requires it to be processed; it returns whether the
// service saw it as a duplicate.
func (w *world) mustDeliver(payload []byte) bool {
	w.t.Helper()
	res, err := w.deliver(payload)
	if err != nil {
		w.t.Fatalf("webhook: %v", err)
	}
	return res.Duplicate
}

// session is the Checkout Session of an order as Stripe sends it in its events: paid, with the
// payment intent pi_<order> (expanded with its latest charge when chargeID is set).
func (w *world) session(o payments.Order, paymentStatus, chargeID string) map[string]any {
	pi := any("pi_" + o.ID)
	if chargeID != "" {
		pi = map[string]any{"id": "pi_" + o.ID, "object": "payment_intent", "latest_charge": chargeID}
	}
	return map[string]any{"id": o.StripeSessionID, "object": "checkout.session", "client_reference_id": o.ID,
		"metadata": map[string]any{"order_id": o.ID}, "payment_intent": pi, "payment_status": paymentStatus,
		"status": "complete", "amount_total": o.Total, "currency": "inr"}
}

// completed is checkout.session.completed for a paid session of o.
func (w *world) completed(o payments.Order, chargeID string) []byte {
	return w.event("checkout.session.completed", w.session(o, "paid", chargeID))
}

// mustPay checks out one unit of product, pays for it with the charge ch_<order>, and sends
// the package, so its wage is payable (pay on dispatch).
func (w *world) mustPay(productID string) payments.Order {
	w.t.Helper()
	o := w.mustCheckout(productID, 1)
	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	return w.mustSend(o.ID)
}

// mustPayUnsent checks out one unit of product and pays for it; its package is not sent.
func (w *world) mustPayUnsent(productID string) payments.Order {
	w.t.Helper()
	o := w.mustCheckout(productID, 1)
	w.mustDeliver(w.completed(o, "ch_"+o.ID))
	return w.order(o.ID)
}

// mustSend sends every package of a paid order not yet sent, as an admin.
func (w *world) mustSend(orderID string) payments.Order {
	w.t.Helper()
	if _, err := w.svc.Ship(w.ctx, w.admin, orderID, payments.ShipInput{Carrier: "India Post", TrackingNumber: "EE123456789IN"}); err != nil {
		w.t.Fatalf("send order %s: %v", orderID, err)
	}
	return w.order(orderID)
}

// mustOnboard gives the maker a connected account that can receive payouts (ready) or not yet.
func (w *world) mustOnboard(makerID string, ready bool) string {
	w.t.Helper()
	ob, err := w.svc.OnboardMaker(w.ctx, accounts.Actor{UserID: "user-" + makerID, Role: accounts.RoleMaker, MakerID: makerID}, makerID)
	if err != nil {
		w.t.Fatalf("onboard maker: %v", err)
	}
	if ready {
		w.mustDeliver(w.event("account.updated", accountUpdated(ob.AccountID, true)))
	}
	return ob.AccountID
}

func accountUpdated(acct string, enabled bool) map[string]any {
	caps := "inactive"
	if enabled {
		caps = "active"
	}
	return map[string]any{"id": acct, "object": "account", "payouts_enabled": enabled,
		"capabilities": map[string]any{"transfers": caps}}
}

// process runs one ledger pass.
func (w *world) process() payments.LedgerStats {
	w.t.Helper()
	st, err := w.svc.ProcessLedger(w.ctx)
	if err != nil {
		w.t.Fatalf("process ledger: %v", err)
	}
	return st
}

// transfersFor lists the transfer creations sent to Stripe for an order.
func (w *world) transfersFor(orderID string) []stripetest.Request {
	var out []stripetest.Request
	for _, r := range w.sm.Requests("POST", "/v1/transfers") {
		if r.Path == "/v1/transfers" && r.Form.Get("transfer_group") == orderID {
			out = append(out, r)
		}
	}
	return out
}

// refundsFor lists the refunds the app asked Stripe for, for an order.
func (w *world) refundsFor(orderID string) []stripetest.Request {
	var out []stripetest.Request
	for _, r := range w.sm.Requests("POST", "/v1/refunds") {
		if r.Form.Get("metadata[order_id]") == orderID {
			out = append(out, r)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// noTraining stands in for the training gate: payments sells what the catalog has published.
type noTraining struct{}

func (noTraining) MissingTraining(context.Context, string, string, string) (string, error) {
	return "", nil
}

type noListings struct{}

func (noListings) ListingToReview(context.Context, catalog.Product) error { return nil }
