package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/payments/stripetest"
	"github.com/fairhands/marketplace/store"
)

var duration = flag.Duration("loadtest.duration", 20*time.Second, "how long TestMixed sends traffic (5m by hand)")

// TestMixed runs the mix against the whole app on the embedded store, behind a real loopback
// listener and stripe-mock, then checks from the database that nothing was oversold and every
// paid order's money reconciles.
func TestMixed(t *testing.T) {
	sm := stripetest.Start(t)
	e := apptest.New(t, func(c *app.Config) {
		c.StripeSecretKey, c.StripeAPIURL, c.StripeWebhookSecret = stripetest.Key, sm.URL, stripetest.WebhookSecret
	})
	ctx := context.Background()

	// Two programs, three makers each, 30 products with small stocks so they sell out under load.
	initial := map[string]int{}
	var products []string
	for p := range 2 {
		prog := e.Program(fmt.Sprintf("Load Workshop %d", p))
		_, coord := e.Coordinator(prog)
		for m := range 3 {
			makerID, makerTok := e.Maker(prog, coord)
			acct := e.Must(http.StatusOK, "POST", "/api/v1/makers/"+makerID+"/stripe/onboarding", coord, nil).Str("accountId")
			deliverEvent(t, e, stripetest.Event("evt_acct_"+makerID, "account.updated", map[string]any{"id": acct, "object": "account",
				"payouts_enabled": true, "capabilities": map[string]any{"transfers": "active"}}, time.Now()))
			for i := range 5 {
				// One hot product per maker with a few units (sold out early: the oversell test),
				// the rest with enough for a 5-minute run on a slow machine.
				stock := 300
				if i == 0 {
					stock = 3 + p*3 + m
				}
				r := e.Must(http.StatusCreated, "POST", "/api/v1/products", makerTok, map[string]any{
					"title": fmt.Sprintf("%s handwoven silk scarf %d", []string{"Indigo", "Saffron", "Emerald"}[m], i), "description": "Woven by hand.",
					"category": "Textiles", "price": 60000 + int64(i)*1000, "currency": "INR", "stock": stock, "hoursOfWork": 3, "materialsCost": 18000})
				id := r.Str("id")
				e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", makerTok, nil)
				e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", coord, nil)
				initial[id] = stock
				products = append(products, id)
			}
		}
	}

	// Memory of the whole process (app, store, load generator) sampled during the run.
	var peakHeap, peakSys uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap, peakSys = max(peakHeap, ms.HeapInuse), max(peakSys, ms.Sys)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	rep, err := Run(ctx, Config{URL: e.Server.URL, Duration: *duration, Concurrency: 16, Deliverers: 4,
		WebhookSecret: stripetest.WebhookSecret, Products: products,
		Words: []string{"silk", "indigo", "saffron", "emerald", "scarf", "handwoven", "nothing"}}, nil)
	close(stop)
	sampler.Wait()
	if err != nil {
		t.Fatal(err)
	}
	rep.Print(os.Stdout)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("memory: peak HeapInuse %.1f MiB, peak Sys %.1f MiB, goroutines at end %d, load average %s\n",
		float64(peakHeap)/(1<<20), float64(peakSys)/(1<<20), runtime.NumGoroutine(), loadAvg())
	if n := rep.Errors(); n > 0 {
		t.Errorf("%d requests failed: %v", n, rep.Failures)
	}
	if rep.Orders == 0 || rep.Paid == 0 {
		t.Fatalf("the mix made no paid orders: %+v", rep)
	}

	// Let the payout worker catch up (it polls every 2 s and is woken by each payment): as long
	// as it keeps making progress, up to 15 minutes; 60 s without progress is a stall.
	start, last, lastChange := time.Now(), int64(-1), time.Now()
	for {
		n, err := e.DB.Read("ledger").CountDocuments(ctx, bson.M{"status": bson.M{"$in": []string{payments.EntryPending, payments.EntryTransferring}}})
		if err != nil {
			t.Fatal(err)
		}
		if n != last {
			last, lastChange = n, time.Now()
		}
		if n == 0 || time.Since(lastChange) > 60*time.Second || time.Since(start) > 15*time.Minute {
			fmt.Printf("payouts: %d earnings still to transfer %s after the traffic stopped\n", n, time.Since(start).Round(time.Second))
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	checkInvariants(t, e, sm, initial)
}

// checkInvariants reads the store: stock never below zero, nothing oversold, stock conserved,
// and every paid order's shares and ledger credits add up; each earning sent to Stripe once.
func checkInvariants(t *testing.T, e *apptest.Env, sm *stripetest.Server, initial map[string]int) {
	t.Helper()
	ctx := context.Background()
	var orders []payments.Order
	cur, err := e.DB.Read("orders").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &orders); err != nil {
		t.Fatal(err)
	}
	sold, held := map[string]int{}, map[string]int{}
	makerShares := map[string]int64{}
	statuses := map[string]int{}
	for _, o := range orders {
		statuses[o.Status]++
		var shares int64
		for _, it := range o.Items {
			switch {
			case o.Status == payments.StatusPaid:
				sold[it.ProductID] += it.Quantity
				makerShares[it.MakerID] += it.Shares.Maker
			case o.Status == payments.StatusPendingPayment:
				held[it.ProductID] += it.Quantity
			}
			shares += it.Shares.Maker + it.Shares.Materials + it.Shares.Program + it.Shares.Fees
			if it.Shares.Maker+it.Shares.Materials+it.Shares.Program+it.Shares.Fees != it.Total {
				t.Errorf("order %s item %s: shares %+v do not add up to %d", o.ID, it.ProductID, it.Shares, it.Total)
			}
		}
		if o.Status == payments.StatusPaid && (shares != o.AmountPaid || o.AmountPaid != o.Total) {
			t.Errorf("paid order %s: shares %d, paid %d, total %d", o.ID, shares, o.AmountPaid, o.Total)
		}
		if o.Status != payments.StatusPaid && o.Status != payments.StatusPendingPayment && o.Status != payments.StatusCancelled {
			t.Errorf("order %s in unexpected status %s", o.ID, o.Status)
		}
	}
	oversold := 0
	for id, init := range initial {
		p, err := rawProducts(t, e.DB).ByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Stock < 0 || sold[id] > init {
			oversold++
			t.Errorf("product %s: stock %d, sold %d of %d", id, p.Stock, sold[id], init)
		}
		if p.Stock+sold[id]+held[id] != init {
			t.Errorf("product %s: stock %d + sold %d + reserved %d != initial %d (units lost or made up)", id, p.Stock, sold[id], held[id], init)
		}
	}

	var entries []payments.Entry
	cur, err = e.DB.Read("ledger").Find(ctx, bson.M{"kind": payments.KindEarning})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	credits := map[string]int64{}
	entryStatus := map[string]int{}
	shown := 0
	for _, en := range entries {
		credits[en.MakerID] += en.Amount
		entryStatus[en.Status]++
		if en.Status != payments.EntryTransferred && shown < 5 {
			shown++
			fmt.Printf("not transferred yet: %s %s attempts %d next %s available %s error %q\n", en.ID, en.Status, en.Attempts,
				en.NextAttemptAt.Format(time.TimeOnly), en.AvailableAt.Format(time.TimeOnly), en.LastError)
		}
	}
	for maker, want := range makerShares {
		if credits[maker] != want {
			t.Errorf("maker %s: ledger credits %d, items' maker shares %d", maker, credits[maker], want)
		}
	}
	if len(credits) != len(makerShares) {
		t.Errorf("credits for %d makers, sales for %d", len(credits), len(makerShares))
	}
	keys := map[string]bool{}
	for _, r := range sm.Requests("POST", "/v1/transfers") {
		if r.Path == "/v1/transfers" {
			keys[r.IdempotencyKey] = true
		}
	}
	transferred := entryStatus[payments.EntryTransferred]
	if len(keys) != transferred {
		t.Errorf("%d distinct transfer keys sent to Stripe, %d earnings transferred", len(keys), transferred)
	}
	fmt.Printf("invariants: %d orders %v; %d units sold, 0 oversold (checked %d products); %d earnings %v; %d transfers, one key each\n",
		len(orders), statuses, sum(sold), len(initial), len(entries), entryStatus, len(keys))
	_ = oversold
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func deliverEvent(t *testing.T, e *apptest.Env, payload []byte) {
	t.Helper()
	rc := &recorder{r: &Report{Actions: map[string]*ActionStats{}}}
	if !deliver(http.DefaultClient, e.Server.URL, stripetest.WebhookSecret, payload, rc) {
		t.Fatalf("webhook: %v", rc.r.Failures)
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return string(b[:min(len(b), 14)])
}

// rawProducts is the catalog's product store itself, to check stock as stored.
func rawProducts(t *testing.T, db *store.DB) *catalog.ProductStore {
	t.Helper()
	st, err := catalog.NewProductStore(context.Background(), db)
	if err != nil {
		t.Fatalf("product store: %v", err)
	}
	return st
}
