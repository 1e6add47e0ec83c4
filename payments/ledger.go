package payments

import (
	"fmt"
	"time"
)

// Ledger entry kinds.
const (
	// KindEarning credits a maker's wage for one paid order item.
	KindEarning = "earning"
	// KindReversal takes an earning back after a refund or a lost dispute (negative amount).
	KindReversal = "reversal"
	// KindShipping records a package's shipping charge: the program's money, not a wage.
	KindShipping = "shipping"
	// KindProgramRefund charges the program for a refund of goods already sent (lost, damaged,
	// returned): the maker did the work and keeps her wage; the program's share bears it
	// (negative amount).
	KindProgramRefund = "program_refund"
)

// Ledger entry statuses. An earning is pending until its payee is ready and its hold has passed,
// transferring while one worker holds it, then transferred (with the Stripe transfer id). An
// offline (cash) sale's earning is collected: the program holds the money and pays the maker,
// recorded as a disbursement. A dispute freezes pending earnings. A refund reverses an earning:
// the earning becomes reversed and a reversal entry records it (with the Stripe transfer
// reversal id when money had already moved).
const (
	EntryPending      = "pending"
	EntryTransferring = "transferring"
	EntryTransferred  = "transferred"
	EntryCollected    = "collected"
	EntryFrozen       = "frozen"
	EntryReversing    = "reversing"
	EntryReversed     = "reversed"
	// EntryAwaitingDispatch is an online sale's earning before its package is sent: a wage is
	// payable once the work left the workshop (plus the program's hold), never before.
	EntryAwaitingDispatch = "awaiting_dispatch"
	// EntryRecorded is a line of the program's own account (shipping, refunds charged to it):
	// no worker moves it.
	EntryRecorded = "recorded"
)

// Settlement says how an earning's money reaches its payee.
const (
	SettleStripe  = "stripe"  // a Stripe transfer from the platform
	SettleOffline = "offline" // the program took the money in person
)

// Entry is one ledger line of one maker. Its ID is its natural key (order, item, kind), so the
// same earning can never be credited twice, whoever processes the sale and however often.
type Entry struct {
	ID        string `bson:"_id" json:"id"`
	Kind      string `bson:"kind" json:"kind"`
	OrderID   string `bson:"orderId" json:"orderId"`
	ItemIndex int    `bson:"itemIndex" json:"itemIndex"`
	ProductID string `bson:"productId" json:"productId"`
	MakerID   string `bson:"makerId" json:"makerId"`
	ProgramID string `bson:"programId" json:"programId"`
	PayeeType string `bson:"payeeType" json:"payeeType"`
	PayeeID   string `bson:"payeeId" json:"payeeId"`
	Amount    int64  `bson:"amount" json:"amount"`
	Currency  string `bson:"currency" json:"currency"`
	Status    string `bson:"status" json:"status"`
	// Settlement is SettleStripe or SettleOffline.
	Settlement string `bson:"settlement" json:"settlement"`
	// AvailableAt is when the program's hold period ends and the transfer may go.
	AvailableAt time.Time `bson:"availableAt" json:"availableAt"`
	// ChargeID is the buyer's charge, the transfer's source_transaction, so it waits for the funds.
	ChargeID    string `bson:"chargeId,omitempty" json:"-"`
	Destination string `bson:"destination,omitempty" json:"-"`
	TransferID  string `bson:"transferId,omitempty" json:"transferId,omitempty"`
	ReversalID  string `bson:"reversalId,omitempty" json:"reversalId,omitempty"`
	// EarningID links a reversal to the earning it takes back.
	EarningID string `bson:"earningId,omitempty" json:"earningId,omitempty"`

	Attempts      int       `bson:"attempts" json:"-"`
	NextAttemptAt time.Time `bson:"nextAttemptAt" json:"-"`
	LastError     string    `bson:"lastError,omitempty" json:"-"`
	ClaimedBy     string    `bson:"claimedBy,omitempty" json:"-"`
	LeaseUntil    time.Time `bson:"leaseUntil,omitempty" json:"-"`

	CreatedAt     time.Time `bson:"createdAt" json:"createdAt"`
	TransferredAt time.Time `bson:"transferredAt,omitempty" json:"transferredAt,omitzero"`
	ReversedAt    time.Time `bson:"reversedAt,omitempty" json:"reversedAt,omitzero"`
}

// entryID is the natural key of an order item's ledger entry of a kind.
func entryID(orderID string, itemIndex int, kind string) string {
	return fmt.Sprintf("%s:%d:%s", orderID, itemIndex, kind)
}

// transferKey is the idempotency key of an earning's transfer: derived from the entry alone, so
// every retry by any worker on any instance asks Stripe for the same transfer.
func transferKey(e Entry) string { return "fh-transfer-" + e.ID }

// reversalKey is the idempotency key of a reversal entry's transfer reversal.
func reversalKey(e Entry) string { return "fh-reversal-" + e.ID }

// Balance sums a maker's earnings by where the money is.
type Balance struct {
	Currency string `json:"currency"`
	// Pending is credited but not yet with the payee (waiting for sending, onboarding, the hold
	// period, a dispute, or the transfer worker).
	Pending int64 `json:"pending"`
	// AwaitingDispatch is the part of Pending whose package was not sent yet.
	AwaitingDispatch int64 `json:"awaitingDispatch"`
	// Transferred reached the payee: the maker's account, or the program's as paying agent
	// (including cash the program took at an offline sale).
	Transferred int64 `json:"transferred"`
	// Disbursed is what the program recorded handing to the maker.
	Disbursed int64 `json:"disbursed"`
}

// EntryView is a ledger line as the maker and their coordinators see it.
type EntryView struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	OrderID    string    `json:"orderId"`
	ProductID  string    `json:"productId"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Status     string    `json:"status"`
	TransferID string    `json:"transferId"`
	ReversalID string    `json:"reversalId,omitempty"`
	PayeeType  string    `json:"payeeType"`
	CreatedAt  time.Time `json:"createdAt"`
	// AvailableAt is when a pending earning's hold period ends.
	AvailableAt time.Time `json:"availableAt,omitzero"`
}

func (e Entry) view() EntryView {
	v := EntryView{ID: e.ID, Kind: e.Kind, OrderID: e.OrderID, ProductID: e.ProductID, Amount: e.Amount,
		Currency: e.Currency, Status: e.Status, TransferID: e.TransferID, ReversalID: e.ReversalID,
		PayeeType: e.PayeeType, CreatedAt: e.CreatedAt}
	if e.Kind == KindEarning && e.Status == EntryPending {
		v.AvailableAt = e.AvailableAt
	}
	return v
}

// Earnings is a maker's ledger: the balance and every entry, newest first.
type Earnings struct {
	MakerID string      `json:"makerId"`
	Balance Balance     `json:"balance"`
	Entries []EntryView `json:"entries"`
}

// backoff is the wait before retry n (1-based) of a failed transfer: 10 s doubling to an hour.
func backoff(n int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
