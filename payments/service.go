// Package payments sells catalog products and pays makers a fair wage: orders and checkout
// (Stripe Checkout, or a clearly labelled test-payment page when no Stripe key is set), a ledger
// per maker, Stripe Connect onboarding and transfers to each payee (the maker's own account, or
// the program's account as paying agent), refunds with transfer reversals, disputes, offline
// (cash) sales and the coordinators' record of wage disbursements.
//
// Money is int64 minor units with a currency. The design works on MongoDB and on the embedded
// FerretDB alike, so it uses no transactions: an order is one self-contained document whose
// state changes by compare-and-set on its status; each ledger entry is one document whose _id is
// its natural key (order, item, kind), so crediting twice is impossible; each Stripe event is
// claimed by inserting its id; transfers are claimed by compare-and-set with a lease and sent
// with an idempotency key derived from the entry, so a retry — after a failure, a crash, or on
// another instance — can never pay twice.
package payments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store"
)

// Errors the payments operations return.
var (
	ErrOrderNotFound = fault.New(fault.NotFound, "not_found", "order not found")
	ErrMixedCurrency = fault.New(fault.Invalid, "mixed_currency", "all items of one order must be in the same currency: check out each currency separately")
	ErrNoShipping    = fault.New(fault.Invalid, "no_shipping", "a workshop in your cart does not ship to this address")
	ErrStripeOff     = fault.New(fault.Unavailable, "stripe_not_configured", "Stripe is not configured (STRIPE_SECRET_KEY is empty), so payouts cannot be set up; checkout runs on the test-payment page")
	ErrStripeDown    = fault.New(fault.Unavailable, "payment_provider_unavailable", "the payment provider did not answer: please try again in a minute")
	errRetryLater    = fault.New(fault.Conflict, "retry_later", "this event depends on another that has not arrived yet; Stripe will deliver it again")
)

// Defaults.
const (
	// ReservationTTL is how long an unpaid order holds its stock.
	ReservationTTL = 30 * time.Minute
	// What unpaid checkouts may hold, so that nobody can empty the shop by starting checkouts
	// and never paying: units of one product and in all, per checkout, and per client address
	// and per e-mail across their unpaid orders (Config.HoldLimitScale multiplies the last two).
	MaxUnitsPerProduct  = 20
	MaxUnitsPerCheckout = 40
	// DefaultWorkerInterval is how often the ledger worker looks for due transfers when nothing
	// wakes it sooner.
	DefaultWorkerInterval = 2 * time.Second
	// transferLease is how long a claimed transfer belongs to one worker; a crashed worker's
	// claim is taken over after it, and the retry carries the same idempotency key.
	transferLease = 5 * time.Minute
	// stripeTimeout bounds one call to Stripe.
	stripeTimeout = 30 * time.Second
	// defaultCheckoutWait is Service.CheckoutWait's default.
	defaultCheckoutWait = 10 * time.Second
)

// Products is what payments needs of the catalog; *catalog.Service is one. ForSale returns
// catalog.ErrNotFound for a product that is not published. HoldStock takes units for an order
// (idempotent per order) and returns a fault.Conflict coded "out_of_stock" naming the product
// when fewer are left; ReleaseHold puts an order's held units back and SettleHold keeps them
// sold, each at most once; ReleaseStock restocks refunded units.
type Products interface {
	ForSale(ctx context.Context, productID string) (catalog.Product, error)
	HoldStock(ctx context.Context, productID, orderID string, qty int) error
	ReleaseHold(ctx context.Context, productID, orderID string) (bool, error)
	SettleHold(ctx context.Context, productID, orderID string) (bool, error)
	HeldStock(ctx context.Context) ([]catalog.HeldUnits, error)
	ReleaseStock(ctx context.Context, productID string, qty int) error
}

// Directory is what payments needs of programs and makers; *programs.Registry is one. Program
// returns programs.ErrNotFound and Maker programs.ErrMakerNotFound for unknown ids.
type Directory interface {
	Program(ctx context.Context, id string) (programs.Program, error)
	Maker(ctx context.Context, id string) (programs.Maker, error)
	Makers(ctx context.Context, programIDs []string) ([]programs.Maker, error)
	SetMakerPayoutAccount(ctx context.Context, makerID, accountID string, enabled bool) error
	SetProgramPayoutAccount(ctx context.Context, programID, accountID string, enabled bool) error
}

// Config configures the payments service.
type Config struct {
	// StripeSecretKey empty runs checkout on the app's own test-payment page (the demo).
	StripeSecretKey     string
	StripeWebhookSecret string
	// StripeAPIURL points stripe-go elsewhere (stripe-mock in tests); empty is Stripe itself.
	StripeAPIURL string
	// BaseURL is the site's public address, for Checkout's return pages and order links.
	BaseURL string
	// Fees is the catalog's fee estimate, so the ledger credits what the product page shows.
	Fees catalog.FeeConfig
	// BuyerEmail, when set, fills in a signed-in buyer's email for receipts.
	BuyerEmail func(ctx context.Context, userID string) (string, error)
	// SealToken and OpenToken keep an order's link token encrypted in the order, so the e-mails
	// sent later (paid, shipped, refunded) can carry the buyer's order link; nil keeps none.
	SealToken func(string) string
	OpenToken func(string) (string, error)
	// OnOrder is told of what a buyer hears about: "paid", "shipped" and "refunded" (detail holds
	// "amount" for a refund). orderURL is the buyer's order link, or "" when unknown. Errors are
	// the hook's to log; the order has changed either way.
	OnOrder func(ctx context.Context, event string, o Order, orderURL string, detail map[string]any)
	// OnLedgerRun is told what each ledger-worker pass did (for metrics); nil ignores it.
	OnLedgerRun func(LedgerStats)
	// HoldLimitScale multiplies what one client or e-mail may hold unpaid (0 means 1); tests
	// that are not about limits, all from one address, raise it.
	HoldLimitScale float64
	// WorkerInterval is how often the ledger worker polls; 0 means DefaultWorkerInterval.
	WorkerInterval time.Duration
	Logger         *slog.Logger
}

// Service runs orders, the ledger and Stripe.
type Service struct {
	cfg      Config
	db       *store.DB
	products Products
	dir      Directory
	audit    *audit.Log
	log      *slog.Logger
	stripe   *gateway // nil in test-payment mode

	orders   *orderStore
	ledger   *ledgerStore
	events   *eventStore
	payees   *payeeStore
	disburse *disbursementStore

	// Now is the clock; tests may replace it before the workers start.
	Now func() time.Time
	// CheckoutWait bounds the wait for Stripe to open a Checkout Session: a buyer is told the
	// payment provider is not answering rather than left looking at a spinner. Default 10 s.
	CheckoutWait time.Duration

	wake     chan struct{}
	workerID string
	// lastReleaseSweep is when the ledger worker last looked for sent packages whose wages a
	// crash left unreleased (unix nanoseconds).
	lastReleaseSweep atomic.Int64
}

// New opens the payments stores (creating their indexes) and, with a secret key, the Stripe client.
func New(ctx context.Context, cfg Config, db *store.DB, products Products, dir Directory, auditLog *audit.Log) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WorkerInterval <= 0 {
		cfg.WorkerInterval = DefaultWorkerInterval
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &Service{cfg: cfg, db: db, products: products, dir: dir, audit: auditLog, log: cfg.Logger,
		wake: make(chan struct{}, 1), workerID: randomHex(8)}
	var err error
	if s.orders, err = newOrderStore(ctx, db); err != nil {
		return nil, err
	}
	if s.ledger, err = newLedgerStore(ctx, db); err != nil {
		return nil, err
	}
	if s.events, err = newEventStore(ctx, db); err != nil {
		return nil, err
	}
	if s.payees, err = newPayeeStore(ctx, db); err != nil {
		return nil, err
	}
	if s.disburse, err = newDisbursementStore(ctx, db); err != nil {
		return nil, err
	}
	if cfg.StripeSecretKey != "" {
		s.stripe = newGateway(cfg.StripeSecretKey, cfg.StripeAPIURL, &http.Client{Timeout: stripeTimeout})
	}
	return s, nil
}

// TestMode reports whether checkout runs on the app's test-payment page (no Stripe key).
func (s *Service) TestMode() bool { return s.stripe == nil }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// kick wakes the ledger worker without waiting for its next tick.
func (s *Service) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// systemActor is who the audit trail names for what Stripe's events and the workers change.
var (
	stripeActor = accounts.Actor{UserID: "system:stripe", Role: "system"}
	workerActor = accounts.Actor{UserID: "system:payments-worker", Role: "system"}
)

func (s *Service) record(ctx context.Context, actor accounts.Actor, action, recordType, recordID, programID, detail string) {
	if err := s.audit.Record(ctx, actor, action, recordType, recordID, programID, detail); err != nil {
		// Money already moved or was recorded; a failed audit write must not undo it, but it
		// must be seen.
		s.log.Error("audit write failed", "action", action, "record", recordID, "err", err.Error())
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// orderURL is the guest's order link.
func (s *Service) orderURL(token string) string { return s.cfg.BaseURL + "/orders/" + token }

// tell passes an order event to the OnOrder hook with the buyer's link when it can be opened.
func (s *Service) tell(ctx context.Context, event string, o Order, detail map[string]any) {
	if s.cfg.OnOrder == nil {
		return
	}
	link := ""
	if o.TokenSealed != "" && s.cfg.OpenToken != nil {
		if token, err := s.cfg.OpenToken(o.TokenSealed); err == nil {
			link = s.orderURL(token)
		}
	}
	s.cfg.OnOrder(ctx, event, o, link, detail)
}

// testPaymentURL is the test-payment page of an order.
func (s *Service) testPaymentURL(orderID, token string) string {
	return fmt.Sprintf("%s/checkout/test/%s?token=%s", s.cfg.BaseURL, orderID, token)
}

// OrderURL is the private link of the order whose token is token: the buyer's page for it.
func (s *Service) OrderURL(token string) string { return s.orderURL(token) }
