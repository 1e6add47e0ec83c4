package payments

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fulfilment (package) statuses: to_prepare → sent → delivered; cancelled (before it was sent);
// refunded (every item of it refunded).
const (
	FulfilToPrepare = "to_prepare"
	FulfilSent      = "sent"
	FulfilDelivered = "delivered"
	FulfilCancelled = "cancelled"
	FulfilRefunded  = "refunded"
)

// StatusPartlyShipped is an order some of whose packages were sent and some not yet.
const StatusPartlyShipped = "partly_shipped"

// Fulfilment is the part of an order one program sends: its items, its shipping charge and its
// own state. An order has one per program, in the order of its items; it lives in the order's
// document, so a package and the money of its items change together, by compare-and-set.
type Fulfilment struct {
	// ID is the order's id, a dash and the package's number (1-based).
	ID        string `bson:"id" json:"id"`
	ProgramID string `bson:"programId" json:"programId"`
	// Items are indexes into the order's items.
	Items    []int  `bson:"items" json:"items"`
	Shipping int64  `bson:"shipping" json:"shipping"`
	Status   string `bson:"status" json:"status"`
	// DispatchDays is how long the program said it needs before sending (its processing days,
	// or the longest lead time of a made-to-order item); DueBy counts them from payment.
	DispatchDays   int       `bson:"dispatchDays" json:"dispatchDays"`
	DueBy          time.Time `bson:"dueBy,omitempty" json:"dueBy,omitzero"`
	Carrier        string    `bson:"carrier,omitempty" json:"carrier,omitempty"`
	TrackingNumber string    `bson:"trackingNumber,omitempty" json:"trackingNumber,omitempty"`
	CancelReason   string    `bson:"cancelReason,omitempty" json:"cancelReason,omitempty"`
	// ShippingRefunded is set when the package's shipping went back to the buyer (the package was
	// cancelled, or every item of it refunded).
	ShippingRefunded bool      `bson:"shippingRefunded,omitempty" json:"shippingRefunded,omitempty"`
	SentAt           time.Time `bson:"sentAt,omitempty" json:"sentAt,omitzero"`
	DeliveredAt      time.Time `bson:"deliveredAt,omitempty" json:"deliveredAt,omitzero"`
	CancelledAt      time.Time `bson:"cancelledAt,omitempty" json:"cancelledAt,omitzero"`
	RefundedAt       time.Time `bson:"refundedAt,omitempty" json:"refundedAt,omitzero"`
}

// Sent reports whether the package left the workshop (sent or delivered).
func (f Fulfilment) Sent() bool { return f.Status == FulfilSent || f.Status == FulfilDelivered }

// open reports whether the package still counts towards the order's state.
func (f Fulfilment) open() bool { return f.Status != FulfilCancelled && f.Status != FulfilRefunded }

// fulfilmentID is the id of package n (1-based) of an order.
func fulfilmentID(orderID string, n int) string { return orderID + "-" + strconv.Itoa(n) }

// splitFulfilmentID returns the order id and package number of a package id.
func splitFulfilmentID(id string) (string, int, bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil || n < 1 || n > 50 {
		return "", 0, false
	}
	return id[:i], n, true
}

// Reference is the short order number people read out and search by (the last eight
// characters of its id, as in the e-mails).
func (o Order) Reference() string {
	if len(o.ID) <= 8 {
		return strings.ToUpper(o.ID)
	}
	return strings.ToUpper(o.ID[len(o.ID)-8:])
}

// splitFulfilments groups an order's items into one package per program, in the order the
// programs first appear.
func splitFulfilments(orderID string, items []Item) []Fulfilment {
	var out []Fulfilment
	for i, it := range items {
		k := slices.IndexFunc(out, func(f Fulfilment) bool { return f.ProgramID == it.ProgramID })
		if k < 0 {
			out = append(out, Fulfilment{ID: fulfilmentID(orderID, len(out)+1), ProgramID: it.ProgramID, Status: FulfilToPrepare})
			k = len(out) - 1
		}
		out[k].Items = append(out[k].Items, i)
		out[k].DispatchDays = max(out[k].DispatchDays, it.DispatchDays)
	}
	return out
}

// Packages returns the order's packages. An order made before packages existed gets them
// derived from its own status (one per program, all in the order's state), so every order
// reads the same way; the first change to such an order stores them.
func (o Order) Packages() []Fulfilment {
	if len(o.Fulfilments) > 0 || len(o.Items) == 0 {
		if o.Status == StatusCancelled && o.PaidAt.IsZero() {
			fs := slices.Clone(o.Fulfilments)
			for k := range fs {
				if fs[k].Status == FulfilToPrepare {
					fs[k].Status, fs[k].CancelledAt = FulfilCancelled, o.CancelledAt
				}
			}
			return fs
		}
		return o.Fulfilments
	}
	fs := splitFulfilments(o.ID, o.Items)
	for k := range fs {
		f := &fs[k]
		switch o.Status {
		case StatusShipped:
			f.Status, f.SentAt, f.Carrier, f.TrackingNumber = FulfilSent, o.ShippedAt, o.Carrier, o.TrackingNumber
		case StatusDelivered:
			f.Status, f.SentAt, f.DeliveredAt = FulfilDelivered, o.ShippedAt, o.DeliveredAt
		case StatusCancelled:
			f.Status, f.CancelledAt, f.CancelReason = FulfilCancelled, o.CancelledAt, o.CancelReason
		case StatusRefunded:
			f.Status, f.RefundedAt = FulfilRefunded, o.RefundedAt
		}
		if !o.PaidAt.IsZero() {
			f.DueBy = o.PaidAt.AddDate(0, 0, f.DispatchDays)
		}
	}
	return fs
}

// packageOf returns the index of the package holding order item i, or -1.
func packageOf(fs []Fulfilment, i int) int {
	return slices.IndexFunc(fs, func(f Fulfilment) bool { return slices.Contains(f.Items, i) })
}

// itemSent reports whether order item i left the workshop in its package.
func (o Order) itemSent(i int) bool {
	fs := o.Packages()
	k := packageOf(fs, i)
	return k >= 0 && fs[k].Sent()
}

// derivedStatus is the order's status from its packages, for a paid order: paid while nothing
// was sent, partly_shipped, shipped when every open package left, delivered when every one
// arrived; cancelled or refunded when no package is open.
func derivedStatus(o Order, fs []Fulfilment) string {
	var open, sent, delivered, refunded int
	for _, f := range fs {
		switch {
		case f.Status == FulfilRefunded:
			refunded++
		case !f.open():
		case f.Status == FulfilDelivered:
			open++
			sent++
			delivered++
		case f.Status == FulfilSent:
			open++
			sent++
		default:
			open++
		}
	}
	switch {
	case open == 0 && refunded > 0:
		return StatusRefunded
	case open == 0:
		return StatusCancelled
	case delivered == open:
		return StatusDelivered
	case sent == open:
		return StatusShipped
	case sent > 0:
		return StatusPartlyShipped
	}
	return StatusPaid
}

// ShippingTotal is what the buyer pays for shipping across the order's packages.
func (o Order) shippingTotal() int64 {
	var n int64
	for _, f := range o.Packages() {
		n += f.Shipping
	}
	return n
}

// refundedShipping is the shipping that went back to the buyer.
func (o Order) refundedShipping() int64 {
	var n int64
	for _, f := range o.Packages() {
		if f.ShippingRefunded {
			n += f.Shipping
		}
	}
	return n
}

// FulfilmentItem is a line of a package as its coordinators see it.
type FulfilmentItem struct {
	// Index is the line's position in the package (what a package refund names); OrderItem its
	// index in the order (what an order refund names).
	Index            int    `json:"index"`
	OrderItem        int    `json:"orderItem"`
	ProductID        string `json:"productId"`
	Title            string `json:"title"`
	Quantity         int    `json:"quantity"`
	MakerID          string `json:"makerId"`
	MakerDisplayName string `json:"makerDisplayName"`
	UnitPrice        int64  `json:"unitPrice"`
	Total            int64  `json:"total"`
	MakerWage        int64  `json:"makerWage"`
	MadeToOrder      bool   `json:"madeToOrder,omitempty"`
	Refunded         bool   `json:"refunded"`
}

// FulfilmentView is a package as its program's coordinators see it: its items, the buyer's
// delivery address (personal data: every read is audited; never shown to makers), and its state.
type FulfilmentView struct {
	ID             string           `json:"id"`
	OrderID        string           `json:"orderId"`
	OrderReference string           `json:"orderReference"`
	ProgramID      string           `json:"programId"`
	Number         int              `json:"number"`
	Of             int              `json:"of"`
	Status         string           `json:"status"`
	Items          []FulfilmentItem `json:"items"`
	Shipping       int64            `json:"shipping"`
	Currency       string           `json:"currency"`
	// ItemsTotal is what this package's items cost the buyer (without shipping).
	ItemsTotal      int64     `json:"itemsTotal"`
	ShippingAddress *Address  `json:"shippingAddress,omitempty"`
	Email           string    `json:"email,omitempty"`
	Channel         string    `json:"channel"`
	DueBy           time.Time `json:"dueBy,omitzero"`
	DispatchDays    int       `json:"dispatchDays"`
	Carrier         string    `json:"carrier,omitempty"`
	TrackingNumber  string    `json:"trackingNumber,omitempty"`
	CancelReason    string    `json:"cancelReason,omitempty"`
	Disputed        bool      `json:"disputed,omitempty"`
	OrderedAt       time.Time `json:"orderedAt"`
	PaidAt          time.Time `json:"paidAt,omitzero"`
	SentAt          time.Time `json:"sentAt,omitzero"`
	DeliveredAt     time.Time `json:"deliveredAt,omitzero"`
	CancelledAt     time.Time `json:"cancelledAt,omitzero"`
	RefundedAt      time.Time `json:"refundedAt,omitzero"`
}

// fulfilmentView builds package k of o; names gives makers' display names by id.
func fulfilmentView(o Order, fs []Fulfilment, k int, names func(makerID string) string) FulfilmentView {
	f := fs[k]
	v := FulfilmentView{ID: f.ID, OrderID: o.ID, OrderReference: o.Reference(), ProgramID: f.ProgramID, Number: k + 1, Of: len(fs),
		Status: f.Status, Shipping: f.Shipping, Currency: o.Currency, ShippingAddress: o.ShippingAddress, Email: o.Email,
		Channel: o.Channel, DueBy: f.DueBy, DispatchDays: f.DispatchDays, Carrier: f.Carrier, TrackingNumber: f.TrackingNumber,
		CancelReason: f.CancelReason, Disputed: o.Disputed, OrderedAt: o.CreatedAt, PaidAt: o.PaidAt, SentAt: f.SentAt,
		DeliveredAt: f.DeliveredAt, CancelledAt: f.CancelledAt, RefundedAt: f.RefundedAt, Items: make([]FulfilmentItem, 0, len(f.Items))}
	for pos, i := range f.Items {
		it := o.Items[i]
		v.Items = append(v.Items, FulfilmentItem{Index: pos, OrderItem: i, ProductID: it.ProductID, Title: it.Title,
			Quantity: it.Quantity, MakerID: it.MakerID, MakerDisplayName: names(it.MakerID), UnitPrice: it.UnitPrice,
			Total: it.Total, MakerWage: it.Shares.Maker, MadeToOrder: it.MadeToOrder, Refunded: it.Refunded()})
		v.ItemsTotal += it.Total
	}
	return v
}

// BuyerPackage is a package as the buyer sees it.
type BuyerPackage struct {
	ID             string    `json:"id"`
	Number         int       `json:"number"`
	Of             int       `json:"of"`
	Status         string    `json:"status"`
	Items          []int     `json:"items"`
	Shipping       int64     `json:"shipping"`
	DispatchDays   int       `json:"dispatchDays"`
	DueBy          time.Time `json:"dueBy,omitzero"`
	Carrier        string    `json:"carrier,omitempty"`
	TrackingNumber string    `json:"trackingNumber,omitempty"`
	SentAt         time.Time `json:"sentAt,omitzero"`
	DeliveredAt    time.Time `json:"deliveredAt,omitzero"`
	CancelledAt    time.Time `json:"cancelledAt,omitzero"`
}

func buyerPackages(fs []Fulfilment) []BuyerPackage {
	out := make([]BuyerPackage, 0, len(fs))
	for k, f := range fs {
		out = append(out, BuyerPackage{ID: f.ID, Number: k + 1, Of: len(fs), Status: f.Status,
			Items: slices.Clone(f.Items), Shipping: f.Shipping, DispatchDays: f.DispatchDays, DueBy: f.DueBy,
			Carrier: f.Carrier, TrackingNumber: f.TrackingNumber, SentAt: f.SentAt, DeliveredAt: f.DeliveredAt,
			CancelledAt: f.CancelledAt})
	}
	return out
}

// scopedFor returns the order as a coordinator of some of its programs may see it: only the
// items and packages of their programs, and totals of those alone. Items keep their order
// index (OrderItems), which order refunds name.
func (o Order) scopedFor(coordinates func(programID string) bool) ScopedOrder {
	v := ScopedOrder{Order: o}
	v.Order.Items, v.Order.Fulfilments = nil, nil
	v.Order.ProgramIDs = nil
	v.Order.MakerIDs = nil
	v.Total, v.AmountPaid, v.AmountRefunded = 0, 0, 0
	for _, f := range o.Packages() {
		if !coordinates(f.ProgramID) {
			continue
		}
		v.Fulfilments = append(v.Fulfilments, f)
		v.ProgramIDs = append(v.ProgramIDs, f.ProgramID)
		v.Total += f.Shipping
		if f.ShippingRefunded {
			v.AmountRefunded += f.Shipping
		}
		for _, i := range f.Items {
			it := o.Items[i]
			v.OrderItems = append(v.OrderItems, ScopedItem{Index: i, Item: it})
			v.Items = append(v.Items, it)
			v.Total += it.Total
			if it.Refunded() {
				v.AmountRefunded += it.Total
			}
			if !slices.Contains(v.MakerIDs, it.MakerID) {
				v.MakerIDs = append(v.MakerIDs, it.MakerID)
			}
		}
	}
	if o.paidOrLater() {
		v.AmountPaid = v.Total
	}
	if v.ProgramIDs == nil {
		v.ProgramIDs = []string{}
	}
	if v.MakerIDs == nil {
		v.MakerIDs = []string{}
	}
	if v.Items == nil {
		v.Items = []Item{}
	}
	v.Shipping = 0
	for _, f := range v.Fulfilments {
		v.Shipping += f.Shipping
	}
	return v
}

// ScopedItem is an order item with its index in the order.
type ScopedItem struct {
	Index int `json:"index"`
	Item
}

// ScopedOrder is an order cut down to one coordinator's programs.
type ScopedOrder struct {
	Order
	OrderItems []ScopedItem `json:"orderItems"`
}

// quoteShipping sets each package's shipping charge to country from its program's rates. A
// program that does not ship there is a 422 naming it.
func (s *Service) quoteShipping(ctx context.Context, fs []Fulfilment, items []Item, country string) ([]Fulfilment, error) {
	for k := range fs {
		f := &fs[k]
		prog, err := s.dir.Program(ctx, f.ProgramID)
		if err != nil {
			return nil, fmt.Errorf("program of package %s: %w", f.ID, err)
		}
		var subtotal int64
		units := 0
		for _, i := range f.Items {
			subtotal += items[i].Total
			units += items[i].Quantity
		}
		amount, ok := prog.ShippingQuote(country, subtotal, units)
		if !ok {
			e := *ErrNoShipping
			e.Message = fmt.Sprintf("%s does not ship to %s: remove its items or choose an address in %s", prog.Name, strings.ToUpper(country), prog.Country)
			e.Details = map[string]any{"programId": prog.ID, "program": prog.Name, "country": strings.ToUpper(country)}
			return nil, &e
		}
		f.Shipping = amount
	}
	return fs, nil
}
