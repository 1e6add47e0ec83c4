// Package programs holds the workshops that train makers (a jewellery workshop in Kolkata, a
// tailoring workshop in Mumbai), their coordinators, and the makers enrolled in them — with
// makers' private details encrypted and every read of them audited.
package programs

import (
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
}
