package payments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fairhands/marketplace/periodic"
	"go.mongodb.org/mongo-driver/bson"
)

// ReservationWorker releases the stock of unpaid orders whose reservation ran out, every
// minute, and forgets processed Stripe events older than 30 days once an hour.
func (s *Service) ReservationWorker(ctx context.Context) {
	var lastPrune time.Time
	periodic.Run(ctx, time.Minute, nil, s.log, "expire reservations", func(ctx context.Context) error {
		_, err := s.ExpireReservations(ctx)
		if now := s.now(); now.Sub(lastPrune) > time.Hour {
			if _, err := s.events.prune(ctx, now.Add(-30*24*time.Hour)); err != nil && ctx.Err() == nil {
				s.log.Warn("prune Stripe events", "err", err.Error())
			}
			lastPrune = now
		}
		return err
	})
}

// ExpireReservations cancels unpaid orders older than ReservationTTL and releases their stock.
// With Stripe, the Checkout Session is expired first, so a buyer cannot pay for stock that was
// given back; a session Stripe says is complete is left to its payment event.
func (s *Service) ExpireReservations(ctx context.Context) (int, error) {
	orders, err := s.orders.expired(ctx, s.now(), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range orders {
		if o.StripeSessionID != "" && s.stripe != nil {
			cctx, cancel := context.WithTimeout(ctx, stripeTimeout)
			err := s.stripe.expireSession(cctx, o.StripeSessionID)
			cancel()
			if err != nil {
				// Stripe would not expire it: it was paid (and its event is late or was lost) or
				// it expired already. Ask which, and act as the event would have.
				if done, rerr := s.settleSession(ctx, o); rerr != nil || done {
					if rerr != nil {
						s.log.Warn("expire Checkout Session", "order", o.ID, "err", err.Error(), "lookup", rerr.Error())
					}
					continue
				}
			}
		}
		ok, err := s.cancelUnpaid(ctx, o, "reservation expired after 30 minutes", workerActor)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	released, err := s.sweepHolds(ctx)
	return n + released, err
}

// sweepHolds settles or releases the stock holds whose order has moved on: a paid order's units
// are sold; a cancelled order's held units (a cancellation cut short) go back; and units held
// for an order that was never stored (the process died between taking them and writing the
// order) go back once a reservation's time has passed. It returns how many holds it released.
func (s *Service) sweepHolds(ctx context.Context) (int, error) {
	held, err := s.products.HeldStock(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	orders := map[string]*Order{}
	n := 0
	for _, h := range held {
		o, seen := orders[h.HoldID]
		if !seen {
			got, err := s.orders.byID(ctx, h.HoldID)
			switch {
			case errors.Is(err, ErrOrderNotFound):
			case err != nil:
				return n, err
			default:
				o = &got
			}
			orders[h.HoldID] = o
		}
		var release bool
		switch {
		case o == nil:
			if now.Sub(h.At) < ReservationTTL {
				continue // a checkout may still be writing its order
			}
			release = true
		case o.Status == StatusPendingPayment:
			continue // ExpireReservations lets it go when its time is up
		case !o.PaidAt.IsZero():
			release = false // paid (and perhaps refunded since, restocked by count): sold
		case o.Status == StatusCancelled && h.At.Before(o.CancelledAt):
			release = true
		default:
			continue // held again after the cancellation: a late payment is taking it
		}
		if release {
			ok, err := s.products.ReleaseHold(ctx, h.ProductID, h.HoldID)
			if err != nil {
				return n, err
			}
			if ok {
				n++
				reason := "held stock of a cancelled order released"
				if o == nil {
					reason = "held stock of an order that was never stored released"
				}
				s.log.Warn(reason, "order", h.HoldID, "product", h.ProductID, "quantity", h.Quantity)
				s.record(ctx, workerActor, "stock.release", "product", h.ProductID, "",
					fmt.Sprintf("%d units held for order %s: %s", h.Quantity, h.HoldID, reason))
			}
			continue
		}
		if _, err := s.products.SettleHold(ctx, h.ProductID, h.HoldID); err != nil {
			return n, err
		}
	}
	return n, nil
}

// settleSession looks up an unpaid order's Checkout Session that Stripe would not expire. A paid
// session completes the order through the same path as its event (which may have been lost) and
// reports done; an expired one reports not done, so the caller releases the reservation.
func (s *Service) settleSession(ctx context.Context, o Order) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, stripeTimeout)
	defer cancel()
	cs, status, err := s.stripe.session(cctx, o.StripeSessionID)
	if err != nil {
		return false, err
	}
	switch {
	case status == "expired":
		return false, nil
	case status == "complete" && (cs.PaymentStatus == "paid" || cs.PaymentStatus == "no_payment_required"):
		pay := payment{OrderID: o.ID, SessionID: cs.ID, PaymentIntentID: idOf(cs.PaymentIntent), Amount: cs.AmountTotal,
			Currency: cs.Currency, Method: "stripe", ChargeID: s.chargeOfPayment(ctx, cs.PaymentIntent)}
		_, err := s.completePayment(ctx, pay, workerActor)
		return true, err
	case status == "complete":
		// Paid by a method that is still clearing: keep the reservation until Stripe says.
		_, err := s.orders.transition(ctx, o.ID, []string{StatusPendingPayment}, bson.M{"$set": bson.M{"awaitingAsync": true}})
		return true, err
	}
	return true, fmt.Errorf("the session is %s (payment %s)", status, cs.PaymentStatus)
}
