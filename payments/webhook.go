package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

var (
	errWebhookOff = fault.New(fault.Invalid, "webhook_not_configured", "STRIPE_WEBHOOK_SECRET is not set, so no Stripe event can be verified")
	errBadSig     = fault.New(fault.Invalid, "bad_signature", "the Stripe-Signature header is missing or does not match the payload")
	errBadEvent   = fault.New(fault.Invalid, "bad_event", "the event has no id or no data")
	errNotAnEvent = fault.New(fault.Invalid, "invalid_payload", "the body is not a Stripe event: it must be the event's JSON object, as Stripe sends it")
)

// WebhookResult says what became of a delivered event.
type WebhookResult struct {
	EventID   string `json:"eventId"`
	Type      string `json:"type"`
	Duplicate bool   `json:"duplicate"`
	// Created is when Stripe created the event, for measuring webhook lag.
	Created time.Time `json:"-"`
}

// HandleWebhook verifies a Stripe event delivery against STRIPE_WEBHOOK_SECRET (one secret, or
// several separated by commas: the platform endpoint's and the Connect endpoint's) and processes it
// exactly once: the event id is claimed by an insert, so a second delivery (to this instance or
// another) changes nothing. If processing fails the claim is dropped and the error returned, so
// the caller answers non-2xx and Stripe delivers the event again.
//
// Events of any API version are accepted on purpose (ConstructEventWithOptions with
// IgnoreAPIVersionMismatch): the handlers read only a few long-stable fields of each object
// from its raw JSON, so an endpoint pinned to a newer version than stripe-go v76's does not
// break payments.
func (s *Service) HandleWebhook(ctx context.Context, payload []byte, signature string) (WebhookResult, error) {
	if s.cfg.StripeWebhookSecret == "" {
		return WebhookResult{}, errWebhookOff
	}
	// Several secrets may be set, comma-separated: Stripe signs the platform's endpoint and the
	// Connect endpoint (which receives connected accounts' account.updated) with different ones.
	var evt stripe.Event
	var err error = errBadSig
	for _, secret := range strings.Split(s.cfg.StripeWebhookSecret, ",") {
		if secret = strings.TrimSpace(secret); secret == "" {
			continue
		}
		if evt, err = webhook.ConstructEventWithOptions(payload, signature, secret,
			webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true}); err == nil {
			break
		}
	}
	if err == nil && signedInFuture(signature, time.Now()) {
		err = errBadSig
	}
	if err != nil {
		// stripe-go reports a bad signature and a signed body that is not an event with one
		// untyped error; a body that is not an event is the sender's mistake whatever its
		// signature says, so it is told as such.
		var probe stripe.Event
		if json.Unmarshal(payload, &probe) != nil {
			return WebhookResult{}, errNotAnEvent
		}
		return WebhookResult{}, errBadSig
	}
	if evt.ID == "" || evt.Data == nil || len(evt.Data.Raw) == 0 {
		return WebhookResult{}, errBadEvent
	}
	res := WebhookResult{EventID: evt.ID, Type: string(evt.Type), Created: time.Unix(evt.Created, 0)}
	claimed, err := s.events.claim(ctx, evt.ID, res.Type, s.now())
	if err != nil {
		return res, err
	}
	if !claimed {
		res.Duplicate = true
		return res, nil
	}
	if err := s.dispatch(ctx, res.Type, evt.Created, evt.Data.Raw); err != nil {
		if rerr := s.events.release(context.WithoutCancel(ctx), evt.ID); rerr != nil {
			s.log.Error("release event claim", "event", evt.ID, "err", rerr.Error())
		}
		return res, err
	}
	return res, s.events.done(context.WithoutCancel(ctx), evt.ID, s.now())
}

// signedInFuture reports whether the Stripe-Signature header is dated more than Stripe's
// tolerance after now. stripe-go refuses only signatures older than the tolerance; one dated
// ahead would stay valid for as long as its date lies ahead, so a captured or forged-in-advance
// delivery could be replayed long after. Stripe's own libraries refuse both directions.
func signedInFuture(header string, now time.Time) bool {
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k != "t" {
			continue
		}
		ts, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return true
		}
		return time.Unix(ts, 0).Sub(now) > webhook.DefaultTolerance
	}
	return false
}

// The parts of Stripe objects the handlers read.
type (
	sessionObject struct {
		ID                string            `json:"id"`
		ClientReferenceID string            `json:"client_reference_id"`
		Metadata          map[string]string `json:"metadata"`
		PaymentIntent     json.RawMessage   `json:"payment_intent"`
		PaymentStatus     string            `json:"payment_status"`
		AmountTotal       int64             `json:"amount_total"`
		Currency          string            `json:"currency"`
	}
	accountObject struct {
		ID             string            `json:"id"`
		PayoutsEnabled bool              `json:"payouts_enabled"`
		Capabilities   map[string]string `json:"capabilities"`
		Metadata       map[string]string `json:"metadata"`
	}
	refundObject struct {
		ID       string            `json:"id"`
		Amount   int64             `json:"amount"`
		Metadata map[string]string `json:"metadata"`
	}
	chargeObject struct {
		ID             string            `json:"id"`
		PaymentIntent  json.RawMessage   `json:"payment_intent"`
		TransferGroup  string            `json:"transfer_group"`
		Metadata       map[string]string `json:"metadata"`
		Amount         int64             `json:"amount"`
		AmountRefunded int64             `json:"amount_refunded"`
		Refunded       bool              `json:"refunded"`
		Refunds        *struct {
			Data []refundObject `json:"data"`
		} `json:"refunds"`
	}
	disputeObject struct {
		ID            string          `json:"id"`
		Charge        json.RawMessage `json:"charge"`
		PaymentIntent json.RawMessage `json:"payment_intent"`
		Status        string          `json:"status"`
	}
	transferObject struct {
		ID             string            `json:"id"`
		Amount         int64             `json:"amount"`
		AmountReversed int64             `json:"amount_reversed"`
		Metadata       map[string]string `json:"metadata"`
		Reversals      *struct {
			Data []struct {
				ID     string `json:"id"`
				Amount int64  `json:"amount"`
			} `json:"data"`
		} `json:"reversals"`
	}
)

// idOf reads an expandable field: an id string, or an object with an id.
func idOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.ID
}

func (s *Service) dispatch(ctx context.Context, typ string, created int64, raw json.RawMessage) error {
	decode := func(v any) error {
		if err := json.Unmarshal(raw, v); err != nil {
			return fault.New(fault.Invalid, "bad_event", "the %s object cannot be read: %s", typ, err.Error())
		}
		return nil
	}
	switch typ {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed", "checkout.session.expired":
		var o sessionObject
		if err := decode(&o); err != nil {
			return err
		}
		return s.onSession(ctx, typ, o)
	case "account.updated":
		var o accountObject
		if err := decode(&o); err != nil {
			return err
		}
		return s.onAccountUpdated(ctx, o, created)
	case "charge.refunded":
		var o chargeObject
		if err := decode(&o); err != nil {
			return err
		}
		return s.onChargeRefunded(ctx, o)
	case "charge.dispute.created", "charge.dispute.closed":
		var o disputeObject
		if err := decode(&o); err != nil {
			return err
		}
		return s.onDispute(ctx, typ, o)
	case "transfer.reversed":
		var o transferObject
		if err := decode(&o); err != nil {
			return err
		}
		return s.onTransferReversed(ctx, o)
	}
	return nil // other events are acknowledged and ignored
}

// onSession handles the Checkout Session events.
func (s *Service) onSession(ctx context.Context, typ string, o sessionObject) error {
	orderID := o.Metadata["order_id"]
	if orderID == "" {
		orderID = o.ClientReferenceID
	}
	if orderID == "" {
		return nil // not a marketplace checkout
	}
	ord, err := s.orders.byID(ctx, orderID)
	if errors.Is(err, ErrOrderNotFound) {
		s.log.Warn("Stripe event for an unknown order", "type", typ, "order", orderID, "session", o.ID)
		return nil
	}
	if err != nil {
		return err
	}
	if ord.StripeSessionID != "" && o.ID != "" && ord.StripeSessionID != o.ID {
		s.log.Warn("Stripe event for another session of the order", "type", typ, "order", orderID, "session", o.ID)
		return nil
	}
	piID := idOf(o.PaymentIntent)
	switch typ {
	case "checkout.session.expired":
		_, err := s.cancelUnpaid(ctx, ord, "checkout expired", stripeActor)
		return err
	case "checkout.session.async_payment_failed":
		_, err := s.cancelUnpaid(ctx, ord, "the payment failed", stripeActor)
		return err
	case "checkout.session.completed":
		if o.PaymentStatus != "paid" && o.PaymentStatus != "no_payment_required" {
			// A delayed payment method: keep the reservation until it clears or fails.
			set := bson.M{"awaitingAsync": true, "stripeSessionId": o.ID}
			if piID != "" {
				set["paymentIntentId"] = piID
			}
			_, err := s.orders.transition(ctx, ord.ID, []string{StatusPendingPayment}, bson.M{"$set": set})
			return err
		}
	}
	pay := payment{OrderID: ord.ID, SessionID: o.ID, PaymentIntentID: piID, Amount: o.AmountTotal,
		Currency: o.Currency, Method: "stripe", ChargeID: s.chargeOfPayment(ctx, o.PaymentIntent)}
	_, err = s.completeOrderPayment(ctx, ord, pay, stripeActor)
	return err
}

// chargeOfPayment finds the charge of a payment intent, for the transfers' source_transaction:
// from the event when the intent is expanded there, else by asking Stripe. Without one (Stripe
// did not say) transfers go without source_transaction, drawing on the platform's balance.
func (s *Service) chargeOfPayment(ctx context.Context, raw json.RawMessage) string {
	var pi struct {
		ID           string          `json:"id"`
		LatestCharge json.RawMessage `json:"latest_charge"`
	}
	if json.Unmarshal(raw, &pi) == nil && len(pi.LatestCharge) > 0 {
		if id := idOf(pi.LatestCharge); id != "" {
			return id
		}
	}
	piID := idOf(raw)
	if piID == "" || s.stripe == nil {
		return ""
	}
	ch, err := s.stripe.chargeOf(ctx, piID)
	if err != nil {
		s.log.Warn("look up the charge of a payment", "paymentIntent", piID, "err", err.Error())
		return ""
	}
	return ch
}

// onAccountUpdated keeps a payee's readiness current. The newest event wins: an older one
// arriving late changes nothing.
func (s *Service) onAccountUpdated(ctx context.Context, o accountObject, created int64) error {
	ready := o.PayoutsEnabled
	if t, ok := o.Capabilities["transfers"]; ok && t != "active" {
		ready = false
	}
	p, err := s.payees.byAccount(ctx, o.ID)
	if errors.Is(err, errPayeeUnknown) {
		// An account made before this record existed: adopt it by its metadata.
		switch {
		case o.Metadata["maker_id"] != "":
			p = payee{AccountID: o.ID, OwnerType: PayeeMaker, OwnerID: o.Metadata["maker_id"]}
		case o.Metadata["program_id"] != "":
			p = payee{AccountID: o.ID, OwnerType: PayeeProgram, OwnerID: o.Metadata["program_id"]}
		default:
			return nil // not one of ours
		}
		p.CreatedAt, p.UpdatedAt = s.now(), s.now()
		if err := s.payees.ensure(ctx, p); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	changed, err := s.payees.applyEvent(ctx, o.ID, ready, created, s.now())
	if err != nil || !changed {
		return err
	}
	// Mirror readiness onto the maker or program, if this is still their account.
	programID := p.OwnerID
	switch p.OwnerType {
	case PayeeMaker:
		m, err := s.dir.Maker(ctx, p.OwnerID)
		if err != nil && !errors.Is(err, programs.ErrMakerNotFound) {
			return err
		}
		programID = m.ProgramID
		if err == nil && (m.StripeAccountID == o.ID || m.StripeAccountID == "") {
			if err := s.dir.SetMakerPayoutAccount(ctx, m.ID, o.ID, ready); err != nil {
				return err
			}
		}
	case PayeeProgram:
		prog, err := s.dir.Program(ctx, p.OwnerID)
		if err != nil && !errors.Is(err, programs.ErrNotFound) {
			return err
		}
		if err == nil && (prog.StripeAccountID == o.ID || prog.StripeAccountID == "") {
			if err := s.dir.SetProgramPayoutAccount(ctx, prog.ID, o.ID, ready); err != nil {
				return err
			}
		}
	}
	s.record(ctx, stripeActor, "payee.payouts_enabled", p.OwnerType, p.OwnerID, programID, fmt.Sprintf("%s: %t", o.ID, ready))
	if ready { // earnings that waited for this payee can go now
		if err := s.ledger.bringForward(ctx, p.OwnerType, p.OwnerID, s.now()); err != nil {
			return err
		}
		s.kick()
	}
	return nil
}

// orderOfCharge finds the order a charge belongs to: its transfer group is the order id.
func (s *Service) orderOfCharge(ctx context.Context, transferGroup string, meta map[string]string, piID, chargeID string) (Order, error) {
	for _, id := range []string{transferGroup, meta["order_id"]} {
		if id == "" {
			continue
		}
		if o, err := s.orders.byID(ctx, id); err == nil {
			return o, nil
		} else if !errors.Is(err, ErrOrderNotFound) {
			return Order{}, err
		}
	}
	return s.orders.byPayment(ctx, piID, chargeID)
}

// onChargeRefunded applies refunds made at Stripe (ours, whose local part may not have been
// recorded if we crashed, or made in the Dashboard). Items are matched by the refund's metadata;
// a whole refund covers every item. A refund that arrives before the payment it refunds is
// handed back to Stripe to deliver again later.
func (s *Service) onChargeRefunded(ctx context.Context, c chargeObject) error {
	piID := idOf(c.PaymentIntent)
	o, err := s.orderOfCharge(ctx, c.TransferGroup, c.Metadata, piID, c.ID)
	if errors.Is(err, ErrOrderNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !o.paidOrLater() {
		return errRetryLater
	}
	var refunds []refundObject
	if c.Refunds != nil {
		refunds = c.Refunds.Data
	} else if !c.Refunded && s.stripe != nil {
		list, err := s.stripe.refundsOf(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, r := range list {
			refunds = append(refunds, refundObject{ID: r.ID, Amount: r.Amount, Metadata: r.Metadata})
		}
	}
	allocated := false
	for _, r := range refunds {
		if r.Metadata["order_id"] != "" && r.Metadata["order_id"] != o.ID {
			continue
		}
		idx, ok := parseItems(r.Metadata["items"], len(o.Items))
		if !ok {
			continue
		}
		if _, err := s.refundItems(ctx, o.ID, idx, refundReq{refundID: r.ID}, stripeActor); err != nil {
			return err
		}
		allocated = true
	}
	if c.Refunded {
		if _, err := s.refundItems(ctx, o.ID, allIndexes(len(o.Items)), refundReq{refundID: firstRefundID(refunds)}, stripeActor); err != nil {
			return err
		}
		return nil
	}
	if !allocated && c.AmountRefunded > o.AmountRefunded {
		// A partial refund made outside the app: the money went back, but which items is not
		// known, so no earning is reversed automatically. Coordinators see it in the audit trail.
		if err := s.orders.set(ctx, o.ID, bson.M{"amountRefunded": c.AmountRefunded}); err != nil {
			return err
		}
		s.record(ctx, stripeActor, "order.refund_unallocated", "order", o.ID, firstOr(o.ProgramIDs),
			fmt.Sprintf("%d refunded at Stripe without item details; reverse earnings by refunding the items", c.AmountRefunded))
	}
	return nil
}

func firstRefundID(rs []refundObject) string {
	if len(rs) > 0 {
		return rs[0].ID
	}
	return ""
}

// parseItems reads "all" or a comma-separated list of item indexes.
func parseItems(s string, n int) ([]int, bool) {
	if s == "" {
		return nil, false
	}
	if s == "all" {
		return allIndexes(n), true
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 || i >= n {
			return nil, false
		}
		out = append(out, i)
	}
	return out, len(out) > 0
}

func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// onDispute freezes an order's pending earnings while a dispute is open; a won dispute releases
// them, a lost one takes the money back like a refund.
func (s *Service) onDispute(ctx context.Context, typ string, d disputeObject) error {
	o, err := s.orders.byPayment(ctx, idOf(d.PaymentIntent), idOf(d.Charge))
	if errors.Is(err, ErrOrderNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case typ == "charge.dispute.created":
		if err := s.orders.set(ctx, o.ID, bson.M{"disputed": true}); err != nil {
			return err
		}
		n, err := s.ledger.setMany(ctx, bson.M{"orderId": o.ID, "kind": KindEarning, "status": EntryPending},
			bson.M{"status": EntryFrozen})
		if err != nil {
			return err
		}
		s.record(ctx, stripeActor, "order.dispute", "order", o.ID, firstOr(o.ProgramIDs), fmt.Sprintf("dispute %s opened; %d pending earnings frozen", d.ID, n))
	case d.Status == "lost":
		if _, err := s.refundItems(ctx, o.ID, allIndexes(len(o.Items)), refundReq{refundID: "dispute:" + d.ID}, stripeActor); err != nil {
			return err
		}
		if err := s.orders.set(ctx, o.ID, bson.M{"disputed": false}); err != nil {
			return err
		}
		s.record(ctx, stripeActor, "order.dispute_lost", "order", o.ID, firstOr(o.ProgramIDs), "dispute "+d.ID+" lost: earnings reversed")
	default: // won, or closed with a warning
		if err := s.orders.set(ctx, o.ID, bson.M{"disputed": false}); err != nil {
			return err
		}
		n, err := s.ledger.setMany(ctx, bson.M{"orderId": o.ID, "kind": KindEarning, "status": EntryFrozen},
			bson.M{"status": EntryPending, "nextAttemptAt": s.now()})
		if err != nil {
			return err
		}
		s.record(ctx, stripeActor, "order.dispute_closed", "order", o.ID, firstOr(o.ProgramIDs), fmt.Sprintf("dispute %s %s; %d earnings released", d.ID, d.Status, n))
		s.kick()
	}
	return nil
}

// onTransferReversed records a transfer reversed at Stripe (by us, or in the Dashboard).
func (s *Service) onTransferReversed(ctx context.Context, t transferObject) error {
	var earning Entry
	var err error
	if id := t.Metadata["ledger_entry"]; id != "" {
		earning, err = s.ledger.byID(ctx, id)
	} else {
		var es []Entry
		es, err = s.ledger.list(ctx, bson.M{"transferId": t.ID, "kind": KindEarning})
		if err == nil && len(es) == 0 {
			err = errEntryNotFound
		}
		if err == nil {
			earning = es[0]
		}
	}
	if errors.Is(err, errEntryNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.AmountReversed < earning.Amount {
		s.record(ctx, stripeActor, "ledger.partial_reversal", "ledger_entry", earning.ID, earning.ProgramID,
			fmt.Sprintf("transfer %s reversed %d of %d at Stripe; the earning stays transferred", t.ID, t.AmountReversed, earning.Amount))
		return nil
	}
	reversalID := ""
	if t.Reversals != nil && len(t.Reversals.Data) > 0 {
		reversalID = t.Reversals.Data[len(t.Reversals.Data)-1].ID
	}
	return s.settleReversal(ctx, earning, reversalID, stripeActor)
}
