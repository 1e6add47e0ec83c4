// Command mixed drives a running marketplace with the traffic of a busy day at once — storefront
// pages, searches, product pages, guest checkouts of one or two products, and Stripe's
// checkout.session.completed deliveries for the orders made (some twice, some late and out of
// order, from several goroutines) — and prints throughput, p50/p99 per action and error counts.
//
//	go run ./loadtest/mixed -url http://127.0.0.1:8080 -webhook-secret whsec_... -duration 5m -c 32 -spread
//
// The server needs Stripe configured (stripe-mock is fine: STRIPE_API_URL) with the same webhook
// secret, and published products in stock (`marketplace seed --products 200`). The invariants —
// nothing oversold, every paid order's shares reconcile — are checked from the database by
// mixed_test.go, which runs the same mix against an in-process app.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fairhands/marketplace/payments/stripetest"
)

// Config is one load run.
type Config struct {
	URL           string
	Duration      time.Duration
	Concurrency   int
	WebhookSecret string
	// Deliverers is how many goroutines deliver webhook events.
	Deliverers int
	// Products and Words, when empty, are read from the storefront before the run.
	Products []string
	Words    []string
}

// Action names.
const (
	ActBrowse   = "browse"
	ActSearch   = "search"
	ActProduct  = "product"
	ActCheckout = "checkout"
	ActWebhook  = "webhook"
)

// ActionStats are one action's figures.
type ActionStats struct {
	Count     int
	Latencies []time.Duration
	// Status counts every answer by HTTP status; 0 is a transport error.
	Status map[int]int
}

// Report is a run's result.
type Report struct {
	Elapsed time.Duration // the traffic phase; rates are over it
	Drain   time.Duration // delivering the payment events still queued after it
	Actions map[string]*ActionStats
	Orders  int // orders created
	Paid    int // orders sent a checkout.session.completed
	Dupes   int // deliveries repeated
	Late    int // deliveries held back and sent out of order
	SoldOut int // checkouts answered 409 out of stock (expected once stock runs out)
	// Redelivered counts webhook deliveries sent again after a failure or a timeout, as Stripe
	// does; each failed attempt is also in the webhook's statuses (0 for a timeout).
	Redelivered int
	// Backlog is the most payment events seen waiting for a deliverer: it grows when the app
	// acknowledges events more slowly than checkouts create orders.
	Backlog  int
	Failures []string
}

type recorder struct {
	mu sync.Mutex
	r  *Report
}

func (rc *recorder) add(action string, d time.Duration, status int, note string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	a := rc.r.Actions[action]
	if a == nil {
		a = &ActionStats{Status: map[int]int{}}
		rc.r.Actions[action] = a
	}
	a.Count++
	a.Latencies = append(a.Latencies, d)
	a.Status[status]++
	if note != "" && len(rc.r.Failures) < 20 {
		rc.r.Failures = append(rc.r.Failures, note)
	}
}

// order is a created order waiting for its payment event.
type order struct {
	id    string
	total int64
}

// Run sends the mix until cfg.Duration has passed, then delivers the payment events still held
// back, and returns the figures.
func Run(ctx context.Context, cfg Config, client *http.Client) (*Report, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Deliverers <= 0 {
		cfg.Deliverers = 4
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency + cfg.Deliverers}}
	}
	if len(cfg.Products) == 0 {
		ids, words, err := Discover(ctx, client, cfg.URL)
		if err != nil {
			return nil, err
		}
		cfg.Products, cfg.Words = ids, words
	}
	if len(cfg.Products) == 0 {
		return nil, fmt.Errorf("no published products at %s: seed some first", cfg.URL)
	}
	if len(cfg.Words) == 0 {
		cfg.Words = []string{"silk", "brass", "cotton", "scarf", "bag"}
	}
	rep := &Report{Actions: map[string]*ActionStats{}}
	rc := &recorder{r: rep}
	var orders, paid, dupes, late, soldOut, redelivered, backlog atomic.Int64

	queue := make(chan []byte, 100000)
	var pendingLate sync.WaitGroup
	var deliverers sync.WaitGroup
	for range cfg.Deliverers {
		deliverers.Add(1)
		go func() {
			defer deliverers.Done()
			for payload := range queue {
				if n := int64(len(queue)); n > backlog.Load() {
					backlog.Store(n) // a rough peak: deliverers race, it is a figure, not a check
				}
				// Stripe redelivers an event it got no 2xx for; so does the mix, up to 3 times.
				for try := 0; try < 3 && !deliver(client, cfg.URL, cfg.WebhookSecret, payload, rc); try++ {
					redelivered.Add(1)
				}
			}
		}()
	}
	enqueue := func(o order, rnd *rand.Rand) {
		if rnd.IntN(100) < 10 { // an abandoned cart: its reservation stays until it expires
			return
		}
		paid.Add(1)
		payload := stripetest.Event(fmt.Sprintf("evt_load_%s", o.id), "checkout.session.completed", paidSession(o), time.Now())
		switch n := rnd.IntN(100); {
		case n < 25: // Stripe delivers it twice (same event id), to whichever goroutine takes it
			dupes.Add(1)
			queue <- payload
			queue <- payload
		case n < 40: // late: sent after later orders' events
			late.Add(1)
			pendingLate.Add(1)
			time.AfterFunc(time.Duration(500+rnd.IntN(2500))*time.Millisecond, func() {
				defer pendingLate.Done()
				queue <- payload
			})
		case n < 50: // a second event for the same payment (another event id), out of order
			dupes.Add(1)
			queue <- payload
			pendingLate.Add(1)
			again := stripetest.Event(fmt.Sprintf("evt_load2_%s", o.id), "checkout.session.completed", paidSession(o), time.Now())
			time.AfterFunc(time.Duration(200+rnd.IntN(1000))*time.Millisecond, func() {
				defer pendingLate.Done()
				queue <- again
			})
		default:
			queue <- payload
		}
	}

	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var workers sync.WaitGroup
	for w := range cfg.Concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for runCtx.Err() == nil {
				switch n := rnd.IntN(100); {
				case n < 30:
					get(client, ActBrowse, fmt.Sprintf("%s/api/v1/products?page=%d&perPage=24", cfg.URL, 1+rnd.IntN(4)), rc)
				case n < 50:
					get(client, ActSearch, fmt.Sprintf("%s/api/v1/products?q=%s", cfg.URL, cfg.Words[rnd.IntN(len(cfg.Words))]), rc)
				case n < 75:
					get(client, ActProduct, cfg.URL+"/api/v1/products/"+cfg.Products[rnd.IntN(len(cfg.Products))], rc)
				default:
					o, status := checkout(client, cfg, rnd, rc)
					switch {
					case o.id != "":
						orders.Add(1)
						enqueue(o, rnd)
					case status == http.StatusConflict:
						soldOut.Add(1)
					}
				}
			}
		}()
	}
	workers.Wait()
	rep.Elapsed = time.Since(start)
	pendingLate.Wait()
	close(queue)
	deliverers.Wait()
	rep.Drain = time.Since(start) - rep.Elapsed
	rep.Orders, rep.Paid, rep.Dupes, rep.Late, rep.SoldOut = int(orders.Load()), int(paid.Load()), int(dupes.Load()), int(late.Load()), int(soldOut.Load())
	rep.Redelivered, rep.Backlog = int(redelivered.Load()), int(backlog.Load())
	return rep, nil
}

// paidSession is the completed Checkout Session of an order, its payment intent expanded with
// the charge (as the app asks Stripe to), so no charge lookup is needed. It carries no session id:
// stripe-mock answers every session creation with the same fixture id, which the app stored and
// would check an id against; the app finds the order by its metadata.
func paidSession(o order) map[string]any {
	return map[string]any{"object": "checkout.session", "client_reference_id": o.id,
		"metadata": map[string]any{"order_id": o.id}, "payment_status": "paid", "status": "complete",
		"payment_intent": map[string]any{"id": "pi_" + o.id, "object": "payment_intent", "latest_charge": "ch_" + o.id},
		"amount_total":   o.total, "currency": "inr"}
}

func get(client *http.Client, action, url string, rc *recorder) {
	t := time.Now()
	res, err := client.Get(url)
	if err != nil {
		rc.add(action, time.Since(t), 0, action+": "+err.Error())
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	note := ""
	if res.StatusCode != http.StatusOK {
		note = fmt.Sprintf("%s %s: %d", action, url, res.StatusCode)
	}
	rc.add(action, time.Since(t), res.StatusCode, note)
}

func checkout(client *http.Client, cfg Config, rnd *rand.Rand, rc *recorder) (order, int) {
	n := 1 + rnd.IntN(2)
	var lines []map[string]any
	for _, i := range rnd.Perm(len(cfg.Products))[:min(n, len(cfg.Products))] {
		lines = append(lines, map[string]any{"productId": cfg.Products[i], "quantity": 1 + rnd.IntN(2)})
	}
	body, _ := json.Marshal(map[string]any{"items": lines, "email": "load@test.example",
		"shippingAddress": map[string]any{"name": "Load Buyer", "line1": "1 Park Street", "city": "Kolkata", "postalCode": "700016", "country": "IN"}})
	t := time.Now()
	res, err := client.Post(cfg.URL+"/api/v1/checkout", "application/json", bytes.NewReader(body))
	if err != nil {
		rc.add(ActCheckout, time.Since(t), 0, "checkout: "+err.Error())
		return order{}, 0
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t)
	var out struct {
		OrderID string `json:"orderId"`
		Total   int64  `json:"total"`
	}
	note := ""
	if res.StatusCode == http.StatusCreated || res.StatusCode == http.StatusOK {
		if json.Unmarshal(b, &out) != nil || out.OrderID == "" {
			note = "checkout: no order id in " + string(b)
		}
	} else if res.StatusCode != http.StatusConflict {
		note = fmt.Sprintf("checkout: %d %s", res.StatusCode, b)
	}
	rc.add(ActCheckout, d, res.StatusCode, note)
	return order{id: out.OrderID, total: out.Total}, res.StatusCode
}

// deliver posts one signed event and reports whether the app acknowledged it.
func deliver(client *http.Client, base, secret string, payload []byte, rc *recorder) bool {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/stripe/webhook", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", stripetest.Sign(payload, secret))
	t := time.Now()
	res, err := client.Do(req)
	if err != nil {
		rc.add(ActWebhook, time.Since(t), 0, "webhook: "+err.Error())
		return false
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	note := ""
	if res.StatusCode != http.StatusOK {
		note = fmt.Sprintf("webhook: %d %s", res.StatusCode, b)
	}
	rc.add(ActWebhook, time.Since(t), res.StatusCode, note)
	return res.StatusCode == http.StatusOK
}

// Discover reads the storefront's products (ids, and title words to search for).
func Discover(ctx context.Context, client *http.Client, base string) (ids, words []string, err error) {
	seen := map[string]bool{}
	for page := 1; page <= 50; page++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/products?page=%d&perPage=100", base, page), nil)
		res, err := client.Do(req)
		if err != nil {
			return nil, nil, fmt.Errorf("read the storefront: %w", err)
		}
		var p struct {
			Items []struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"items"`
		}
		err = json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read the storefront: %w", err)
		}
		if len(p.Items) == 0 {
			break
		}
		for _, it := range p.Items {
			ids = append(ids, it.ID)
			for _, w := range strings.Fields(strings.ToLower(it.Title)) {
				if len(w) > 3 && !seen[w] {
					seen[w] = true
					words = append(words, w)
				}
			}
		}
	}
	return ids, words, nil
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	total := 0
	for _, a := range r.Actions {
		total += a.Count
	}
	fmt.Fprintf(w, "duration %s (+%s delivering queued payment events), %d requests, %.1f req/s\n",
		r.Elapsed.Round(time.Millisecond), r.Drain.Round(time.Millisecond), total, float64(total)/r.Elapsed.Seconds())
	fmt.Fprintf(w, "orders %d (payment events for %d; %d repeated, %d late/out of order; %d redelivered after a failed attempt), checkouts refused as sold out %d\n",
		r.Orders, r.Paid, r.Dupes, r.Late, r.Redelivered, r.SoldOut)
	fmt.Fprintf(w, "payment events waiting for a deliverer at most: %d\n", r.Backlog)
	fmt.Fprintf(w, "%-9s %7s %8s %9s %9s %9s  %s\n", "action", "count", "req/s", "p50", "p99", "max", "statuses")
	names := make([]string, 0, len(r.Actions))
	for k := range r.Actions {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		a := r.Actions[k]
		fmt.Fprintf(w, "%-9s %7d %8.1f %9s %9s %9s  %v\n", k, a.Count, float64(a.Count)/r.Elapsed.Seconds(),
			pct(a.Latencies, 50), pct(a.Latencies, 99), pct(a.Latencies, 100), a.Status)
	}
	for _, f := range r.Failures {
		fmt.Fprintln(w, "  failure:", f)
	}
}

// Errors counts answers that are neither success nor the expected "sold out" conflict. A
// webhook delivery that timed out (status 0) is not counted: it is a latency figure (see p99 and
// Redelivered), and the event was delivered again; a webhook answered 5xx is an error.
func (r *Report) Errors() int {
	n := 0
	for name, a := range r.Actions {
		for st, c := range a.Status {
			if st == 0 && name == ActWebhook {
				continue
			}
			if st == 0 || st >= 500 || (st >= 400 && st != http.StatusConflict) {
				n += c
			}
		}
	}
	return n
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s) - 1) * p / 100
	return s[i].Round(100 * time.Microsecond)
}

func main() {
	var cfg Config
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the marketplace's base URL")
	flag.DurationVar(&cfg.Duration, "duration", time.Minute, "how long to send traffic")
	flag.IntVar(&cfg.Concurrency, "c", 32, "concurrent clients")
	flag.IntVar(&cfg.Deliverers, "webhook-c", 4, "concurrent webhook deliverers")
	flag.StringVar(&cfg.WebhookSecret, "webhook-secret", stripetest.WebhookSecret, "the app's STRIPE_WEBHOOK_SECRET")
	spread := flag.Bool("spread", false, "send each request from another 127.x loopback address (a local server only): "+
		"checkout is rate limited per client address, and the mix stands for many buyers")
	flag.Parse()
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	var client *http.Client
	if *spread {
		var n atomic.Int64
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			i := n.Add(1)
			local := &net.TCPAddr{IP: net.IPv4(127, 2, byte(i/250%250), byte(1+i%250))}
			return (&net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		}
		client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, DialContext: dial}}
	}
	rep, err := Run(context.Background(), cfg, client)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mixed:", err)
		os.Exit(1)
	}
	rep.Print(os.Stdout)
	if rep.Errors() > 0 {
		os.Exit(1)
	}
}
