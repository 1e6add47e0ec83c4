// Package programs holds the workshops that train makers (a jewellery workshop in Kolkata, a
// tailoring workshop in Mumbai), their coordinators, and the makers enrolled in them — with
// makers' private details encrypted and every read of them audited.
package programs

import (
	"strings"
	"time"

	"github.com/fairhands/marketplace/fault"
)

// Errors the program operations return.
var (
	ErrNotFound      = fault.New(fault.NotFound, "not_found", "program not found")
	ErrMakerNotFound = fault.New(fault.NotFound, "not_found", "maker not found")
	ErrForbidden     = fault.New(fault.Forbidden, "forbidden", "you are not allowed to do this")
)

// Payee models: who receives the Stripe transfer for a maker's share.
const (
	PayeeMaker   = "maker"
	PayeeProgram = "program"
)

// Program is a workshop that trains and employs makers.
type Program struct {
	ID                  string    `bson:"_id" json:"id"`
	Name                string    `bson:"name" json:"name"`
	City                string    `bson:"city" json:"city"`
	Country             string    `bson:"country" json:"country"`
	Currency            string    `bson:"currency" json:"currency"`
	LivingWageHourly    int64     `bson:"livingWageHourly" json:"livingWageHourly"` // minor units per hour
	ProgramSharePercent int       `bson:"programSharePercent" json:"programSharePercent"`
	PayeeModel          string    `bson:"payeeModel" json:"payeeModel"`
	HoldDays            int       `bson:"holdDays" json:"holdDays"`
	StripeAccountID     string    `bson:"stripeAccountId,omitempty" json:"stripeAccountId,omitempty"`
	PayoutsEnabled      bool      `bson:"payoutsEnabled" json:"payoutsEnabled"`
	CreatedAt           time.Time `bson:"createdAt" json:"createdAt"`
	// Shipping is what the program charges to send a package, and where it sends one; nil (every
	// program before shipping settings existed) charges nothing and ships everywhere.
	Shipping *Shipping `bson:"shipping,omitempty" json:"shipping,omitempty"`
	// RefundsReverseWages says a refund takes back the wages credited for the refunded items;
	// the reason why is required while it is on.
	RefundsReverseWages       bool   `bson:"refundsReverseWages,omitempty" json:"refundsReverseWages,omitempty"`
	RefundsReverseWagesReason string `bson:"refundsReverseWagesReason,omitempty" json:"refundsReverseWagesReason,omitempty"`
}

// MinRefundReasonLen is the fewest characters a reason for reversing wages on refunds may have.
const MinRefundReasonLen = 10

// ShippingRate is a charge for the first item of a package and for each further item, in minor units of the program's currency.
type ShippingRate struct {
	First      int64 `bson:"first" json:"first" validate:"gte=0,lte=10000000"`
	Additional int64 `bson:"additional" json:"additional" validate:"gte=0,lte=10000000"`
}

// Shipping is a program's shipping settings. A nil Domestic rate means domestic shipping is
// free: a program always ships within its own country. A nil International rate means it does
// not ship abroad.
type Shipping struct {
	Domestic       *ShippingRate `bson:"domestic,omitempty" json:"domestic,omitempty"`                            // within the program's Country
	International  *ShippingRate `bson:"international,omitempty" json:"international,omitempty"`                  // nil: the program does not ship abroad
	FreeOver       *int64        `bson:"freeOver,omitempty" json:"freeOver,omitempty" validate:"omitempty,gte=0"` // a package whose items total >= this ships free
	ProcessingDays int           `bson:"processingDays" json:"processingDays" validate:"gte=0,lte=60"`            // days to dispatch stock items
}

// ShippingQuote is the shipping charge of one package of this program to country (ISO 3166 alpha-2) with `units` items whose prices total subtotal. ok is false when the program does not ship there.
//
// A program without shipping settings charges nothing and ships everywhere. Within the
// program's country the domestic rate applies (none set: free); elsewhere the international
// rate (none set: not shipped). A package whose subtotal reaches FreeOver ships free.
func (p Program) ShippingQuote(country string, subtotal int64, units int) (amount int64, ok bool) {
	sh := p.Shipping
	if sh == nil {
		return 0, true
	}
	rate := sh.International
	if strings.EqualFold(strings.TrimSpace(country), p.Country) {
		if sh.Domestic == nil {
			return 0, true
		}
		rate = sh.Domestic
	}
	if rate == nil {
		return 0, false
	}
	if sh.FreeOver != nil && subtotal >= *sh.FreeOver {
		return 0, true
	}
	if units < 1 {
		return 0, true
	}
	return rate.First + rate.Additional*int64(units-1), true
}

// DispatchDays is the program's processing days (0 when no shipping is set).
func (p Program) DispatchDays() int {
	if p.Shipping == nil {
		return 0
	}
	return p.Shipping.ProcessingDays
}

// PublicProgram is what anyone may know of a program: name and city, never an address.
type PublicProgram struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	City    string `json:"city"`
	Country string `json:"country"`
}

// Public returns the program's public face.
func (p Program) Public() PublicProgram {
	return PublicProgram{ID: p.ID, Name: p.Name, City: p.City, Country: p.Country}
}

// CreateInput is an admin's new program.
type CreateInput struct {
	Name             string `json:"name" validate:"required,min=2,max=120"`
	City             string `json:"city" validate:"required,min=2,max=80"`
	Country          string `json:"country" validate:"required,iso3166_1_alpha2"`
	Currency         string `json:"currency" validate:"required,iso4217"`
	LivingWageHourly int64  `json:"livingWageHourly" validate:"gt=0,lte=100000000"`
}

// SettingsInput changes a program's settings; nil fields stay as they are.
type SettingsInput struct {
	Name                *string `json:"name" validate:"omitempty,min=2,max=120"`
	City                *string `json:"city" validate:"omitempty,min=2,max=80"`
	LivingWageHourly    *int64  `json:"livingWageHourly" validate:"omitempty,gt=0,lte=100000000"`
	PayeeModel          *string `json:"payeeModel" validate:"omitempty,oneof=maker program"`
	HoldDays            *int    `json:"holdDays" validate:"omitempty,gte=0,lte=90"`
	ProgramSharePercent *int    `json:"programSharePercent" validate:"omitempty,gte=0,lte=50"`
	// Shipping replaces the program's shipping settings as a whole.
	Shipping *Shipping `json:"shipping"`
	// RefundsReverseWages turned on needs a reason (RefundsReverseWagesReason, or the one
	// already stored); turned off, the reason is cleared.
	RefundsReverseWages       *bool   `json:"refundsReverseWages"`
	RefundsReverseWagesReason *string `json:"refundsReverseWagesReason" validate:"omitempty,max=1000"`
}
