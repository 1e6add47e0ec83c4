package catalog

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// ForSale returns a published product of an active maker, read from the database (checkout
// must not act on a stale price), or ErrNotFound.
func (s *Service) ForSale(ctx context.Context, productID string) (Product, error) {
	p, err := s.products.ByID(ctx, productID)
	if err != nil {
		return Product{}, err
	}
	if p.Status != StatusPublished {
		return Product{}, ErrNotFound
	}
	m, err := s.Directory.Maker(ctx, p.MakerID)
	if errors.Is(err, programs.ErrMakerNotFound) || (err == nil && m.Status != "active") {
		return Product{}, ErrNotFound
	}
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// stockError is an out-of-stock refusal that names the product: errors.Is(err, ErrOutOfStock)
// holds, and fault.As finds the specific message.
type stockError struct{ fe *fault.Error }

func (e *stockError) Error() string   { return e.fe.Error() }
func (e *stockError) Unwrap() []error { return []error{e.fe, ErrOutOfStock} }

func outOfStock(p Product, left int) error {
	msg := fmt.Sprintf("only %d left of “%s”", left, p.Title)
	switch {
	case p.Status != StatusPublished:
		msg, left = fmt.Sprintf("“%s” is no longer for sale (0 left)", p.Title), 0
	case left == 0:
		msg = fmt.Sprintf("“%s” is sold out (0 left)", p.Title)
	}
	return &stockError{fe: &fault.Error{Kind: ErrOutOfStock.Kind, Code: ErrOutOfStock.Code, Message: msg,
		Details: map[string]any{"productId": p.ID, "available": left}}}
}

// holdIDPattern is what a hold id may look like: it becomes part of a field path, so no dots
// or dollars.
var holdIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// HoldStock takes qty units of a published product for the order holdID in one
// compare-and-set: stock never goes below zero, and the units are recorded as that order's in the
// same write. Holding again for the same order is a no-op. A miss is an out-of-stock conflict
// naming the product and the units left. A published made-to-order product is always available:
// nothing is taken and no hold is recorded (so releasing or settling it finds none, and the
// sweeper never sees it).
func (s *Service) HoldStock(ctx context.Context, productID, holdID string, qty int) error {
	if qty <= 0 {
		return fault.Fields(map[string]string{"quantity": "must be at least 1"})
	}
	if !holdIDPattern.MatchString(holdID) {
		return fmt.Errorf("hold stock: invalid hold id %q", holdID)
	}
	p, err := s.products.Hold(ctx, productID, holdID, qty, s.now())
	if errors.Is(err, ErrNotFound) {
		cur, lerr := s.products.ByID(ctx, productID)
		if lerr != nil {
			return lerr
		}
		if h, ok := cur.Holds[holdID]; ok && h.Quantity == qty {
			return nil
		}
		if cur.MadeToOrder && cur.Status == StatusPublished {
			return nil
		}
		return outOfStock(cur, cur.Stock)
	}
	if err != nil {
		return err
	}
	s.rm.apply(p)
	return nil
}

// ReleaseHold lets go of the order holdID's units of a product: they go back into stock. It
// reports whether there was such a hold; a repeat changes nothing. A made-to-order product
// has no holds of its own (HoldStock records none), so it reports false and changes nothing;
// units held while it was still sold from stock go back to that stock.
func (s *Service) ReleaseHold(ctx context.Context, productID, holdID string) (bool, error) {
	return s.unhold(ctx, productID, holdID, true)
}

// SettleHold records that the order holdID was paid: its units are sold, and the hold is
// forgotten without putting them back. It reports whether there was such a hold.
func (s *Service) SettleHold(ctx context.Context, productID, holdID string) (bool, error) {
	return s.unhold(ctx, productID, holdID, false)
}

func (s *Service) unhold(ctx context.Context, productID, holdID string, restock bool) (bool, error) {
	if !holdIDPattern.MatchString(holdID) {
		return false, fmt.Errorf("release hold: invalid hold id %q", holdID)
	}
	cur, err := s.products.ByID(ctx, productID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	h, ok := cur.Holds[holdID]
	if !ok {
		return false, nil
	}
	p, done, err := s.products.Unhold(ctx, productID, holdID, h.Quantity, restock, s.now())
	if err != nil || !done {
		return false, err
	}
	s.rm.apply(p)
	return true, nil
}

// HeldStock lists every hold, oldest first, for the payments sweeper.
func (s *Service) HeldStock(ctx context.Context) ([]HeldUnits, error) {
	return s.products.Held(ctx)
}

// ReleaseStock puts qty units back (a refunded order's, restocked), in any status, so archived
// products keep order history consistent. A made-to-order product's stock is left alone.
func (s *Service) ReleaseStock(ctx context.Context, productID string, qty int) error {
	if qty <= 0 {
		return fault.Fields(map[string]string{"quantity": "must be at least 1"})
	}
	p, err := s.products.AddStock(ctx, productID, qty, false, s.now())
	if errors.Is(err, ErrNotFound) {
		cur, lerr := s.products.ByID(ctx, productID)
		if lerr != nil {
			return lerr
		}
		if cur.MadeToOrder {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	s.rm.apply(p)
	return nil
}
