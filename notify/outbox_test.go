package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/store/storetest"
)

// newTestOutbox opens a fresh embedded store and an outbox on it with timings short enough
// for tests.
func newTestOutbox(tb testing.TB, sender Sender) *Outbox {
	tb.Helper()
	db := storetest.New(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := NewOutbox(ctx, db, sender, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatalf("new outbox: %v", err)
	}
	o.PollInterval = 20 * time.Millisecond
	o.Backoff = 10 * time.Millisecond
	o.MaxBackoff = 40 * time.Millisecond
	o.Lease = 10 * time.Second
	o.SendTimeout = 5 * time.Second
	return o
}

// smtpSenderFor builds the sender from an SMTP_URL pointing at ts, as production does.
func smtpSenderFor(tb testing.TB, ts *testSMTP, scheme, userinfo string) *SMTPSender {
	tb.Helper()
	s, err := NewSender(scheme+"://"+userinfo+ts.Addr+"?from=Fair%20Hands%20%3Cshop%40example.org%3E", "")
	if err != nil {
		tb.Fatalf("new sender: %v", err)
	}
	ss := s.(*SMTPSender)
	if ts.Roots != nil {
		ss.TLSConfig = &tls.Config{RootCAs: ts.Roots}
	}
	return ss
}

// startWorkers runs n workers until the test ends.
func startWorkers(tb testing.TB, o *Outbox, n int) context.CancelFunc {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); o.Run(ctx) }()
	}
	stop := func() { cancel(); wg.Wait() }
	tb.Cleanup(stop)
	return stop
}

func confirmationData(orderNumber string) map[string]any {
	return map[string]any{
		"orderNumber": orderNumber,
		"items": []Item{
			{Title: "Silver jhumka earrings", MakerDisplayName: "Asha", Quantity: 2, UnitPrice: 6172800},
			{Title: "Kantha stole", MakerDisplayName: "Mou", Quantity: 1, UnitPrice: 0},
		},
		"total":    int64(12345600),
		"currency": "INR",
		"orderURL": "https://shop.example.org/orders/" + orderNumber,
	}
}

func mustEnqueue(tb testing.TB, o *Outbox, m Message) {
	tb.Helper()
	if err := o.Enqueue(context.Background(), m); err != nil {
		tb.Fatalf("enqueue %s: %v", m.Template, err)
	}
}

func mustEntry(tb testing.TB, o *Outbox, key string) Entry {
	tb.Helper()
	e, err := o.Get(context.Background(), key)
	if err != nil {
		tb.Fatalf("get %s: %v", key, err)
	}
	return e
}

// waitStatus waits until the mail under key has the status.
func waitStatus(tb testing.TB, o *Outbox, key, status string, timeout time.Duration) Entry {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		e := mustEntry(tb, o, key)
		if e.Status == status {
			return e
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mail %s: status %s after %v, want %s (attempts %d, last error %q)", key, e.Status, timeout, status, e.Attempts, e.LastError)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestQueuedMailArrivesWithBothParts(t *testing.T) {
	ts := startSMTP(t, smtpOptions{})
	o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
	startWorkers(t, o, 1)

	mustEnqueue(t, o, Message{To: "Priya Buyer <priya@example.com>", Lang: English, Template: OrderConfirmation,
		Data: confirmationData("FH-1001"), Key: "order_paid:FH-1001"})
	mustEnqueue(t, o, Message{To: "ravi@example.com", Lang: Hindi, Template: OrderShipped,
		Data: map[string]any{"orderNumber": "FH-1002", "trackingNumber": "EK123456789IN", "carrier": "India Post",
			"orderURL": "https://shop.example.org/orders/FH-1002"}, Key: "order_shipped:FH-1002"})

	got := ts.waitFor(t, 2, 10*time.Second)
	byTo := map[string]received{}
	for _, r := range got {
		byTo[r.To[0]] = r
	}

	en := byTo["priya@example.com"]
	if en.From != "shop@example.org" {
		t.Errorf("envelope from = %q", en.From)
	}
	m := en.Mail
	if m.Subject != "Your Fair Hands order FH-1001 is confirmed" {
		t.Errorf("subject = %q", m.Subject)
	}
	if m.From != `"Fair Hands" <shop@example.org>` || m.To != `"Priya Buyer" <priya@example.com>` {
		t.Errorf("From %q, To %q", m.From, m.To)
	}
	for _, h := range []string{"Date", "Message-Id", "Mime-Version", "Content-Type", "Auto-Submitted"} {
		if m.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/alternative;") {
		t.Errorf("content type %q", m.Header.Get("Content-Type"))
	}
	if !strings.HasSuffix(m.Header.Get("Message-Id"), "@example.org>") {
		t.Errorf("message id %q", m.Header.Get("Message-Id"))
	}
	for _, want := range []string{"Order number: FH-1001", "Silver jhumka earrings (made by Asha): 2 × ₹61,728.00 = ₹1,23,456.00",
		"Total: ₹1,23,456.00", "https://shop.example.org/orders/FH-1001"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, m.Text)
		}
	}
	for _, want := range []string{`<html lang="en">`, `href="https://shop.example.org/orders/FH-1001"`, "₹1,23,456.00", "made by Asha"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	for _, line := range strings.Split(string(en.Raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line longer than SMTP allows: %d", len(line))
		}
	}

	hi := byTo["ravi@example.com"].Mail
	if hi.Subject != "आपका ऑर्डर FH-1002 भेज दिया गया है" {
		t.Errorf("Hindi subject = %q", hi.Subject)
	}
	if raw := hi.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?b?") {
		t.Errorf("Hindi subject not RFC 2047 encoded: %q", raw)
	}
	for _, want := range []string{"ट्रैकिंग नंबर: EK123456789IN", "कूरियर कंपनी: India Post", "https://shop.example.org/orders/FH-1002"} {
		if !strings.Contains(hi.Text, want) {
			t.Errorf("Hindi text lacks %q:\n%s", want, hi.Text)
		}
	}
	if !strings.Contains(hi.HTML, `<html lang="hi">`) {
		t.Errorf("Hindi HTML not marked lang=hi")
	}

	e := waitStatus(t, o, "order_paid:FH-1001", StatusSent, 5*time.Second)
	if e.Attempts != 1 || e.SentAt == nil {
		t.Errorf("stored entry: attempts %d, sentAt %v", e.Attempts, e.SentAt)
	}
	// Once delivered, only who, what and when are kept.
	if e.Text != "" || e.HTML != "" || e.Subject == "" || e.To == "" {
		t.Errorf("sent mail kept: text %d bytes, html %d bytes, subject %q, to %q", len(e.Text), len(e.HTML), e.Subject, e.To)
	}
}

func TestSMTPTransports(t *testing.T) {
	for _, tc := range []struct {
		name, scheme, tls string
	}{
		{"STARTTLS with AUTH", "smtp", "starttls"},
		{"implicit TLS with AUTH", "smtps", "implicit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startSMTP(t, smtpOptions{tls: tc.tls, auth: true})
			s := smtpSenderFor(t, ts, tc.scheme, "shop:s3cret%20pass@")
			err := s.Send(context.Background(), Mail{ID: "m1", To: "a@example.com", Subject: "Hello", Text: "hi\n", HTML: "<p>hi</p>"})
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			r := ts.waitFor(t, 1, 5*time.Second)[0]
			if !r.TLS || r.AuthUser != "shop" {
				t.Errorf("TLS %v, authenticated as %q", r.TLS, r.AuthUser)
			}
		})
	}
	t.Run("wrong password is not delivered", func(t *testing.T) {
		ts := startSMTP(t, smtpOptions{tls: "starttls", auth: true})
		s := smtpSenderFor(t, ts, "smtp", "shop:wrong@")
		err := s.Send(context.Background(), Mail{ID: "m1", To: "a@example.com", Subject: "Hello", Text: "hi\n", HTML: "<p>hi</p>"})
		if err == nil || !strings.Contains(err.Error(), "AUTH") {
			t.Fatalf("send with a wrong password: %v", err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("error leaks the password: %v", err)
		}
	})
}

func TestDuplicateKeyIsQueuedOnce(t *testing.T) {
	ts := startSMTP(t, smtpOptions{})
	o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
	m := Message{To: "priya@example.com", Template: OrderConfirmation, Data: confirmationData("FH-2001"), Key: "order_paid:FH-2001"}
	for range 3 {
		mustEnqueue(t, o, m)
	}
	n, err := o.db.Read(collection).CountDocuments(context.Background(), bson.M{"key": "order_paid:FH-2001"})
	if err != nil || n != 1 {
		t.Fatalf("stored %d copies (err %v), want 1", n, err)
	}
	// Without a key, each Enqueue is its own mail.
	m.Key = ""
	mustEnqueue(t, o, m)
	mustEnqueue(t, o, m)
	startWorkers(t, o, 1)
	ts.waitFor(t, 3, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	if got := len(ts.Mails()); got != 3 {
		t.Errorf("%d mails arrived, want 3", got)
	}
}

func TestTemporaryFailuresAreRetriedUntilDelivered(t *testing.T) {
	ts := startSMTP(t, smtpOptions{failFirst: 3})
	o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
	startWorkers(t, o, 1)
	mustEnqueue(t, o, Message{To: "priya@example.com", Lang: Bengali, Template: OrderRefunded,
		Data: map[string]any{"orderNumber": "FH-3001", "amount": int64(250000), "currency": "INR",
			"orderURL": "https://shop.example.org/orders/FH-3001"}, Key: "refund:FH-3001"})
	got := ts.waitFor(t, 1, 10*time.Second)
	e := waitStatus(t, o, "refund:FH-3001", StatusSent, 5*time.Second)
	if e.Attempts != 4 || !strings.Contains(e.LastError, "451") {
		t.Errorf("attempts %d, last error %q; want 4 attempts after three 451s", e.Attempts, e.LastError)
	}
	if _, data := ts.counts(); data != 4 || len(got) != 1 {
		t.Errorf("DATA %d times, %d mails arrived", data, len(got))
	}
	if want := "আপনার অর্ডার FH-3001-এর ₹2,500.00 ফেরত দেওয়া হয়েছে।"; !strings.Contains(got[0].Mail.Text, want) {
		t.Errorf("Bengali text lacks %q:\n%s", want, got[0].Mail.Text)
	}
}

func TestGivesUpAfterMaxAttemptsAndOnPermanentRefusal(t *testing.T) {
	t.Run("server keeps failing", func(t *testing.T) {
		ts := startSMTP(t, smtpOptions{failFirst: 1000})
		o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
		o.MaxAttempts = 3
		startWorkers(t, o, 1)
		mustEnqueue(t, o, Message{To: "a@example.com", Template: OrderConfirmation, Data: confirmationData("FH-4001"), Key: "k"})
		e := waitStatus(t, o, "k", StatusFailed, 10*time.Second)
		if e.Attempts != 3 || e.FailedAt == nil || !strings.Contains(e.LastError, "451") {
			t.Errorf("failed entry: attempts %d, failedAt %v, last error %q", e.Attempts, e.FailedAt, e.LastError)
		}
		time.Sleep(100 * time.Millisecond)
		if _, data := ts.counts(); data != 3 {
			t.Errorf("server saw %d attempts, want 3", data)
		}
	})
	t.Run("recipient refused", func(t *testing.T) {
		ts := startSMTP(t, smtpOptions{rejectRcpt: true})
		o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
		startWorkers(t, o, 1)
		mustEnqueue(t, o, Message{To: "gone@example.com", Template: OrderConfirmation, Data: confirmationData("FH-4002"), Key: "k"})
		e := waitStatus(t, o, "k", StatusFailed, 10*time.Second)
		if e.Attempts != 1 || !strings.Contains(e.LastError, "550") {
			t.Errorf("attempts %d, last error %q; want one attempt refused with 550", e.Attempts, e.LastError)
		}
	})
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func TestMailOfACrashedWorkerIsSentAfterItsLease(t *testing.T) {
	ts := startSMTP(t, smtpOptions{})
	o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	o.Now = clk.Now
	o.Lease = 5 * time.Minute
	mustEnqueue(t, o, Message{To: "a@example.com", Template: OrderConfirmation, Data: confirmationData("FH-5001"), Key: "k"})

	// A worker claims the mail and dies before sending it.
	dead, err := o.claim(context.Background(), clk.Now())
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	if dead.Status != StatusSending || !dead.NextAttemptAt.Equal(clk.Now().Add(5*time.Minute)) {
		t.Fatalf("claimed entry: %+v", dead)
	}

	startWorkers(t, o, 2)
	clk.Add(4 * time.Minute) // lease still running: nobody may take it over
	time.Sleep(300 * time.Millisecond)
	if n := len(ts.Mails()); n != 0 {
		t.Fatalf("%d mails sent while the lease held", n)
	}
	clk.Add(2 * time.Minute) // lease expired
	ts.waitFor(t, 1, 5*time.Second)
	e := waitStatus(t, o, "k", StatusSent, 5*time.Second)
	if e.Attempts != 2 {
		t.Errorf("attempts %d, want 2 (the crashed one and the retry)", e.Attempts)
	}
	// The dead worker's claim no longer counts: if it woke up, it could not overwrite the result.
	if err := o.finish(context.Background(), dead, errors.New("late")); err != nil {
		t.Fatal(err)
	}
	if e := mustEntry(t, o, "k"); e.Status != StatusSent {
		t.Errorf("a stale claim changed the status to %s", e.Status)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(ts.Mails()); n != 1 {
		t.Errorf("%d mails arrived, want 1", n)
	}
}

func TestSlowServerDoesNotBlockEnqueue(t *testing.T) {
	const delay = 2 * time.Second
	ts := startSMTP(t, smtpOptions{delay: delay})
	o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
	startWorkers(t, o, 1)
	mustEnqueue(t, o, Message{To: "a@example.com", Template: OrderConfirmation, Data: confirmationData("FH-6001"), Key: "first"})
	// Wait until the worker is inside the slow conversation.
	deadline := time.Now().Add(5 * time.Second)
	for mails, _ := ts.counts(); mails == 0; mails, _ = ts.counts() {
		if time.Now().After(deadline) {
			t.Fatal("worker never reached the server")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var slowest time.Duration
	for i := range 5 {
		start := time.Now()
		mustEnqueue(t, o, Message{To: "b@example.com", Template: OrderConfirmation, Data: confirmationData("FH-600x"), Key: fmt.Sprint("more", i)})
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("slowest Enqueue while the server stalls for %v: %v", delay, slowest)
	if slowest > delay/4 {
		t.Errorf("Enqueue took %v while the mail server was slow; it must not wait for it", slowest)
	}
	ts.setDelay(0)
	ts.waitFor(t, 6, 15*time.Second) // nothing lost
}

func TestStoppingAWorkerMidSendKeepsTheMail(t *testing.T) {
	ts := startSMTP(t, smtpOptions{delay: 3 * time.Second})
	o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
	stop := startWorkers(t, o, 1)
	mustEnqueue(t, o, Message{To: "a@example.com", Template: OrderConfirmation, Data: confirmationData("FH-7001"), Key: "k"})
	deadline := time.Now().Add(5 * time.Second)
	for mails, _ := ts.counts(); mails == 0; mails, _ = ts.counts() {
		if time.Now().After(deadline) {
			t.Fatal("worker never reached the server")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("stopping the worker took %v", d)
	}
	e := mustEntry(t, o, "k")
	if e.Status != StatusQueued || e.Attempts != 0 {
		t.Fatalf("after shutdown: status %s, attempts %d; want queued, 0", e.Status, e.Attempts)
	}
	// The next start delivers it.
	ts.setDelay(0)
	startWorkers(t, o, 1)
	waitStatus(t, o, "k", StatusSent, 10*time.Second)
}

func TestSeveralWorkersSendEachMailOnce(t *testing.T) {
	ts := startSMTP(t, smtpOptions{})
	o := newTestOutbox(t, smtpSenderFor(t, ts, "smtp", ""))
	const n = 15
	for i := range n {
		mustEnqueue(t, o, Message{To: fmt.Sprintf("buyer%d@example.com", i), Template: OrderConfirmation,
			Data: confirmationData(fmt.Sprint("FH-8", i)), Key: fmt.Sprint("k", i)})
	}
	startWorkers(t, o, 4)
	ts.waitFor(t, n, 15*time.Second)
	time.Sleep(300 * time.Millisecond)
	got := ts.Mails()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.To[0]]++
	}
	if len(got) != n || len(seen) != n {
		t.Errorf("%d mails to %d recipients, want %d each once: %v", len(got), len(seen), n, seen)
	}
}

func TestEnqueueRefusesBadMessages(t *testing.T) {
	o := newTestOutbox(t, &DirSender{Dir: t.TempDir()})
	good := confirmationData("FH-9001")
	without := func(key string) map[string]any {
		d := map[string]any{}
		for k, v := range good {
			if k != key {
				d[k] = v
			}
		}
		return d
	}
	floatTotal := without("total")
	floatTotal["total"] = 1234.5
	for _, tc := range []struct {
		name string
		m    Message
	}{
		{"unknown template", Message{To: "a@example.com", Template: "welcome", Data: good}},
		{"missing data key", Message{To: "a@example.com", Template: OrderConfirmation, Data: without("orderURL")}},
		{"no data", Message{To: "a@example.com", Template: OrderConfirmation}},
		{"money as float", Message{To: "a@example.com", Template: OrderConfirmation, Data: floatTotal}},
		{"header injection", Message{To: "a@example.com\r\nBcc: b@example.com", Template: OrderConfirmation, Data: good}},
		{"two addresses", Message{To: "a@example.com, b@example.com", Template: OrderConfirmation, Data: good}},
		{"no address", Message{To: "", Template: OrderConfirmation, Data: good}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := o.Enqueue(context.Background(), tc.m)
			if fault.KindOf(err) != fault.Invalid {
				t.Errorf("Enqueue = %v, want an Invalid fault", err)
			}
		})
	}
	n, _ := o.db.Read(collection).CountDocuments(context.Background(), bson.M{})
	if n != 0 {
		t.Errorf("%d refused messages were stored", n)
	}
}

func TestEveryTemplateRendersInEveryLanguage(t *testing.T) {
	o := newTestOutbox(t, &DirSender{Dir: t.TempDir()})
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	data := map[string]map[string]any{
		OrderConfirmation: confirmationData("FH-1"),
		OrderShipped:      {"orderNumber": "FH-1", "trackingNumber": "T1", "carrier": "", "orderURL": "https://x.example/o/1"},
		PackageSent: {"orderNumber": "FH-1", "number": 1, "of": 2, "items": confirmationData("x")["items"], "trackingNumber": "T1",
			"carrier": "India Post", "orderURL": "https://x.example/o/1"},
		OrderRefunded: {"orderNumber": "FH-1", "amount": 150000, "currency": "INR", "orderURL": "https://x.example/o/1"},
		CoordinatorNewOrder: {"orderNumber": "FH-1", "program": "Kolkata Jewellery Workshop", "items": confirmationData("x")["items"],
			"currency": "INR", "orderURL": "https://x.example/c/o/1"},
		CoordinatorListingReview: {"productTitle": "Brass bangle", "makerDisplayName": "Asha", "program": "Kolkata Jewellery Workshop",
			"reviewURL": "https://x.example/c/review/1"},
		CoordinatorDigest: {"date": day, "dashboardURL": "https://x.example/c/followups", "followUps": []FollowUp{
			{Title: "3-month follow-up: Asha (Polishing, Kolkata Jewellery Workshop)", Months: 3, Maker: "Asha", Track: "Polishing",
				Program: "Kolkata Jewellery Workshop", Due: day, URL: "https://x.example/c/f/1"},
			{Title: "6-month follow-up: Mou (Stringing, Kolkata Jewellery Workshop)", Months: 6, Maker: "Mou", Track: "Stringing",
				Program: "Kolkata Jewellery Workshop", Due: day.AddDate(0, 0, -1), URL: "https://x.example/c/f/2"}}},
	}
	if got, want := len(o.Templates()), len(data); got != want {
		t.Errorf("%d templates, %d tested: %v", got, want, o.Templates())
	}
	scripts := map[string]func(rune) bool{
		English: func(r rune) bool { return r < 0x80 },
		Hindi:   func(r rune) bool { return r >= 0x0900 && r <= 0x097F },
		Bengali: func(r rune) bool { return r >= 0x0980 && r <= 0x09FF },
	}
	for _, name := range o.Templates() {
		for _, lang := range []string{English, Hindi, Bengali} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				c, err := o.Render(Message{To: "a@example.com", Lang: lang, Template: name, Data: data[name]})
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				for part, s := range map[string]string{"subject": c.Subject, "text": c.Text, "html": c.HTML} {
					if s == "" || strings.Contains(s, "<no value>") || strings.Contains(s, "%!") {
						t.Errorf("%s part is broken: %q", part, s)
					}
				}
				wantLang := lang // buyers' and coordinators' mail alike
				if !strings.ContainsFunc(c.Subject, scripts[wantLang]) || !strings.ContainsFunc(c.Text, scripts[wantLang]) {
					t.Errorf("not written in %s: %q", wantLang, c.Subject)
				}
				if !strings.Contains(c.HTML, `<html lang="`+wantLang+`">`) {
					t.Errorf("HTML not marked as %s", wantLang)
				}
				if strings.Contains(c.Text, "\n\n\n") {
					t.Errorf("text has runs of blank lines:\n%s", c.Text)
				}
			})
		}
	}
}

func TestHTMLPartEscapesData(t *testing.T) {
	o := newTestOutbox(t, &DirSender{Dir: t.TempDir()})
	d := confirmationData("FH-1")
	d["items"] = []Item{{Title: `<img src=x onerror=alert(1)>`, MakerDisplayName: "Asha", Quantity: 1, UnitPrice: 100}}
	d["orderURL"] = "javascript:alert(1)"
	c, err := o.Render(Message{To: "a@example.com", Template: OrderConfirmation, Data: d})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.HTML, "<img") || strings.Contains(c.HTML, `href="javascript:`) {
		t.Errorf("HTML part lets data through unescaped:\n%s", c.HTML)
	}
}
