package payments

import (
	"time"
)

// Order statuses: pending_payment → paid → (partly_shipped →) shipped → delivered, or
// cancelled, or refunded (a whole refund; a refund of some items marks those items and keeps
// the order's status). Once paid, the status follows the packages (derivedStatus).
const (
	StatusPendingPayment = "pending_payment"
	StatusPaid           = "paid"
	StatusShipped        = "shipped"
	StatusDelivered      = "delivered"
	StatusCancelled      = "cancelled"
	StatusRefunded       = "refunded"
)

// Sales channels.
const (
	ChannelOnline  = "online"
	ChannelOffline = "offline"
)

// Address is where an online order is shipped. It is the buyer's, seen by the buyer and the
// coordinators who ship; never by makers.
type Address struct {
	Name       string `bson:"name" json:"name" validate:"required,min=2,max=100"`
	Line1      string `bson:"line1" json:"line1" validate:"required,max=200"`
	Line2      string `bson:"line2,omitempty" json:"line2,omitempty" validate:"max=200"`
	City       string `bson:"city" json:"city" validate:"required,max=100"`
	State      string `bson:"state,omitempty" json:"state,omitempty" validate:"max=100"`
	PostalCode string `bson:"postalCode" json:"postalCode" validate:"required,max=20"`
	Country    string `bson:"country" json:"country" validate:"required,iso3166_1_alpha2"`
	Phone      string `bson:"phone,omitempty" json:"phone,omitempty" validate:"max=32"`
}

// Shares is how an item's total splits, fixed at the sale with catalog.Breakdown per unit times
// the quantity: the maker's wage, materials, the program's share and the estimated fees. The four
// always add up to the item's total, so an order's shares add up to what the buyer paid.
type Shares struct {
	Maker     int64 `bson:"maker" json:"maker"`
	Materials int64 `bson:"materials" json:"materials"`
	Program   int64 `bson:"program" json:"program"`
	Fees      int64 `bson:"fees" json:"fees"`
}

// Sum is the total of the shares.
func (s Shares) Sum() int64 { return s.Maker + s.Materials + s.Program + s.Fees }

// Item is one line of an order, with everything needed to pay its maker copied in at the sale,
// so later edits to the product or program never change a sale already made.
type Item struct {
	ProductID string `bson:"productId" json:"productId"`
	Title     string `bson:"title" json:"title"`
	MakerID   string `bson:"makerId" json:"makerId"`
	ProgramID string `bson:"programId" json:"programId"`
	Quantity  int    `bson:"quantity" json:"quantity"`
	UnitPrice int64  `bson:"unitPrice" json:"unitPrice"`
	Total     int64  `bson:"total" json:"total"`
	Shares    Shares `bson:"shares" json:"shares"`
	// PayeeType and PayeeID say who receives the maker's wage: the maker's own Stripe account,
	// or the program's account as paying agent (the program's payee model at the sale).
	PayeeType  string    `bson:"payeeType" json:"payeeType"`
	PayeeID    string    `bson:"payeeId" json:"payeeId"`
	HoldDays   int       `bson:"holdDays" json:"holdDays"`
	RefundedAt time.Time `bson:"refundedAt,omitempty" json:"refundedAt,omitzero"`
	RefundID   string    `bson:"refundId,omitempty" json:"refundId,omitempty"`
	// MadeToOrder items take no stock; DispatchDays is how long the program needs before it
	// sends the item (its lead time, or the program's processing days).
	MadeToOrder  bool `bson:"madeToOrder,omitempty" json:"madeToOrder,omitempty"`
	DispatchDays int  `bson:"dispatchDays,omitempty" json:"dispatchDays,omitempty"`
}

// Refunded reports whether the item was refunded.
func (it Item) Refunded() bool { return !it.RefundedAt.IsZero() }

// Order is one purchase in one currency: self-contained (items embedded), changed by
// compare-and-set on Status or Rev.
type Order struct {
	ID              string   `bson:"_id" json:"id"`
	TokenHash       string   `bson:"tokenHash" json:"-"`
	TokenSealed     string   `bson:"tokenSealed,omitempty" json:"-"`
	BuyerID         string   `bson:"buyerId,omitempty" json:"buyerId,omitempty"`
	Email           string   `bson:"email,omitempty" json:"email,omitempty"`
	ShippingAddress *Address `bson:"shippingAddress,omitempty" json:"shippingAddress,omitempty"`
	Items           []Item   `bson:"items" json:"items"`
	// Fulfilments are the packages: one per program, each sent on its own.
	Fulfilments []Fulfilment `bson:"fulfilments,omitempty" json:"fulfilments"`
	// Shipping is the shipping charged across the packages; Total is the items plus shipping.
	Shipping      int64  `bson:"shipping,omitempty" json:"shipping"`
	Total         int64  `bson:"total" json:"total"`
	Currency      string `bson:"currency" json:"currency"`
	Status        string `bson:"status" json:"status"`
	Channel       string `bson:"channel" json:"channel"`
	PaymentMethod string `bson:"paymentMethod,omitempty" json:"paymentMethod,omitempty"`
	// ProgramIDs and MakerIDs list the programs and makers of the items, for scope queries.
	ProgramIDs []string `bson:"programIds" json:"programIds"`
	MakerIDs   []string `bson:"makerIds" json:"makerIds"`

	StripeSessionID string `bson:"stripeSessionId,omitempty" json:"stripeSessionId,omitempty"`
	PaymentIntentID string `bson:"paymentIntentId,omitempty" json:"paymentIntentId,omitempty"`
	ChargeID        string `bson:"chargeId,omitempty" json:"chargeId,omitempty"`
	AmountPaid      int64  `bson:"amountPaid" json:"amountPaid"`
	AmountRefunded  int64  `bson:"amountRefunded" json:"amountRefunded"`
	// CartID is the cart the order was checked out from; ClientKey a hash of the address that
	// checked it out. They bound what one cart, one client and one e-mail can hold unpaid.
	CartID    string `bson:"cartId,omitempty" json:"-"`
	ClientKey string `bson:"clientKey,omitempty" json:"-"`
	// AwaitingAsync is set when Checkout completed with a payment still clearing (bank debits):
	// the reservation is kept until Stripe says it succeeded or failed.
	AwaitingAsync bool `bson:"awaitingAsync,omitempty" json:"awaitingAsync,omitempty"`
	Disputed      bool `bson:"disputed,omitempty" json:"disputed,omitempty"`
	// PaymentFlag is set when a payment arrived that does not match the order (another amount
	// or currency): the order was not completed and nothing was credited; a coordinator checks
	// it with Stripe and refunds or settles it by hand.
	PaymentFlag    *PaymentFlag `bson:"paymentFlag,omitempty" json:"paymentFlag,omitempty"`
	TrackingNumber string       `bson:"trackingNumber,omitempty" json:"trackingNumber,omitempty"`
	Carrier        string       `bson:"carrier,omitempty" json:"carrier,omitempty"`
	CancelReason   string       `bson:"cancelReason,omitempty" json:"cancelReason,omitempty"`
	CreatedBy      string       `bson:"createdBy,omitempty" json:"createdBy,omitempty"`
	// ReleasePending marks an order whose sent packages' wages are being made payable; the
	// ledger worker finishes a release a crash cut short.
	ReleasePending bool  `bson:"releasePending,omitempty" json:"-"`
	Rev            int64 `bson:"rev" json:"-"`

	CreatedAt time.Time `bson:"createdAt" json:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt,omitempty" json:"expiresAt,omitzero"`
	// StockHeld says the order's units are held on the products under its id (every order
	// since holds exist); an older unpaid order's units are put back by count.
	StockHeld   bool      `bson:"stockHeld,omitempty" json:"-"`
	PaidAt      time.Time `bson:"paidAt,omitempty" json:"paidAt,omitzero"`
	ShippedAt   time.Time `bson:"shippedAt,omitempty" json:"shippedAt,omitzero"`
	DeliveredAt time.Time `bson:"deliveredAt,omitempty" json:"deliveredAt,omitzero"`
	CancelledAt time.Time `bson:"cancelledAt,omitempty" json:"cancelledAt,omitzero"`
	RefundedAt  time.Time `bson:"refundedAt,omitempty" json:"refundedAt,omitzero"`
}

// PaymentFlag records a payment that did not match its order.
type PaymentFlag struct {
	Reason          string    `bson:"reason" json:"reason"`
	Amount          int64     `bson:"amount" json:"amount"`
	Currency        string    `bson:"currency" json:"currency"`
	Method          string    `bson:"method" json:"method"`
	SessionID       string    `bson:"sessionId,omitempty" json:"sessionId,omitempty"`
	PaymentIntentID string    `bson:"paymentIntentId,omitempty" json:"paymentIntentId,omitempty"`
	At              time.Time `bson:"at" json:"at"`
}

// paidOrLater reports whether money was received for the order (whatever happened after).
func (o Order) paidOrLater() bool {
	switch o.Status {
	case StatusPaid, StatusPartlyShipped, StatusShipped, StatusDelivered, StatusRefunded:
		return true
	}
	return o.Status == StatusCancelled && !o.PaidAt.IsZero()
}

// unallocatedRefund is what was refunded at Stripe without saying which items (a partial
// refund in the Dashboard): the part of AmountRefunded no refunded item accounts for.
func (o Order) unallocatedRefund() int64 {
	var items int64
	for _, it := range o.Items {
		if it.Refunded() {
			items += it.Total
		}
	}
	return max(o.AmountRefunded-items-o.refundedShipping(), 0)
}

// ItemInput is one line of a cart.
type ItemInput struct {
	ProductID string `json:"productId" validate:"required,max=64"`
	Quantity  int    `json:"quantity" validate:"gte=1,lte=100"`
}

// CheckoutInput is a buyer's cart. Email is required of a guest; a signed-in buyer's account
// email is used when it is left out.
type CheckoutInput struct {
	Items           []ItemInput `json:"items" validate:"required,min=1,max=50,dive"`
	Email           string      `json:"email" validate:"omitempty,email,max=254"`
	ShippingAddress *Address    `json:"shippingAddress" validate:"required"`
	// CartID names the buyer's cart (the web shop keeps one per browser): a new checkout of the
	// same cart lets the earlier unpaid one go, so backing out of payment and trying again never
	// holds the goods twice.
	CartID string `json:"cartId" validate:"omitempty,max=64"`
}

// CheckoutResult is what the buyer needs next: where to pay, and the order's own link.
type CheckoutResult struct {
	OrderID     string `json:"orderId"`
	Status      string `json:"status"`
	Total       int64  `json:"total"`
	Currency    string `json:"currency"`
	CheckoutURL string `json:"checkoutUrl"`
	// OrderURL is the order's private link (for guests: the only way back to it).
	OrderURL string `json:"orderUrl"`
	// TestMode is true when CheckoutURL is the app's own test-payment page, not Stripe.
	TestMode bool `json:"testMode"`
}

// OfflineSaleInput is a sale made in person (craft fair, shop counter).
type OfflineSaleInput struct {
	Items         []ItemInput `json:"items" validate:"required,min=1,max=50,dive"`
	PaymentMethod string      `json:"paymentMethod" validate:"required,oneof=cash upi card bank"`
	Note          string      `json:"note" validate:"max=500"`
}

// ShipInput marks an order shipped.
type ShipInput struct {
	TrackingNumber string `json:"trackingNumber" validate:"max=100"`
	Carrier        string `json:"carrier" validate:"max=100"`
}

// CancelInput cancels an order; a paid one is refunded in full and its stock returned.
type CancelInput struct {
	Reason string `json:"reason" validate:"max=500"`
}

// RefundInput refunds an order: the listed items (indexes into the order's items), or every
// item not yet refunded when Items is empty. Restock returns the units to stock.
type RefundInput struct {
	Items   []int  `json:"items" validate:"max=50,dive,gte=0,lte=49"`
	Reason  string `json:"reason" validate:"max=500"`
	Restock bool   `json:"restock"`
}

// BuyerItem is an order line as the buyer sees it.
type BuyerItem struct {
	ProductID string `json:"productId"`
	Title     string `json:"title"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
	Total     int64  `json:"total"`
	// MakerWage is what of this line reaches the maker: the same figure the product page shows.
	MakerWage   int64 `json:"makerWage"`
	Refunded    bool  `json:"refunded"`
	MadeToOrder bool  `json:"madeToOrder,omitempty"`
}

// BuyerView is an order as its buyer (or the holder of its link) sees it: no maker's private
// data, no payee or Stripe details.
type BuyerView struct {
	ID       string      `json:"id"`
	Status   string      `json:"status"`
	Items    []BuyerItem `json:"items"`
	Total    int64       `json:"total"`
	Currency string      `json:"currency"`
	// Shipping is included in Total; Fulfilments are the packages, each sent on its own.
	Shipping        int64          `json:"shipping"`
	Fulfilments     []BuyerPackage `json:"fulfilments"`
	AmountRefunded  int64          `json:"amountRefunded"`
	Email           string         `json:"email,omitempty"`
	ShippingAddress *Address       `json:"shippingAddress,omitempty"`
	TrackingNumber  string         `json:"trackingNumber,omitempty"`
	Carrier         string         `json:"carrier,omitempty"`
	CreatedAt       time.Time      `json:"createdAt"`
	PaidAt          time.Time      `json:"paidAt,omitzero"`
	ShippedAt       time.Time      `json:"shippedAt,omitzero"`
	DeliveredAt     time.Time      `json:"deliveredAt,omitzero"`
	CancelledAt     time.Time      `json:"cancelledAt,omitzero"`
	RefundedAt      time.Time      `json:"refundedAt,omitzero"`
}

// BuyerView returns the buyer's view of o.
func (o Order) BuyerView() BuyerView {
	v := BuyerView{ID: o.ID, Status: o.Status, Total: o.Total, Currency: o.Currency, AmountRefunded: o.AmountRefunded,
		Email: o.Email, ShippingAddress: o.ShippingAddress, TrackingNumber: o.TrackingNumber, Carrier: o.Carrier,
		CreatedAt: o.CreatedAt, PaidAt: o.PaidAt, ShippedAt: o.ShippedAt, DeliveredAt: o.DeliveredAt,
		CancelledAt: o.CancelledAt, RefundedAt: o.RefundedAt, Items: make([]BuyerItem, 0, len(o.Items)),
		Shipping: o.Shipping, Fulfilments: buyerPackages(o.Packages())}
	for _, it := range o.Items {
		v.Items = append(v.Items, BuyerItem{ProductID: it.ProductID, Title: it.Title, Quantity: it.Quantity,
			UnitPrice: it.UnitPrice, Total: it.Total, MakerWage: it.Shares.Maker, Refunded: it.Refunded(),
			MadeToOrder: it.MadeToOrder})
	}
	return v
}
