package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/store"
)

// collection is where queued mail lives.
const collection = "outbox"

// The states of a queued mail. queued → sending (claimed, with a lease) → sent; a failed attempt
// goes back to queued with a later nextAttemptAt, and the last one to failed.
const (
	StatusQueued  = "queued"
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// ErrNotFound is returned by Outbox.Get when no mail has the key.
var ErrNotFound = errors.New("mail not found")

// Entry is one mail in the outbox, as stored.
type Entry struct {
	ID string `bson:"_id"`
	// Key is the idempotency key (unique); "id:<ID>" when the caller gave none.
	Key      string `bson:"key"`
	To       string `bson:"to"`
	Lang     string `bson:"lang"`
	Template string `bson:"template"`
	Subject  string `bson:"subject"`
	// Text and HTML are the bodies, kept until the mail is sent.
	Text   string `bson:"text,omitempty"`
	HTML   string `bson:"html,omitempty"`
	Status string `bson:"status"`
	// Attempts counts claims, including one whose worker died mid-send.
	Attempts int `bson:"attempts"`
	// NextAttemptAt is when the mail is next due: for a queued mail the (backed-off) retry
	// time, for a sending one the end of its lease, after which another worker takes it over.
	NextAttemptAt time.Time `bson:"nextAttemptAt"`
	// Claim identifies the worker attempt holding the lease; only it may complete the mail.
	Claim string `bson:"claim,omitempty"`
	// LastError is the most recent failure, kept after a later success as a record of it.
	LastError string     `bson:"lastError,omitempty"`
	CreatedAt time.Time  `bson:"createdAt"`
	SentAt    *time.Time `bson:"sentAt,omitempty"`
	FailedAt  *time.Time `bson:"failedAt,omitempty"`
}

// Outbox queues e-mail in the database and delivers it in the background. Any number of workers
// (Run), in one process or several sharing a MongoDB, may deliver from the same outbox: each
// mail is claimed by one compare-and-set, so it is sent once unless a worker stalls past its lease.
//
// The exported fields tune timing; set them before Run starts. Tests shorten them.
type Outbox struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// PollInterval is how often an idle worker looks for due mail (Enqueue also wakes workers
	// in the same process at once). Default 2 s.
	PollInterval time.Duration
	// Lease is how long a claimed mail stays with its worker; if the worker has not finished
	// by then (it crashed), another takes the mail over. Keep it well above SendTimeout.
	// Default 5 min.
	Lease time.Duration
	// SendTimeout bounds one delivery attempt. Default 1 min.
	SendTimeout time.Duration
	// Backoff is the wait after the first failed attempt; it doubles after each further one,
	// up to MaxBackoff. Defaults 3 min and 8 h: ten attempts span about 21 hours.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts is how many attempts a mail gets before it is marked failed. Default 10.
	MaxAttempts int
	// Retention is how long sent mail is kept (for support questions and idempotency) before
	// workers delete it. Default 14 days. Failed mail is kept.
	Retention time.Duration

	db     *store.DB
	sender Sender
	log    *slog.Logger
	tpl    *templates
	// wake lets Enqueue start an idle worker at once instead of at its next poll.
	wake chan struct{}

	// On the embedded store (one process, and every query but {_id} reads the whole outbox)
	// waiting holds the mail this process knows is queued, by id and due time, so a worker
	// claims by _id without searching; a search at start and every rescanEvery finds what the
	// process cannot know (mail queued before a restart, a lease that ran out).
	waitMu   sync.Mutex
	waiting  map[string]time.Time
	lastScan time.Time
}

// rescanEvery is how often the embedded outbox searches the collection for mail it does not
// know about.
const rescanEvery = time.Minute

// NewOutbox parses the templates, creates the outbox's indexes and returns an outbox delivering
// through sender. It fails if a template is broken or the indexes cannot be made.
func NewOutbox(ctx context.Context, db *store.DB, sender Sender, log *slog.Logger) (*Outbox, error) {
	if sender == nil {
		return nil, errors.New("outbox: no sender")
	}
	if log == nil {
		log = slog.Default()
	}
	tpl, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	err = db.EnsureIndexes(ctx, collection,
		mongo.IndexModel{Keys: bson.D{{Key: "key", Value: 1}}, Options: options.Index().SetUnique(true)},
		mongo.IndexModel{Keys: bson.D{{Key: "status", Value: 1}, {Key: "nextAttemptAt", Value: 1}}},
	)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Outbox{
		PollInterval: 2 * time.Second,
		Lease:        5 * time.Minute,
		SendTimeout:  time.Minute,
		Backoff:      3 * time.Minute,
		MaxBackoff:   8 * time.Hour,
		MaxAttempts:  10,
		Retention:    14 * 24 * time.Hour,
		db:           db, sender: sender, log: log, tpl: tpl,
		wake: make(chan struct{}, 1),
	}, nil
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// Render renders m as it would be sent, without queueing it (previews, tests).
func (o *Outbox) Render(m Message) (Content, error) {
	if err := checkMessage(m); err != nil {
		return Content{}, err
	}
	c, err := o.tpl.render(m.Template, m.Lang, m.Data)
	if err != nil {
		return Content{}, fault.New(fault.Invalid, "invalid_mail", "mail %s: %v", m.Template, err)
	}
	return c, nil
}

// Templates lists the template names the outbox knows.
func (o *Outbox) Templates() []string { return o.tpl.names() }

// checkMessage refuses an address that is not one address (which also stops header injection).
func checkMessage(m Message) error {
	a, err := mail.ParseAddress(m.To)
	if err != nil || strings.ContainsAny(m.To, "\r\n") || strings.ContainsAny(a.Address, " ,;<>") {
		return fault.New(fault.Invalid, "invalid_mail_address", "mail %s: %q is not an e-mail address", m.Template, m.To)
	}
	return nil
}

// Enqueue renders m and stores it for delivery, returning as soon as it is stored. Its errors:
// a fault.Invalid error when the address, template or data are wrong (a bug in the caller), or
// a wrapped database error. A Key already queued (or sent within Retention) is not an error:
// the message is dropped, so callers may enqueue from handlers that can run twice.
func (o *Outbox) Enqueue(ctx context.Context, m Message) error {
	c, err := o.Render(m)
	if err != nil {
		return err
	}
	now := o.now()
	id := primitive.NewObjectID().Hex()
	key := m.Key
	if key == "" {
		key = "id:" + id
	}
	e := Entry{
		ID: id, Key: key, To: m.To, Lang: o.tpl.language(m.Template, m.Lang), Template: m.Template,
		Subject: c.Subject, Text: c.Text, HTML: c.HTML,
		Status: StatusQueued, NextAttemptAt: now, CreatedAt: now,
	}
	if _, err := o.db.Write(collection).InsertOne(ctx, e); err != nil {
		if store.IsDuplicate(err) {
			return nil
		}
		return fmt.Errorf("queue mail %s: %w", m.Template, err)
	}
	o.expect(e.ID, now)
	select {
	case o.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// Get returns the mail queued under key (a Message's Key), or ErrNotFound.
func (o *Outbox) Get(ctx context.Context, key string) (Entry, error) {
	var e Entry
	err := o.db.Read(collection).FindOne(ctx, bson.M{"key": key}).Decode(&e)
	if store.IsNotFound(err) {
		return Entry{}, ErrNotFound
	}
	if err != nil {
		return Entry{}, fmt.Errorf("load mail: %w", err)
	}
	return e, nil
}

// Run delivers due mail until ctx ends: it drains what is due, then waits for Enqueue's wake-up
// or the next poll. Errors are logged, never fatal, so a database hiccup only delays mail.
func (o *Outbox) Run(ctx context.Context) {
	var lastPurge time.Time
	for ctx.Err() == nil {
		for ctx.Err() == nil {
			worked, err := o.deliverOne(ctx)
			if err != nil {
				if ctx.Err() == nil {
					o.log.Warn("outbox: deliver", "err", err.Error())
				}
				break
			}
			if !worked {
				break
			}
		}
		if now := o.now(); now.Sub(lastPurge) >= time.Hour {
			lastPurge = now
			if err := o.purge(ctx, now); err != nil && ctx.Err() == nil {
				o.log.Warn("outbox: purge sent mail", "err", err.Error())
			}
		}
		t := time.NewTimer(o.PollInterval)
		select {
		case <-ctx.Done():
		case <-o.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// claim takes the next due mail by compare-and-set: a queued mail whose time has come, or a
// sending one whose lease ran out. The filter and update run as one findOneAndUpdate through the
// write connection, so two workers never hold the same claim. It returns mongo.ErrNoDocuments
// when nothing is due.
//
// On the embedded store, where any query but {_id} decodes the whole collection, the due mail is
// looked up through the read connections and then claimed by _id (store.FindOneAndUpdateIf), so
// the search does not hold up every other write.
func (o *Outbox) claim(ctx context.Context, now time.Time) (Entry, error) {
	due := bson.M{"status": bson.M{"$in": bson.A{StatusQueued, StatusSending}}, "nextAttemptAt": bson.M{"$lte": now}}
	update := bson.M{
		"$set": bson.M{"status": StatusSending, "nextAttemptAt": now.Add(o.Lease), "claim": primitive.NewObjectID().Hex()},
		"$inc": bson.M{"attempts": 1},
	}
	first := bson.D{{Key: "nextAttemptAt", Value: 1}}
	var e Entry
	if !o.db.Embedded {
		err := o.db.Write(collection).FindOneAndUpdate(ctx, due, update,
			options.FindOneAndUpdate().SetSort(first).SetReturnDocument(options.After)).Decode(&e)
		if err != nil {
			return Entry{}, err
		}
		return e, nil
	}
	ids := o.dueIDs(ctx, now)
	for i, id := range ids {
		f := bson.M{"_id": id}
		for k, v := range due {
			f[k] = v
		}
		ok, err := o.db.FindOneAndUpdateIf(ctx, collection, f, update, &e)
		if err != nil || ok {
			// The ones not tried (and this one, if the claim failed) wait for the next call.
			rest := ids[i+1:]
			if err != nil {
				rest = ids[i:]
			}
			for _, r := range rest {
				o.expect(r, now)
			}
			if err != nil {
				return Entry{}, err
			}
			return e, nil
		}
		// No longer due (sent, or claimed and still leased): forget it.
	}
	return Entry{}, mongo.ErrNoDocuments
}

// expect notes that mail id is waiting, due at.
func (o *Outbox) expect(id string, at time.Time) {
	if !o.db.Embedded {
		return
	}
	o.waitMu.Lock()
	defer o.waitMu.Unlock()
	if o.waiting == nil {
		o.waiting = map[string]time.Time{}
	}
	o.waiting[id] = at
}

// dueIDs takes up to eight waiting mails due by now, earliest first, out of the waiting set
// (the caller claims them or puts them back), searching the outbox first at start and every
// rescanEvery.
func (o *Outbox) dueIDs(ctx context.Context, now time.Time) []string {
	o.waitMu.Lock()
	scan := o.waiting == nil || now.Sub(o.lastScan) >= rescanEvery || now.Before(o.lastScan)
	if scan {
		o.lastScan = now
	}
	o.waitMu.Unlock()
	if scan {
		cur, err := o.db.Read(collection).Find(ctx, bson.M{"status": bson.M{"$in": bson.A{StatusQueued, StatusSending}}},
			options.Find().SetProjection(bson.M{"_id": 1, "nextAttemptAt": 1}))
		var found []struct {
			ID            string    `bson:"_id"`
			NextAttemptAt time.Time `bson:"nextAttemptAt"`
		}
		if err == nil {
			err = cur.All(ctx, &found)
		}
		if err != nil {
			o.log.Warn("outbox: look for waiting mail", "err", err.Error())
			o.waitMu.Lock()
			o.lastScan = time.Time{} // try again next time
			o.waitMu.Unlock()
		}
		for _, f := range found {
			o.expect(f.ID, f.NextAttemptAt)
		}
	}
	o.waitMu.Lock()
	defer o.waitMu.Unlock()
	type w struct {
		id string
		at time.Time
	}
	var due []w
	for id, at := range o.waiting {
		if !at.After(now) {
			due = append(due, w{id, at})
		}
	}
	slices.SortFunc(due, func(a, b w) int { return a.at.Compare(b.at) })
	var ids []string
	for _, d := range due[:min(len(due), 8)] {
		ids = append(ids, d.id)
		delete(o.waiting, d.id)
	}
	return ids
}

// deliverOne claims one due mail and tries to send it. It reports whether there was one.
func (o *Outbox) deliverOne(ctx context.Context) (bool, error) {
	e, err := o.claim(ctx, o.now())
	if store.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim mail: %w", err)
	}
	if e.Attempts > o.MaxAttempts {
		// The last attempt's worker died mid-send; it may even have delivered. Stop here.
		return true, o.finish(ctx, e, errors.New("the last attempt did not complete (worker stopped)"))
	}
	sctx, cancel := context.WithTimeout(ctx, o.SendTimeout)
	err = o.sender.Send(sctx, Mail{ID: e.ID, To: e.To, Subject: e.Subject, Text: e.Text, HTML: e.HTML,
		Template: e.Template, Date: o.now()})
	cancel()
	if err != nil && ctx.Err() != nil {
		// Shutting down: hand the mail back untouched, not counted, for the next start.
		return true, o.release(e)
	}
	return true, o.finish(ctx, e, err)
}

// bookkeeping gives the status update after a send its own short deadline, detached from the
// worker's context: a mail that was sent must be marked sent even while the worker stops.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// finish records the outcome of an attempt: sent, queued again after a backoff, or failed.
// The update only applies while the claim is still ours.
func (o *Outbox) finish(ctx context.Context, e Entry, sendErr error) error {
	ctx, cancel := bookkeeping(ctx)
	defer cancel()
	now := o.now()
	var set bson.M
	unset := bson.M{"claim": ""}
	switch {
	case sendErr == nil:
		// The bodies go once delivered: the mail kept for support questions and idempotency
		// needs only who, what and when; and every claim decodes the whole outbox on the
		// embedded store, where bodies were nine tenths of its bytes.
		set = bson.M{"status": StatusSent, "sentAt": now}
		unset["text"], unset["html"] = "", ""
	case IsPermanent(sendErr) || e.Attempts >= o.MaxAttempts:
		set = bson.M{"status": StatusFailed, "failedAt": now, "lastError": sendErr.Error()}
		o.log.Error("outbox: mail failed for good", "id", e.ID, "key", e.Key, "template", e.Template,
			"attempts", e.Attempts, "err", sendErr.Error())
	default:
		next := now.Add(o.backoff(e.Attempts))
		set = bson.M{"status": StatusQueued, "nextAttemptAt": next, "lastError": sendErr.Error()}
		defer o.expect(e.ID, next)
		o.log.Warn("outbox: mail not sent, will retry", "id", e.ID, "template", e.Template,
			"attempts", e.Attempts, "retryAt", next, "err", sendErr.Error())
	}
	ok, err := o.db.UpdateIf(ctx, collection, bson.M{"_id": e.ID, "claim": e.Claim},
		bson.M{"$set": set, "$unset": unset})
	if err != nil {
		return fmt.Errorf("record mail %s: %w", e.ID, err)
	}
	if !ok {
		// Our lease ran out and another worker took the mail over: it decides now.
		o.log.Warn("outbox: lease lost before the attempt was recorded", "id", e.ID)
	}
	return nil
}

// release returns a claimed mail to the queue as if it had not been claimed.
func (o *Outbox) release(e Entry) error {
	ctx, cancel := bookkeeping(context.Background())
	defer cancel()
	_, err := o.db.UpdateIf(ctx, collection, bson.M{"_id": e.ID, "claim": e.Claim}, bson.M{
		"$set":   bson.M{"status": StatusQueued, "nextAttemptAt": o.now()},
		"$inc":   bson.M{"attempts": -1},
		"$unset": bson.M{"claim": ""},
	})
	if err != nil {
		return fmt.Errorf("release mail %s: %w", e.ID, err)
	}
	o.expect(e.ID, o.now())
	return nil
}

// backoff is the wait after the given number of failed attempts: Backoff doubled per attempt,
// at most MaxBackoff.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.Backoff
	for i := 1; i < attempts && d < o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.MaxBackoff)
}

// purge deletes sent mail older than Retention, so the outbox (which every claim scans on the
// embedded store) stays small and buyers' addresses are not kept longer than needed.
func (o *Outbox) purge(ctx context.Context, now time.Time) error {
	_, err := o.db.Write(collection).DeleteMany(ctx, bson.M{"status": StatusSent, "sentAt": bson.M{"$lt": now.Add(-o.Retention)}})
	if err != nil {
		return fmt.Errorf("delete old mail: %w", err)
	}
	return nil
}
