package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
)

// clientKey is what an order keeps of the address that checked it out: enough to count what one
// client holds, without keeping the address itself on the order.
func clientKey(ip string) string {
	if ip == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("fairhands-client:" + ip))
	return hex.EncodeToString(sum[:12])
}

// unpaidOf lists, in one query (on the embedded store every query but one by _id reads the
// whole collection), the unpaid orders of a cart, a client or an e-mail.
func (s *Service) unpaidOf(ctx context.Context, cartID, client, email string) ([]Order, error) {
	var or []bson.M
	for k, v := range map[string]string{"cartId": cartID, "clientKey": client, "email": email} {
		if v != "" {
			or = append(or, bson.M{k: v})
		}
	}
	if len(or) == 0 {
		return nil, nil
	}
	return s.orders.list(ctx, bson.M{"status": StatusPendingPayment, "$or": or})
}

// checkHoldLimits refuses a checkout that would hold more than one checkout, one client or one
// e-mail may: MaxUnitsPerProduct of a product and MaxUnitsPerCheckout in all, counting held,
// the holder's other unpaid orders.
func (s *Service) checkHoldLimits(items []Item, held []Order) error {
	total := 0
	for i, it := range items {
		if it.Quantity > MaxUnitsPerProduct {
			return &fault.Error{Kind: fault.Unprocessable, Code: "too_many_units",
				Message: fmt.Sprintf("at most %d of one item can be bought at once: for more, write to the workshop", MaxUnitsPerProduct),
				Details: map[string]any{"item": i, "productId": it.ProductID, "max": MaxUnitsPerProduct}}
		}
		total += it.Quantity
	}
	if total > MaxUnitsPerCheckout {
		return &fault.Error{Kind: fault.Unprocessable, Code: "too_many_units",
			Message: fmt.Sprintf("at most %d items can be bought at once: for more, write to the workshop", MaxUnitsPerCheckout),
			Details: map[string]any{"max": MaxUnitsPerCheckout}}
	}
	scale := s.cfg.HoldLimitScale
	if scale <= 0 {
		scale = 1
	}
	perProduct := map[string]int{}
	for _, it := range items {
		perProduct[it.ProductID] += it.Quantity
	}
	for _, o := range held {
		for _, it := range o.Items {
			perProduct[it.ProductID] += it.Quantity
			total += it.Quantity
		}
	}
	over := total > int(MaxUnitsPerCheckout*scale)
	for _, n := range perProduct {
		over = over || n > int(MaxUnitsPerProduct*scale)
	}
	if over {
		return fault.New(fault.TooMany, "too_many_unpaid",
			"earlier checkouts from here are still waiting for payment: pay or leave them, or wait 30 minutes, then try again")
	}
	return nil
}

// releaseCart lets go of the unpaid orders earlier checkouts of the same cart left behind (the
// buyer backed out of paying and is trying again) and returns the unpaid orders still holding
// goods. An order of the cart whose payment may still arrive is kept: one clearing at Stripe,
// or one whose Checkout Session Stripe would not expire.
func (s *Service) releaseCart(ctx context.Context, cartID string, unpaid []Order, actor accounts.Actor) ([]Order, error) {
	var still []Order
	for _, o := range unpaid {
		if cartID == "" || o.CartID != cartID || o.AwaitingAsync {
			still = append(still, o)
			continue
		}
		if o.StripeSessionID != "" && s.stripe != nil {
			cctx, cancel := context.WithTimeout(ctx, stripeTimeout)
			err := s.stripe.expireSession(cctx, o.StripeSessionID)
			cancel()
			if err != nil {
				still = append(still, o) // paid, or Stripe is not answering: the reservation sweep settles it
				continue
			}
		}
		if _, err := s.cancelUnpaid(ctx, o, "the same cart was checked out again", actor); err != nil {
			return nil, err
		}
	}
	return still, nil
}
