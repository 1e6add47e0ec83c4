// Package notify sends the e-mails buyers and coordinators expect (order confirmed, shipped,
// refunded; a new order to prepare, a listing to review, a daily digest of follow-ups) through a
// durable outbox, so a slow or failing mail server never slows a request and a restart loses no
// e-mail.
//
// Callers hand Outbox.Enqueue a Message: an address, a language, a template name and the data the
// template needs. Enqueue renders it at once (so a caller's mistake fails in the caller, not a day
// later in a worker), stores it in the outbox collection and returns; Outbox.Run delivers it in
// the background through a Sender: SMTP when SMTP_URL is set, otherwise .eml files in a folder
// that DevHandler lists for developers.
//
// The package takes addresses, never people: it has no notion of makers, and callers decide who
// gets mail. Makers get none by default (many have no address; their notices live on their home
// page). No template has a place for a maker's legal name or contact: a maker appears only by the
// display name they chose (Item.MakerDisplayName, the makerDisplayName data key).
package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// The templates a Message may name. The data keys each one needs are listed on the constant;
// every key is required (a missing one fails Enqueue), money amounts are int64 minor units
// (paise for INR) with a separate ISO currency code, and links are absolute https URLs.
const (
	// OrderConfirmation thanks a buyer for a paid order. Data: orderNumber (string),
	// items ([]Item), total (int64), currency (string), orderURL (string).
	OrderConfirmation = "order_confirmation"
	// OrderShipped tells a buyer their order is on its way. Data: orderNumber, trackingNumber,
	// carrier (string; "" when unknown), orderURL.
	OrderShipped = "order_shipped"
	// PackageSent tells a buyer one package of their order is on its way. Data: orderNumber,
	// number and of (int: package 1 of 2), items ([]Item, that package's), carrier and
	// trackingNumber (string; "" when unknown), orderURL.
	PackageSent = "package_sent"
	// OrderRefunded tells a buyer money was returned. Data: orderNumber, amount (int64),
	// currency, orderURL.
	OrderRefunded = "order_refunded"
	// CoordinatorNewOrder asks a program's coordinator to prepare a paid order. Data:
	// orderNumber, program (program name), items ([]Item), currency, orderURL (the
	// coordinator's page for the order).
	CoordinatorNewOrder = "coordinator_new_order"
	// CoordinatorListingReview tells a coordinator a listing waits for review. Data:
	// productTitle, makerDisplayName, program, reviewURL.
	CoordinatorListingReview = "coordinator_listing_review"
	// CoordinatorDigest is the daily list of follow-ups due. Data: date (time.Time, the day
	// the digest is for), followUps ([]FollowUp), dashboardURL (string).
	CoordinatorDigest = "coordinator_digest"
)

// The languages templates are written in. Buyer templates exist in all three; coordinator
// templates in English, which is used for any language a template lacks.
const (
	English = "en"
	Hindi   = "hi"
	Bengali = "bn"
)

// Message is one e-mail to queue: to whom, in which language, which template with what data.
type Message struct {
	// To is the recipient's address ("a@example.org" or "Name <a@example.org>").
	To string
	// Lang is "en", "hi" or "bn"; empty or unknown means English.
	Lang string
	// Template is one of the template constants (OrderConfirmation, …).
	Template string
	// Data holds the template's keys, as listed on its constant.
	Data map[string]any
	// Key, when set, makes the message idempotent: a second Enqueue with the same Key is
	// accepted and dropped, so an event handled twice (a retried webhook) mails once.
	// Name it after the event, e.g. "order_paid:<orderID>".
	Key string
}

// Item is one line of an order in an e-mail.
type Item struct {
	Title string
	// MakerDisplayName is the name the maker chose to be shown by; never a legal name.
	MakerDisplayName string
	Quantity         int
	// UnitPrice is in minor units of the order's currency.
	UnitPrice int64
}

// Total is the line's amount in minor units; templates call it.
func (i Item) Total() int64 { return i.UnitPrice * int64(i.Quantity) }

// FollowUp is one follow-up due, as listed in a coordinator's digest.
type FollowUp struct {
	// Title says what to do, in English; name makers in it only by display name.
	Title string
	// Months, Maker (her display name), Track and Program are the parts of the title, for mail
	// in other languages.
	Months                int
	Maker, Track, Program string
	Due                   time.Time
	// URL opens the record the follow-up is about.
	URL string
}

// Mail is a rendered e-mail ready for a Sender.
type Mail struct {
	// ID is stable across retries; senders derive the Message-ID header from it so a mail
	// delivered twice (a lease that expired mid-send) is recognisable as one.
	ID       string
	To       string
	Subject  string
	Text     string
	HTML     string
	Template string
	// Date is when the send was attempted; the Date header.
	Date time.Time
}

// Sender delivers one rendered mail. An error wrapped by Permanent means retrying cannot help
// (the server refused the recipient); any other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, m Mail) error
}

// permanentError marks a failure no retry can fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent wraps err so the outbox marks the message failed at once instead of retrying, for
// refusals such as an unknown mailbox that a retry would only repeat.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// NewSender returns the Sender the configuration asks for: SMTP when smtpURL is set (see
// NewSMTPSender for its form), otherwise a DirSender writing into dir, which is created. It
// fails when both are empty, so a deployment cannot silently drop mail.
func NewSender(smtpURL, dir string) (Sender, error) {
	if smtpURL != "" {
		return NewSMTPSender(smtpURL)
	}
	if dir == "" {
		return nil, errors.New("mail sender: neither SMTP_URL nor a mail folder is configured")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail sender: create mail folder: %w", err)
	}
	return &DirSender{Dir: dir}, nil
}
