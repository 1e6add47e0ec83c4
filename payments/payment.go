package payments

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
)

// payment is a completed payment, from Stripe's events or the test-payment page.
type payment struct {
	OrderID         string
	SessionID       string
	PaymentIntentID string
	ChargeID        string
	Amount          int64
	Currency        string
	Method          string
}

// completePayment is the one path by which an order becomes paid — Stripe's
// checkout.session.completed and async_payment_succeeded events and the test-payment page all
// call it. It is idempotent: the status moves by compare-and-set, and crediting the earnings
// again inserts nothing new, so a repeat (or a resume after a crash between the two) is safe.
func (s *Service) completePayment(ctx context.Context, pay payment, actor accounts.Actor) (Order, error) {
	o, err := s.orders.byID(ctx, pay.OrderID)
	if err != nil {
		return Order{}, err
	}
	return s.completeOrderPayment(ctx, o, pay, actor)
}

// completeOrderPayment is completePayment for an order the caller has just loaded. A payment
// that does not match the order (amount or currency) completes nothing: the order is flagged
// for a coordinator instead (flagPayment).
func (s *Service) completeOrderPayment(ctx context.Context, o Order, pay payment, actor accounts.Actor) (Order, error) {
	now := s.now()
	unpaid := o.Status == StatusPendingPayment || (o.Status == StatusCancelled && o.PaidAt.IsZero())
	if unpaid && (pay.Amount != o.Total || !strings.EqualFold(pay.Currency, o.Currency)) {
		return s.flagPayment(ctx, o, pay, actor)
	}
	switch {
	case o.Status == StatusPendingPayment:
		packages := slices.Clone(o.Packages())
		for k := range packages {
			packages[k].DueBy = now.Truncate(time.Millisecond).AddDate(0, 0, packages[k].DispatchDays)
		}
		set := bson.M{"status": StatusPaid, "paidAt": now, "awaitingAsync": false, "paymentMethod": pay.Method, "amountPaid": pay.Amount,
			"fulfilments": packages}
		for k, v := range map[string]string{"stripeSessionId": pay.SessionID, "paymentIntentId": pay.PaymentIntentID, "chargeId": pay.ChargeID} {
			if v != "" {
				set[k] = v
			}
		}
		ok, err := s.orders.transition(ctx, o.ID, []string{StatusPendingPayment}, bson.M{"$set": set})
		if err != nil {
			return Order{}, err
		}
		if ok {
			if o.StockHeld {
				s.settleHolds(ctx, o) // sold; the sweep would settle any left over
			}
			s.record(ctx, actor, "order.paid", "order", o.ID, firstOr(o.ProgramIDs), fmt.Sprintf("%d %s by %s", pay.Amount, strings.ToUpper(pay.Currency), pay.Method))
			s.tell(ctx, "paid", o, nil)
		}
		if ok {
			// What the transition wrote, without reading the order again.
			o.Status, o.PaidAt, o.AwaitingAsync, o.PaymentMethod, o.AmountPaid = StatusPaid, now, false, pay.Method, pay.Amount
			o.Fulfilments = packages
			o.PaidAt = o.PaidAt.Truncate(time.Millisecond) // as stored
			for _, f := range []struct {
				to *string
				v  string
			}{{&o.StripeSessionID, pay.SessionID}, {&o.PaymentIntentID, pay.PaymentIntentID}, {&o.ChargeID, pay.ChargeID}} {
				if f.v != "" {
					*f.to = f.v
				}
			}
			o.Rev++
		} else if o, err = s.orders.byID(ctx, o.ID); err != nil {
			return Order{}, err
		}
	case o.Status == StatusCancelled && o.PaidAt.IsZero():
		return s.paidAfterCancel(ctx, o, pay, actor)
	}
	if !o.paidOrLater() {
		return o, nil
	}
	if o.ChargeID == "" && pay.ChargeID != "" {
		if err := s.orders.set(ctx, o.ID, bson.M{"chargeId": pay.ChargeID}); err != nil {
			return Order{}, err
		}
		o.ChargeID = pay.ChargeID
	}
	status := EntryPending
	if o.Disputed { // a dispute opened before the payment's event arrived
		status = EntryFrozen
	}
	if err := s.creditEarnings(ctx, o, SettleStripe, status, actor); err != nil {
		return Order{}, err
	}
	s.kick()
	return o, nil
}

// flagPayment records a payment that does not match its order — a validly signed event for 1
// cent must not complete a ₹1,500 order — on the order, for a coordinator to resolve with
// Stripe (refund it, or settle the order by hand), and in the audit trail. The order keeps its
// status, nothing is credited, and the event counts as handled (Stripe need not send it again).
func (s *Service) flagPayment(ctx context.Context, o Order, pay payment, actor accounts.Actor) (Order, error) {
	flag := PaymentFlag{Reason: "amount_mismatch", Amount: pay.Amount, Currency: strings.ToUpper(pay.Currency), Method: pay.Method,
		SessionID: pay.SessionID, PaymentIntentID: pay.PaymentIntentID, At: s.now().Truncate(time.Millisecond)}
	if err := s.orders.set(ctx, o.ID, bson.M{"paymentFlag": flag}); err != nil {
		return Order{}, err
	}
	s.log.Error("a payment does not match its order: not completed, flagged for a coordinator", "order", o.ID,
		"paid", pay.Amount, "currency", pay.Currency, "total", o.Total, "orderCurrency", o.Currency, "session", pay.SessionID)
	s.record(ctx, actor, "order.payment_mismatch", "order", o.ID, firstOr(o.ProgramIDs),
		fmt.Sprintf("paid %d %s, order total %d %s: not completed, nothing credited", pay.Amount, strings.ToUpper(pay.Currency), o.Total, o.Currency))
	o.PaymentFlag = &flag
	return o, nil
}

// paidAfterCancel handles a payment that completed after the order's reservation ran out: the
// order goes ahead if its stock can be taken again, and is refunded in full otherwise.
func (s *Service) paidAfterCancel(ctx context.Context, o Order, pay payment, actor accounts.Actor) (Order, error) {
	now := s.now()
	ids := bson.M{"paymentIntentId": pay.PaymentIntentID, "chargeId": pay.ChargeID, "amountPaid": pay.Amount, "paymentMethod": pay.Method}
	// A hold left by a cancellation cut short goes first, so the units are taken afresh.
	s.releaseHolds(ctx, o.ID, o.Items)
	if err := s.reserve(ctx, o.ID, o.Items); err == nil {
		set := bson.M{"status": StatusPaid, "paidAt": now, "stockHeld": true}
		for k, v := range ids {
			set[k] = v
		}
		ok, err := s.orders.transition(ctx, o.ID, []string{StatusCancelled}, bson.M{"$set": set, "$unset": bson.M{"cancelledAt": "", "cancelReason": ""}})
		if err != nil || !ok {
			s.releaseHolds(ctx, o.ID, o.Items)
			if err != nil {
				return Order{}, err
			}
			return s.completePayment(ctx, pay, actor)
		}
		s.record(ctx, actor, "order.paid", "order", o.ID, firstOr(o.ProgramIDs), "paid after the reservation ran out; stock taken again")
		return s.completePayment(ctx, pay, actor)
	}
	// Sold out meanwhile: give the money back.
	refundID := ""
	if s.stripe != nil && pay.PaymentIntentID != "" {
		var err error
		refundID, err = s.stripe.refund(ctx, pay.PaymentIntentID, pay.Amount, "fh-refund-late-"+o.ID, map[string]string{"order_id": o.ID, "items": "all"})
		if err != nil {
			return Order{}, fmt.Errorf("refund late payment: %w", err)
		}
	}
	items := slices.Clone(o.Items)
	for i := range items {
		items[i].RefundedAt, items[i].RefundID = now, refundID
	}
	set := bson.M{"status": StatusRefunded, "paidAt": now, "refundedAt": now, "amountRefunded": pay.Amount, "items": items,
		"cancelReason": "paid after the reservation ran out and the stock was gone: refunded in full"}
	for k, v := range ids {
		set[k] = v
	}
	if _, err := s.orders.transition(ctx, o.ID, []string{StatusCancelled}, bson.M{"$set": set}); err != nil {
		return Order{}, err
	}
	s.record(ctx, actor, "order.refund", "order", o.ID, firstOr(o.ProgramIDs), "late payment refunded in full: stock gone")
	return s.orders.byID(ctx, o.ID)
}

// creditEarnings credits each paid item's maker wage to the maker's ledger. The entry's id is
// its natural key, so a second call (a repeated event, a resumed crash) inserts nothing.
//
// An online sale's wage is payable when its package is sent (pay on dispatch): until then the
// earning awaits dispatch, and sending releases it with the hold counted from that day. An
// offline sale's wage is handed over on the spot. Each package's shipping is recorded as the
// program's own line.
func (s *Service) creditEarnings(ctx context.Context, o Order, settlement, status string, actor accounts.Actor) error {
	now := s.now()
	fs := o.Packages()
	for i, it := range o.Items {
		if it.Refunded() || it.Shares.Maker <= 0 {
			continue
		}
		st, avail, next := status, o.PaidAt.AddDate(0, 0, it.HoldDays), o.PaidAt
		if settlement == SettleStripe {
			if k := packageOf(fs, i); k >= 0 && fs[k].Sent() && !fs[k].SentAt.IsZero() {
				avail = fs[k].SentAt.AddDate(0, 0, it.HoldDays)
			} else {
				// Frozen or not, nothing is payable before sending; a dispute still open when
				// it is sent freezes it then (releaseEarnings).
				st = EntryAwaitingDispatch
				if k >= 0 && !fs[k].DueBy.IsZero() {
					avail = fs[k].DueBy.AddDate(0, 0, it.HoldDays) // an estimate, shown to the maker
				}
			}
		}
		e := Entry{ID: entryID(o.ID, i, KindEarning), Kind: KindEarning, OrderID: o.ID, ItemIndex: i,
			ProductID: it.ProductID, MakerID: it.MakerID, ProgramID: it.ProgramID,
			PayeeType: it.PayeeType, PayeeID: it.PayeeID, Amount: it.Shares.Maker, Currency: o.Currency,
			Status: st, Settlement: settlement, AvailableAt: avail,
			ChargeID: o.ChargeID, NextAttemptAt: next, CreatedAt: now}
		inserted, err := s.ledger.insert(ctx, e)
		if err != nil {
			return err
		}
		if inserted {
			s.record(ctx, actor, "ledger.credit", "ledger_entry", e.ID, e.ProgramID,
				fmt.Sprintf("maker %s earns %d %s (%s)", e.MakerID, e.Amount, e.Currency, e.Status))
		}
	}
	for _, f := range fs {
		if f.Shipping <= 0 {
			continue
		}
		e := Entry{ID: fmt.Sprintf("%s:%s", f.ID, KindShipping), Kind: KindShipping, OrderID: o.ID, ItemIndex: -1,
			ProgramID: f.ProgramID, PayeeType: PayeeProgram, PayeeID: f.ProgramID, Amount: f.Shipping, Currency: o.Currency,
			Status: EntryRecorded, Settlement: settlement, AvailableAt: o.PaidAt, NextAttemptAt: o.PaidAt, CreatedAt: now}
		if _, err := s.ledger.insert(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// OrderByToken returns the order behind a guest's order link, as the buyer sees it.
func (s *Service) OrderByToken(ctx context.Context, token string) (BuyerView, error) {
	o, err := s.orderByToken(ctx, token)
	if err != nil {
		return BuyerView{}, err
	}
	return o.BuyerView(), nil
}

func (s *Service) orderByToken(ctx context.Context, token string) (Order, error) {
	if len(token) < 32 || len(token) > 64 {
		return Order{}, ErrOrderNotFound
	}
	return s.orders.byTokenHash(ctx, accounts.HashToken(token))
}

// TestPaymentOrder returns the order a test-payment page is for, when the app runs without
// Stripe and token is the order's; ErrOrderNotFound otherwise.
func (s *Service) TestPaymentOrder(ctx context.Context, orderID, token string) (Order, error) {
	if s.stripe != nil {
		return Order{}, ErrOrderNotFound
	}
	o, err := s.orders.byID(ctx, orderID)
	if err != nil {
		return Order{}, err
	}
	if subtle.ConstantTimeCompare([]byte(accounts.HashToken(token)), []byte(o.TokenHash)) != 1 {
		return Order{}, ErrOrderNotFound
	}
	return o, nil
}

// PayTestOrder completes an order from the test-payment page, through the same function as
// Stripe's checkout.session.completed event. Paying twice (a double click) is harmless.
func (s *Service) PayTestOrder(ctx context.Context, orderID, token string) (Order, error) {
	o, err := s.TestPaymentOrder(ctx, orderID, token)
	if err != nil {
		return Order{}, err
	}
	if o.Status != StatusPendingPayment {
		if o.paidOrLater() {
			return o, nil
		}
		return Order{}, errNotOrder
	}
	return s.completePayment(ctx, payment{OrderID: o.ID, Amount: o.Total, Currency: o.Currency, Method: "test"}, testPayActor)
}
