package main

// Faults, with the real binary: kill -9 in the middle of a checkout burst, a payout batch and an
// image upload, then restart on the same DATA_DIR; Stripe unreachable; the database going away
// and coming back (MongoDB mode, on a FerretDB of our own in another process); and, given a
// MONGODB_URI, three instances sharing one database.
//
// Covered elsewhere and not repeated here: a transfer resumed after a crash between claiming and
// recording, and several workers on two instances (api.TestPaymentsCrashAndRetriesNeverPayTwice);
// one event delivered many times to two instances (api.TestPaymentsWebhookExactlyOnceInAnyOrder);
// a second process on the same DATA_DIR refused (TestServeRestartAndSingleProcessLock).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/payments/stripetest"
	"github.com/fairhands/marketplace/store"
)

var (
	buildBinOnce sync.Once
	builtBins    map[string]string
	buildBinErr  error
)

// binaries builds the marketplace and the devdb helper once per test run, into one directory
// under the temporary directory (replaced by each run, so copies do not pile up).
func binaries(t *testing.T) map[string]string {
	t.Helper()
	buildBinOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "fairhands-faults")
		if buildBinErr = os.MkdirAll(dir, 0o755); buildBinErr != nil {
			return
		}
		builtBins = map[string]string{}
		for name, pkg := range map[string]string{"marketplace": ".", "devdb": "../../loadtest/devdb"} {
			tmp := filepath.Join(dir, fmt.Sprintf("%s.%d", name, os.Getpid()))
			out, err := exec.Command("go", "build", "-o", tmp, pkg).CombinedOutput()
			if err != nil {
				buildBinErr = fmt.Errorf("go build %s: %v: %s", pkg, err, out)
				return
			}
			builtBins[name] = filepath.Join(dir, name)
			if buildBinErr = os.Rename(tmp, builtBins[name]); buildBinErr != nil {
				return
			}
		}
	})
	if buildBinErr != nil {
		t.Fatal(buildBinErr)
	}
	return builtBins
}

// proc is a running marketplace binary.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
}

// start runs `marketplace serve` with env and waits until it listens.
func start(t *testing.T, env map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(binaries(t)["marketplace"], "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=127.0.0.1:0", "LOG_LEVEL=info"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = io.Discard
	p := &proc{t: t, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			p.mu.Lock()
			p.logs.Write(sc.Bytes())
			p.logs.WriteByte('\n')
			p.mu.Unlock()
			var line map[string]any
			if !sent && json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "marketplace listening" {
				addr <- line["addr"].(string)
				sent = true
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case a := <-addr:
		p.base = "http://" + a
		return p
	case <-p.done:
		t.Fatalf("marketplace exited before listening:\n%s", p.log())
	case <-time.After(90 * time.Second):
		t.Fatalf("marketplace did not listen within 90 s:\n%s", p.log())
	}
	return nil
}

func phase(t *testing.T, t0 time.Time, what string) {
	t.Logf("%6.1fs %s", time.Since(t0).Seconds(), what)
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// kill is kill -9: no shutdown, no deferred cleanup, the embedded store's files as they are.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop is a graceful SIGTERM.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Errorf("no clean stop within 30 s")
		p.kill()
	}
}

// resp is an answer decoded as JSON.
type resp struct {
	status int
	body   []byte
	json   map[string]any
}

func (r resp) str(k string) string { s, _ := r.json[k].(string); return s }

func (r resp) code() string {
	e, _ := r.json["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

var faultClient = &http.Client{Timeout: 60 * time.Second}

func call(method, url, token string, body any) (resp, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := faultClient.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, body: b}
	_ = json.Unmarshal(b, &r.json)
	return r, nil
}

var sourceIP atomic.Int64

// checkout posts a cart from a loopback address of its own (127.1.x.y): checkout is limited per
// client address, and a burst stands for many buyers, not one.
func checkout(base string, body any) (resp, error) {
	n := sourceIP.Add(1)
	local := &net.TCPAddr{IP: net.IPv4(127, 1, byte(n/250%250), byte(1+n%250))}
	tr := &http.Transport{DisableKeepAlives: true, DialContext: (&net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	b, _ := json.Marshal(body)
	res, err := (&http.Client{Transport: tr, Timeout: 60 * time.Second}).Post(base+"/api/v1/checkout", "application/json", bytes.NewReader(b))
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, body: rb}
	_ = json.Unmarshal(rb, &r.json)
	return r, nil
}

func (p *proc) mustCheckout(items ...string) resp {
	p.t.Helper()
	r, err := checkout(p.base, checkoutBody(items...))
	if err != nil || r.status != http.StatusCreated {
		p.t.Fatalf("checkout: %v %d %s", err, r.status, r.body)
	}
	return r
}

func (p *proc) must(want int, method, path, token string, body any) resp {
	p.t.Helper()
	r, err := call(method, p.base+path, token, body)
	if err != nil || r.status != want {
		p.t.Fatalf("%s %s: %v %d %s, want %d", method, path, err, r.status, r.body, want)
	}
	return r
}

func (p *proc) deliver(payload []byte) resp {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.base+"/api/v1/stripe/webhook", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", stripetest.Sign(payload, stripetest.WebhookSecret))
	res, err := faultClient.Do(req)
	if err != nil {
		p.t.Fatalf("webhook: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: b}
}

// world is what a fault test sells: a program, its coordinator, a maker and products.
type world struct {
	coord, maker, makerTok, program string
	products                        []string
	stock                           map[string]int
}

const adminEmail, adminPassword = "root@test.example", "root-password-1"

func env(dir, stripeURL string) map[string]string {
	e := map[string]string{"DATA_DIR": dir, "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword}
	if stripeURL != "" {
		e["STRIPE_SECRET_KEY"], e["STRIPE_API_URL"], e["STRIPE_WEBHOOK_SECRET"] = stripetest.Key, stripeURL, stripetest.WebhookSecret
	}
	return e
}

// setup makes a world over HTTP, with n products of the given stock.
func setup(t *testing.T, p *proc, n, stock int) world {
	t.Helper()
	admin := p.must(200, "POST", "/api/v1/auth/login", "", map[string]string{"login": adminEmail, "password": adminPassword}).str("token")
	w := world{stock: map[string]int{}}
	w.program = p.must(201, "POST", "/api/v1/programs", admin, map[string]any{"name": "Fault Workshop", "city": "Kolkata",
		"country": "IN", "currency": "INR", "livingWageHourly": 9000}).str("id")
	inv := p.must(201, "POST", "/api/v1/programs/"+w.program+"/coordinators", admin, map[string]string{"name": "Coordinator", "email": "coord@test.example"})
	p.must(200, "POST", "/api/v1/invites/"+inv.str("inviteToken")+"/accept", "", map[string]string{"password": "coord-password-1"})
	w.coord = p.must(200, "POST", "/api/v1/auth/login", "", map[string]string{"login": "coord@test.example", "password": "coord-password-1"}).str("token")
	m := p.must(201, "POST", "/api/v1/programs/"+w.program+"/makers", w.coord, map[string]any{"displayName": "Maker One",
		"legalName": "Legal Name", "phone": "+91 90000 00001", "story": "I weave.",
		"consent": map[string]bool{"publicProfile": true, "story": true, "workPhotos": true}})
	w.maker = m.str("id")
	p.must(200, "POST", "/api/v1/invites/"+m.str("inviteToken")+"/accept", "", map[string]string{"login": "maker1", "password": "maker-password-1"})
	w.makerTok = p.must(200, "POST", "/api/v1/auth/login", "", map[string]string{"login": "maker1", "password": "maker-password-1"}).str("token")
	for i := range n {
		id := p.must(201, "POST", "/api/v1/products", w.makerTok, map[string]any{"title": fmt.Sprintf("Silk scarf %d", i),
			"description": "Woven by hand.", "category": "Textiles", "price": 60000, "currency": "INR", "stock": stock,
			"hoursOfWork": 3, "materialsCost": 18000}).str("id")
		p.must(200, "POST", "/api/v1/products/"+id+"/submit", w.makerTok, nil)
		p.must(200, "POST", "/api/v1/products/"+id+"/approve", w.coord, nil)
		w.products = append(w.products, id)
		w.stock[id] = stock
	}
	return w
}

func checkoutBody(items ...string) map[string]any {
	var lines []map[string]any
	for _, id := range items {
		lines = append(lines, map[string]any{"productId": id, "quantity": 1})
	}
	return map[string]any{"items": lines, "email": "guest@test.example", "shippingAddress": map[string]any{
		"name": "Guest Buyer", "line1": "1 Park Street", "city": "Kolkata", "postalCode": "700016", "country": "IN"}}
}

func paidEvent(orderID string, total int64) []byte {
	return stripetest.Event("evt_paid_"+orderID, "checkout.session.completed", map[string]any{
		"object": "checkout.session", "client_reference_id": orderID, "metadata": map[string]any{"order_id": orderID},
		"payment_status": "paid", "status": "complete", "amount_total": total, "currency": "inr",
		"payment_intent": map[string]any{"id": "pi_" + orderID, "object": "payment_intent", "latest_charge": "ch_" + orderID}}, time.Now())
}

func accountReady(acct string) []byte {
	return stripetest.Event("evt_acct_"+acct+fmt.Sprint(time.Now().UnixNano()), "account.updated", map[string]any{"id": acct, "object": "account",
		"payouts_enabled": true, "capabilities": map[string]any{"transfers": "active"}}, time.Now())
}

// offline opens the data directory of a stopped binary with the app wired on it (no workers),
// to read what was stored and to run a payments job with a later clock.
func offline(t *testing.T, dir string, stripeURL string) (*app.App, func()) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	db, err := store.Open(ctx, store.Config{DataDir: dir, Database: "marketplace", Logger: log})
	if err != nil {
		t.Fatalf("reopen the store: %v", err)
	}
	secret, _ := os.ReadFile(filepath.Join(dir, "session-secret"))
	keyText, _ := os.ReadFile(filepath.Join(dir, "data-encryption-key"))
	key, err := fieldcrypt.ParseKey(strings.TrimSpace(string(keyText)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{BaseURL: "http://example.test", SessionSecret: strings.TrimSpace(string(secret)), EncryptionKey: key, MailDir: t.TempDir()}
	if stripeURL != "" {
		cfg.StripeSecretKey, cfg.StripeAPIURL, cfg.StripeWebhookSecret = stripetest.Key, stripeURL, stripetest.WebhookSecret
	}
	a, err := app.New(ctx, cfg, db, log)
	if err != nil {
		t.Fatal(err)
	}
	return a, func() { _ = db.Close(context.Background()) }
}

func loadOrders(t *testing.T, db *store.DB) map[string]payments.Order {
	t.Helper()
	var os []payments.Order
	cur, err := db.Read("orders").Find(context.Background(), bson.M{})
	if err == nil {
		err = cur.All(context.Background(), &os)
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]payments.Order{}
	for _, o := range os {
		out[o.ID] = o
	}
	return out
}

// unitsAccountedFor checks that stock + units in pending and paid orders never exceed the
// initial stock (nothing oversold) and returns how many units are unaccounted for (lost).
func unitsAccountedFor(t *testing.T, a *app.App, w world, orders map[string]payments.Order) int {
	t.Helper()
	used, lost := map[string]int{}, 0
	for _, o := range orders {
		if o.Status == payments.StatusPendingPayment || o.Status == payments.StatusPaid {
			for _, it := range o.Items {
				used[it.ProductID] += it.Quantity
			}
		}
	}
	for _, id := range w.products {
		p, err := rawProducts(t, a.DB).ByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Stock < 0 || p.Stock+used[id] > w.stock[id] {
			t.Errorf("product %s: stock %d + in orders %d > initial %d (oversold)", id, p.Stock, used[id], w.stock[id])
		}
		if d := w.stock[id] - p.Stock - used[id]; d > 0 {
			t.Logf("product %s: stock %d + in orders %d = %d of %d: %d units taken with no order", id, p.Stock, used[id], p.Stock+used[id], w.stock[id], d)
			lost += d
		}
	}
	return lost
}

// Killed in the middle of a burst of checkouts: every order the buyers were told about is still
// there, no unit is lost or sold twice, and the reservations of the unpaid ones are released
// when their 30 minutes have passed.
func TestFaultKillDuringCheckoutBurst(t *testing.T) {
	t0 := time.Now()
	sm := stripetest.Start(t)
	dir := t.TempDir()
	p := start(t, env(dir, sm.URL))
	w := setup(t, p, 4, 40)
	phase(t, t0, "started and set up")

	var mu sync.Mutex
	var acked []string
	var sent atomic.Int64
	stopAt := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopAt:
					return
				default:
				}
				sent.Add(1)
				r, err := checkout(p.base, checkoutBody(w.products[(g+i)%4], w.products[(g+i+1)%4]))
				if err == nil && r.status == http.StatusCreated {
					mu.Lock()
					acked = append(acked, r.str("orderId"))
					mu.Unlock()
				}
			}
		}()
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 15 {
			break
		}
	}
	p.kill() // mid-burst: requests in flight, some between stock, order and Stripe
	close(stopAt)
	wg.Wait()
	t.Logf("killed after %d checkouts sent, %d acknowledged", sent.Load(), len(acked))

	phase(t, t0, "killed")
	p = start(t, env(dir, sm.URL))
	phase(t, t0, "restarted")
	p.must(200, "GET", "/readyz", "", nil)
	// Checkout works again after the restart.
	p.mustCheckout(w.products[0])
	p.stop()
	phase(t, t0, "stopped")
	a, closeDB := offline(t, dir, sm.URL)
	phase(t, t0, "store reopened")
	defer closeDB()
	orders := loadOrders(t, a.DB)
	for _, id := range acked {
		if _, ok := orders[id]; !ok {
			t.Errorf("order %s was acknowledged to the buyer and is gone after the restart", id)
		}
	}
	lost := unitsAccountedFor(t, a, w, orders)
	pending := 0
	for _, o := range orders {
		if o.Status == payments.StatusPendingPayment {
			pending++
			if d := time.Until(o.ExpiresAt); d <= 0 || d > payments.ReservationTTL {
				t.Errorf("pending order %s expires in %s", o.ID, d)
			}
		}
	}
	// 31 minutes later the expiry job releases every reservation (the app runs it every minute).
	a.Payments.Now = func() time.Time { return time.Now().Add(payments.ReservationTTL + time.Minute) }
	n, err := a.Payments.ExpireReservations(context.Background())
	phase(t, t0, "reservations expired")
	if err != nil {
		t.Fatal(err)
	}
	orders = loadOrders(t, a.DB)
	for _, o := range orders {
		if o.Status == payments.StatusPendingPayment {
			t.Errorf("order %s still holds stock after its reservation ran out", o.ID)
		}
	}
	back := 0
	for _, id := range w.products {
		pr, _ := rawProducts(t, a.DB).ByID(context.Background(), id)
		back += pr.Stock
		if pr.Stock > w.stock[id] {
			t.Errorf("product %s: stock %d after every reservation expired, more than the %d there were", id, pr.Stock, w.stock[id])
		}
	}
	t.Logf("%d orders stored, %d acknowledged before the kill, %d pending; %d held units with no order before expiry; %d released by expiry; %d of %d units back in stock",
		len(orders), len(acked), pending, lost, n, back, 4*40)
	// Units taken for an order the dead process never stored were held under that order's id,
	// so the same sweep gave them back: every unit is in stock or in a live order.
	if lost := unitsAccountedFor(t, a, w, orders); lost > 0 {
		t.Errorf("kill -9 mid-checkout lost %d units for good", lost)
	}
	held, err := a.Catalog.HeldStock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range held {
		if o, ok := orders[h.HoldID]; !ok || o.Status != payments.StatusPaid {
			t.Errorf("after the sweep, %d units of %s are still held for order %s (%s)", h.Quantity, h.ProductID, h.HoldID, o.Status)
		}
	}
}

// Killed while the payout worker sends a batch of transfers: after the restart every earning is
// transferred, each under its one idempotency key, none twice — the entries the dead process had
// claimed are resumed once their lease has run out.
func TestFaultKillDuringPayoutBatch(t *testing.T) {
	sm := stripetest.Start(t)
	dir := t.TempDir()
	p := start(t, env(dir, sm.URL))
	w := setup(t, p, 2, 100)
	acct := p.must(200, "POST", "/api/v1/makers/"+w.maker+"/stripe/onboarding", w.coord, nil).str("accountId")

	// 40 paid orders while the maker's account cannot take payouts yet: their earnings wait.
	const orders = 40
	for i := range orders {
		r := p.mustCheckout(w.products[i%2])
		if d := p.deliver(paidEvent(r.str("orderId"), int64(r.json["total"].(float64)))); d.status != 200 {
			t.Fatalf("webhook: %d %s", d.status, d.body)
		}
		// Wages are payable once the package is sent.
		p.must(200, "POST", "/api/v1/orders/"+r.str("orderId")+"/ship", w.coord, map[string]any{"carrier": "India Post"})
	}
	transfers := func() []stripetest.Request {
		var out []stripetest.Request
		for _, r := range sm.Requests("POST", "/v1/transfers") {
			if r.Path == "/v1/transfers" {
				out = append(out, r)
			}
		}
		return out
	}
	if n := len(transfers()); n != 0 {
		t.Fatalf("%d transfers before payouts were enabled", n)
	}
	// Payouts come on: the worker starts the batch; it is killed after a few transfers.
	if d := p.deliver(accountReady(acct)); d.status != 200 {
		t.Fatalf("account.updated: %d %s", d.status, d.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(transfers()) < 3 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	p.kill()
	before := len(transfers())
	t.Logf("killed after %d of %d transfers", before, orders)

	// Restarted: the worker finishes what was pending. An entry the dead process had claimed
	// stays "transferring" until its 5-minute lease runs out.
	p = start(t, env(dir, sm.URL))
	waitFor := func(cond func() bool) bool {
		for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			if cond() {
				return true
			}
		}
		return false
	}
	earnings := func() map[string]int {
		r := p.must(200, "GET", "/api/v1/makers/"+w.maker+"/earnings", w.coord, nil)
		st := map[string]int{}
		for _, e := range r.json["entries"].([]any) {
			st[e.(map[string]any)["status"].(string)]++
		}
		return st
	}
	waitFor(func() bool { st := earnings(); return st["pending"] == 0 })
	st := earnings()
	p.stop()
	t.Logf("after the restart: %v", st)

	// The lease runs out (a later clock on the reopened store): the claimed entries are resumed.
	a, closeDB := offline(t, dir, sm.URL)
	defer closeDB()
	a.Payments.Now = func() time.Time { return time.Now().Add(6 * time.Minute) }
	if _, err := a.Payments.ProcessLedger(context.Background()); err != nil {
		t.Fatal(err)
	}
	var entries []payments.Entry
	cur, err := a.DB.Read("ledger").Find(context.Background(), bson.M{"kind": payments.KindEarning})
	if err == nil {
		err = cur.All(context.Background(), &entries)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != orders {
		t.Fatalf("%d earnings, want %d", len(entries), orders)
	}
	keys := map[string]int{}
	for _, r := range transfers() {
		keys[r.IdempotencyKey]++
	}
	for _, e := range entries {
		if e.Status != payments.EntryTransferred || e.TransferID == "" {
			t.Errorf("earning %s: %s after restart and lease expiry", e.ID, e.Status)
		}
		if keys["fh-transfer-"+e.ID] == 0 {
			t.Errorf("earning %s transferred without a request under its key", e.ID)
		}
	}
	resent := 0
	for k, n := range keys {
		if !strings.HasPrefix(k, "fh-transfer-") {
			t.Errorf("transfer sent without the entry's idempotency key: %q", k)
		}
		if n > 1 {
			resent++ // the same key again: Stripe answers with the first transfer, no second payment
		}
	}
	if len(keys) != orders {
		t.Errorf("%d distinct transfer keys for %d earnings", len(keys), orders)
	}
	t.Logf("%d transfer requests, %d distinct keys, %d resent under the same key after the crash", len(transfers()), len(keys), resent)
}

// Killed while a maker's photo is still arriving over a slow connection: after the restart the
// product has no image and the image store holds no partial file.
func TestFaultKillDuringImageUpload(t *testing.T) {
	dir := t.TempDir()
	p := start(t, env(dir, ""))
	w := setup(t, p, 1, 5)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, _ := http.NewRequest("POST", p.base+"/api/v1/products/"+w.products[0]+"/images", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+w.makerTok)
	errc := make(chan error, 1)
	go func() {
		res, err := faultClient.Do(req)
		if err == nil {
			res.Body.Close()
			err = fmt.Errorf("upload answered %d", res.StatusCode)
		}
		errc <- err
	}()
	part, _ := mw.CreateFormFile("image", "scarf.jpg")
	chunk := bytes.Repeat([]byte{0xFF, 0xD8, 0xFF, 0xE0}, 16<<10/4) // 16 KiB at a time, slowly
	written := 0
	for written < 1<<20 {
		if _, err := part.Write(chunk); err != nil {
			t.Fatal(err)
		}
		written += len(chunk)
		time.Sleep(5 * time.Millisecond)
	}
	p.kill() // 1 MiB of a larger photo received
	pw.CloseWithError(io.ErrClosedPipe)
	if err := <-errc; err == nil {
		t.Fatal("the upload completed")
	}

	p = start(t, env(dir, ""))
	r := p.must(200, "GET", "/api/v1/products/"+w.products[0]+"/private", w.makerTok, nil)
	if imgs, _ := r.json["images"].([]any); len(imgs) != 0 {
		t.Errorf("product has %d images after an interrupted upload", len(imgs))
	}
	p.stop()
	a, closeDB := offline(t, dir, "")
	defer closeDB()
	for _, coll := range []string{"images.files", "images.chunks"} {
		n, err := a.DB.Read(coll).CountDocuments(context.Background(), bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d documents after an interrupted upload", coll, n)
		}
	}
}

// switchable is a way to Stripe that can be cut: while down, every connection is dropped, as
// when Stripe (or the network to it) is unavailable. It records the idempotency keys it saw.
type switchable struct {
	down atomic.Bool
	mu   sync.Mutex
	seen []stripetest.Request
}

func (s *switchable) start(t *testing.T, upstream string) string {
	target, _ := url.Parse(upstream)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, stripetest.Request{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key")})
		s.mu.Unlock()
		if s.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (s *switchable) transferKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.seen {
		if r.Method == "POST" && r.Path == "/v1/transfers" {
			out = append(out, r.IdempotencyKey)
		}
	}
	return out
}

// Stripe unreachable: checkout answers 503 with a clear message and takes no stock; a transfer
// that fails is retried later under the same key and goes through once Stripe is back.
func TestFaultStripeUnavailable(t *testing.T) {
	sm := stripetest.Start(t)
	var sw switchable
	stripeURL := sw.start(t, sm.URL)
	dir := t.TempDir()
	p := start(t, env(dir, stripeURL))
	w := setup(t, p, 1, 5)
	acct := p.must(200, "POST", "/api/v1/makers/"+w.maker+"/stripe/onboarding", w.coord, nil).str("accountId")
	if d := p.deliver(accountReady(acct)); d.status != 200 {
		t.Fatal(d.status)
	}
	order := p.mustCheckout(w.products[0])

	sw.down.Store(true)
	start := time.Now()
	r, err := checkout(p.base, checkoutBody(w.products[0]))
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusServiceUnavailable || r.code() != "payment_provider_unavailable" ||
		!strings.Contains(string(r.body), "try again") {
		t.Fatalf("checkout with Stripe down: %d %s", r.status, r.body)
	}
	t.Logf("checkout with Stripe down answered %d in %s: %s", r.status, time.Since(start).Round(time.Millisecond), r.body)
	if pr := p.must(200, "GET", "/api/v1/products/"+w.products[0], "", nil); pr.json["stock"].(float64) != 4 {
		t.Errorf("stock %v after a refused checkout, want 4 (one unit in the first order)", pr.json["stock"])
	}

	// The first order is paid while Stripe is down: the earning is credited, its transfer fails.
	if d := p.deliver(paidEvent(order.str("orderId"), int64(order.json["total"].(float64)))); d.status != 200 {
		t.Fatalf("webhook: %d %s", d.status, d.body)
	}
	p.must(200, "POST", "/api/v1/orders/"+order.str("orderId")+"/ship", w.coord, map[string]any{"carrier": "India Post"})
	deadline := time.Now().Add(30 * time.Second)
	for len(sw.transferKeys()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(sw.transferKeys()) == 0 {
		t.Fatal("no transfer was attempted")
	}
	sw.down.Store(false)
	// Retried with backoff (10 s after the first failure) and recorded.
	var status string
	for end := time.Now().Add(45 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		e := p.must(200, "GET", "/api/v1/makers/"+w.maker+"/earnings", w.coord, nil).json["entries"].([]any)
		if status = e[0].(map[string]any)["status"].(string); status == payments.EntryTransferred {
			break
		}
	}
	keys := sw.transferKeys()
	if status != payments.EntryTransferred {
		t.Fatalf("earning %s after Stripe came back", status)
	}
	for _, k := range keys {
		if k != keys[0] || !strings.HasPrefix(k, "fh-transfer-") {
			t.Fatalf("retry keys differ: %v", keys)
		}
	}
	t.Logf("transfer attempts %d, all under %s", len(keys), keys[0])
}

// freePort returns a TCP port free at the time of asking.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// devdb runs the FerretDB helper in a process of its own until stopped.
func devdb(t *testing.T, addr, dir string) (stop func()) {
	t.Helper()
	cmd := exec.Command(binaries(t)["devdb"], "-addr", addr, "-dir", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "devdb listening") {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("devdb did not start")
	}
	var once sync.Once
	stop = func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	t.Cleanup(stop)
	return stop
}

func mongoEnv(dir, uri string) map[string]string {
	e := env(dir, "")
	e["MONGODB_URI"], e["SESSION_SECRET"], e["DATA_ENCRYPTION_KEY"], e["ALLOW_TEST_PAYMENTS"] =
		uri, strings.Repeat("k", 32), fieldcrypt.NewKey(), "true"
	return e
}

// The database goes away: /readyz says so within ~2 s, API requests fail fast with a JSON 5xx,
// and the app recovers by itself when the database is back.
func TestFaultDatabaseUnavailable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FerretDB in a process of its own")
	}
	addr, dbDir := freePort(t), t.TempDir()
	stopDB := devdb(t, addr, dbDir)
	p := start(t, mongoEnv(t.TempDir(), "mongodb://"+addr+"/"))
	w := setup(t, p, 1, 5)
	p.must(200, "GET", "/readyz", "", nil)

	stopDB()
	timed := func(path, token string) (resp, time.Duration, error) {
		start := time.Now()
		r, err := call("GET", p.base+path, token, nil)
		return r, time.Since(start), err
	}
	r, d, err := timed("/readyz", "")
	if err != nil || r.status != http.StatusServiceUnavailable || d > 3*time.Second {
		t.Errorf("/readyz with the database down: %v %d in %s", err, r.status, d)
	}
	r, d, err = timed("/api/v1/products/"+w.products[0]+"/private", w.makerTok)
	t.Logf("API request with the database down: %d in %s: %s", r.status, d.Round(time.Millisecond), r.body)
	if err != nil || r.status < 500 || r.json["error"] == nil {
		t.Errorf("API request with the database down: %v %d %s", err, r.status, r.body)
	}
	// A request fails fast (the short server-selection timeout) and says "try again": 503.
	if d > 5*time.Second {
		t.Errorf("an API request with the database down took %s", d.Round(time.Millisecond))
	}
	if r.status != http.StatusServiceUnavailable || r.code() != "database_unavailable" {
		t.Errorf("the outage is answered %d %q, not 503 database_unavailable", r.status, r.code())
	}
	// A signed-in page gets the site's HTML "try again" page with 503 too, not a redirect to
	// the login page (her session is fine) and not a 500.
	req, _ := http.NewRequest("GET", p.base+"/maker?lang=hi", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: w.makerTok})
	start := time.Now()
	res, err := faultClient.Do(req)
	if err != nil {
		t.Fatalf("page with the database down: %v", err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	t.Logf("page with the database down: %d in %s", res.StatusCode, time.Since(start).Round(time.Millisecond))
	if res.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(page), "फिर कोशिश") {
		t.Errorf("page with the database down: %d %s\n%.400s", res.StatusCode, res.Header.Get("Content-Type"), page)
	}

	devdb(t, addr, dbDir)
	back := time.Now()
	var ready bool
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end) && !ready; time.Sleep(250 * time.Millisecond) {
		r, _ := call("GET", p.base+"/readyz", "", nil)
		ready = r.status == http.StatusOK
	}
	if !ready {
		t.Fatal("the app did not become ready again after the database came back")
	}
	t.Logf("ready again %s after the database came back", time.Since(back).Round(10*time.Millisecond))
	p.must(200, "GET", "/api/v1/products/"+w.products[0]+"/private", w.makerTok, nil)
	p.mustCheckout(w.products[0])
}

// Three instances on one MongoDB, each running its payout worker, each receiving every payment
// event (Stripe retries land anywhere): every earning is transferred exactly once.
func TestFaultThreeInstancesOnMongoDB(t *testing.T) {
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		t.Skip("set MONGODB_URI to run the three-instance test")
	}
	sm := stripetest.Start(t)
	e := mongoEnv(t.TempDir(), uri)
	e["MONGODB_DATABASE"] = fmt.Sprintf("faults_%d", time.Now().UnixNano())
	delete(e, "ALLOW_TEST_PAYMENTS")
	e["STRIPE_SECRET_KEY"], e["STRIPE_API_URL"], e["STRIPE_WEBHOOK_SECRET"] = stripetest.Key, sm.URL, stripetest.WebhookSecret
	var ps []*proc
	for range 3 {
		ei := map[string]string{}
		for k, v := range e {
			ei[k] = v
		}
		ei["DATA_DIR"] = t.TempDir()
		ps = append(ps, start(t, ei))
	}
	w := setup(t, ps[0], 2, 100)
	acct := ps[0].must(200, "POST", "/api/v1/makers/"+w.maker+"/stripe/onboarding", w.coord, nil).str("accountId")
	if d := ps[1].deliver(accountReady(acct)); d.status != 200 {
		t.Fatal(d.status)
	}
	const orders = 20
	var wg sync.WaitGroup
	for i := range orders {
		r := ps[i%3].mustCheckout(w.products[i%2])
		ev := paidEvent(r.str("orderId"), int64(r.json["total"].(float64)))
		for _, p := range ps { // the same event to every instance at once
			wg.Add(1)
			go func() { defer wg.Done(); p.deliver(ev) }()
		}
	}
	wg.Wait()
	var st map[string]int
	for end := time.Now().Add(90 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		st = map[string]int{}
		for _, e := range ps[2].must(200, "GET", "/api/v1/makers/"+w.maker+"/earnings", w.coord, nil).json["entries"].([]any) {
			st[e.(map[string]any)["status"].(string)]++
		}
		if st[payments.EntryTransferred] == orders {
			break
		}
	}
	keys := map[string]int{}
	for _, r := range sm.Requests("POST", "/v1/transfers") {
		if r.Path == "/v1/transfers" {
			keys[r.IdempotencyKey]++
		}
	}
	if st[payments.EntryTransferred] != orders || len(keys) != orders {
		t.Fatalf("earnings %v, %d distinct transfer keys, want %d of each", st, len(keys), orders)
	}
	for k, n := range keys {
		if n > 1 {
			t.Errorf("transfer %s sent %d times", k, n)
		}
	}
}

// rawProducts is the catalog's product store itself: the fault tests check stock and holds as
// stored, beneath the service.
func rawProducts(t *testing.T, db *store.DB) *catalog.ProductStore {
	t.Helper()
	st, err := catalog.NewProductStore(context.Background(), db)
	if err != nil {
		t.Fatalf("product store: %v", err)
	}
	return st
}
