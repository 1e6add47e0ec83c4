// Package catalog holds the goods makers list: products with their lifecycle (draft → review →
// published), the fair-wage floor every price must clear, photos stripped of metadata, and the
// public storefront's search, served from an in-process read model.
package catalog

import (
	"fmt"
	"time"

	"github.com/fairhands/marketplace/fault"
)

// Product statuses.
const (
	StatusDraft         = "draft"
	StatusPendingReview = "pending_review"
	StatusPublished     = "published"
	StatusArchived      = "archived"
)

// Errors the catalog returns.
var (
	ErrNotFound   = fault.New(fault.NotFound, "not_found", "product not found")
	ErrOutOfStock = fault.New(fault.Conflict, "out_of_stock", "not enough stock")
)

// Image is one stored photo with its renditions (EXIF-free JPEGs in several widths).
type Image struct {
	ID      string   `bson:"id" json:"id"`
	URL     string   `bson:"url" json:"url"` // the largest rendition
	Widths  []int    `bson:"widths" json:"widths"`
	Width   int      `bson:"width" json:"width"`
	Height  int      `bson:"height" json:"height"`
	FileIDs []string `bson:"fileIds" json:"-"` // GridFS ids, one per width
}

// Product is a maker's listing.
type Product struct {
	ID            string    `bson:"_id" json:"id"`
	MakerID       string    `bson:"makerId" json:"makerId"`
	ProgramID     string    `bson:"programId" json:"programId"`
	Title         string    `bson:"title" json:"title"`
	Description   string    `bson:"description" json:"description"`
	Category      string    `bson:"category" json:"category"`
	Price         int64     `bson:"price" json:"price"` // minor units
	Currency      string    `bson:"currency" json:"currency"`
	Stock         int       `bson:"stock" json:"stock"`
	HoursOfWork   float64   `bson:"hoursOfWork" json:"hoursOfWork"`
	MaterialsCost int64     `bson:"materialsCost" json:"materialsCost"` // minor units
	Status        string    `bson:"status" json:"status"`
	Images        []Image   `bson:"images" json:"images"`
	RejectReason  string    `bson:"rejectReason,omitempty" json:"rejectReason,omitempty"`
	WageException string    `bson:"wageException,omitempty" json:"wageException,omitempty"`
	CreatedAt     time.Time `bson:"createdAt" json:"createdAt"`
	UpdatedAt     time.Time `bson:"updatedAt" json:"updatedAt"`
	PublishedAt   time.Time `bson:"publishedAt,omitempty" json:"publishedAt,omitempty"`

	// WageExceptionBy is the coordinator who recorded WageException; the exception covers the
	// price, materials and hours it was granted for, and is dropped when any of them changes.
	WageExceptionBy string `bson:"wageExceptionBy,omitempty" json:"wageExceptionBy,omitempty"`
	// MadeToOrder products are made after they are bought: they sell without stock (holds and
	// restocks leave it alone), and LeadTimeDays (1..MaxLeadTimeDays; 0 on a stock product) is
	// how long the maker takes to make and dispatch one.
	MadeToOrder  bool `bson:"madeToOrder,omitempty" json:"madeToOrder"`
	LeadTimeDays int  `bson:"leadTimeDays,omitempty" json:"leadTimeDays,omitempty"`
	// Holds are the units set aside for orders, by order id, from checkout until the order is
	// paid (the hold is then settled) or let go (the units go back). Taking the units and
	// recording for whom is one write, so a process killed at any moment leaves both or neither,
	// and a hold whose order never got written is found and released. HoldCount is how many
	// there are, so the sweeper finds held products with one plain query.
	Holds     map[string]Hold `bson:"holds,omitempty" json:"-"`
	HoldCount int             `bson:"holdCount,omitempty" json:"-"`
	// Version grows with every write; updates are compare-and-set on it, and the read model
	// keeps the highest version it has seen, so a late poll never overwrites a newer entry.
	Version int64 `bson:"version" json:"-"`
}

// MaxLeadTimeDays is the longest a made-to-order product may take to make.
const MaxLeadTimeDays = 120

// checkLeadTime applies the made-to-order rule: a lead time of at least a day, and none on a
// product sold from stock (it is cleared).
func checkLeadTime(p *Product) error {
	if !p.MadeToOrder {
		p.LeadTimeDays = 0
		return nil
	}
	if p.LeadTimeDays < 1 {
		return fault.Fields(map[string]string{"leadTimeDays": fmt.Sprintf("must be 1 to %d days for a product made to order", MaxLeadTimeDays)})
	}
	return nil
}

// Hold is units of a product set aside for one order.
type Hold struct {
	Quantity int       `bson:"qty"`
	At       time.Time `bson:"at"`
}

// HeldUnits is one hold, as the sweeper sees it.
type HeldUnits struct {
	ProductID string
	HoldID    string
	Quantity  int
	At        time.Time
}

// FeeConfig is the estimated payment fee: a percentage in basis points plus a fixed amount.
type FeeConfig struct {
	PercentBP int64 // 290 = 2.9%
	Fixed     int64 // minor units
}

// WageBreakdown splits a price into what reaches the maker, materials, the program and fees.
// The four parts always add up to the price.
type WageBreakdown struct {
	Maker     int64 `json:"maker"`
	Materials int64 `json:"materials"`
	Program   int64 `json:"program"`
	Fees      int64 `json:"fees"`
}

// Breakdown computes the split of price. Fees and the program's share are rounded up (in the
// maker's disfavour by at most one minor unit each, so the fair-wage check is never optimistic);
// the maker gets the exact remainder, so the parts sum to price. Payments uses the same function,
// so what a buyer is shown is what the ledger credits.
func Breakdown(price, materials int64, programSharePercent int, fee FeeConfig) WageBreakdown {
	fees := ceilDiv(price*fee.PercentBP, 10000) + fee.Fixed
	program := ceilDiv(price*int64(programSharePercent), 100)
	maker := price - materials - program - fees
	return WageBreakdown{Maker: maker, Materials: materials, Program: program, Fees: fees}
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
