package payments

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// ErrFulfilmentNotFound answers a package that does not exist or is not the actor's to see.
var ErrFulfilmentNotFound = fault.New(fault.NotFound, "not_found", "package not found")

var fulfilmentStatuses = []string{FulfilToPrepare, FulfilSent, FulfilDelivered, FulfilCancelled, FulfilRefunded}

// orderStatusesWith lists the order statuses that can hold a package in status st.
func orderStatusesWith(st string) []string {
	switch st {
	case FulfilToPrepare:
		return []string{StatusPaid, StatusPartlyShipped}
	case FulfilSent, FulfilDelivered:
		return []string{StatusPartlyShipped, StatusShipped, StatusDelivered, StatusRefunded}
	}
	return []string{StatusPaid, StatusPartlyShipped, StatusShipped, StatusDelivered, StatusCancelled, StatusRefunded}
}

// FulfilmentQuery selects a program's packages.
type FulfilmentQuery struct {
	// Status is one package status, or empty for every package.
	Status string
	// Reference keeps the packages whose order reference starts with it (case-insensitive).
	Reference string
	Limit     int
	// WithoutAddress leaves the buyer's address and e-mail out (a count or a list that does
	// not show them), so the read is not one of personal data and is not audited.
	WithoutAddress bool
}

// Fulfilments lists a program's packages to its coordinators: those to prepare oldest due
// first, the others newest first. Each carries the buyer's delivery address, so the read is
// audited.
func (s *Service) Fulfilments(ctx context.Context, actor accounts.Actor, programID string, q FulfilmentQuery) ([]FulfilmentView, error) {
	if !actor.Coordinates(programID) {
		return nil, programs.ErrNotFound
	}
	if q.Status != "" && !slices.Contains(fulfilmentStatuses, q.Status) {
		return nil, fault.Fields(map[string]string{"status": "must be one of " + strings.Join(fulfilmentStatuses, ", ")})
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 100
	}
	q.Reference = strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(q.Reference), "#"))
	os, err := s.orders.list(ctx, bson.M{"programIds": programID, "channel": ChannelOnline, "status": bson.M{"$in": orderStatusesWith(q.Status)}},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(2000))
	if err != nil {
		return nil, err
	}
	names := s.makerNames(ctx)
	out := []FulfilmentView{}
	for _, o := range os {
		if q.Reference != "" && !strings.HasPrefix(o.Reference(), q.Reference) && !strings.HasPrefix(strings.ToUpper(o.ID), q.Reference) {
			continue
		}
		fs := o.Packages()
		for k, f := range fs {
			if f.ProgramID != programID || (q.Status != "" && f.Status != q.Status) {
				continue
			}
			v := fulfilmentView(o, fs, k, names)
			if q.WithoutAddress {
				v.ShippingAddress, v.Email = nil, ""
			}
			out = append(out, v)
		}
	}
	if q.Status == FulfilToPrepare {
		sort.SliceStable(out, func(a, b int) bool { return out[a].DueBy.Before(out[b].DueBy) })
	}
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	if len(out) > 0 && !q.WithoutAddress {
		if err := s.audit.Record(ctx, actor, "fulfilment.list", "program", programID, programID,
			fmt.Sprintf("%d packages with delivery addresses (status %q)", len(out), q.Status)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// makerNames returns a lookup of makers' display names, read once per call.
func (s *Service) makerNames(ctx context.Context) func(string) string {
	seen := map[string]string{}
	return func(id string) string {
		if n, ok := seen[id]; ok {
			return n
		}
		n := programs.RetiredName
		if m, err := s.dir.Maker(ctx, id); err == nil {
			n = m.DisplayName
		}
		seen[id] = n
		return n
	}
}

// loadPackage loads the order of package id and the package's index, for an actor who
// coordinates its program; anyone else gets ErrFulfilmentNotFound.
func (s *Service) loadPackage(ctx context.Context, actor accounts.Actor, id string) (Order, int, error) {
	orderID, n, ok := splitFulfilmentID(strings.TrimSpace(id))
	if !ok {
		return Order{}, 0, ErrFulfilmentNotFound
	}
	o, err := s.orders.byID(ctx, orderID)
	if errors.Is(err, ErrOrderNotFound) {
		return Order{}, 0, ErrFulfilmentNotFound
	}
	if err != nil {
		return Order{}, 0, err
	}
	fs := o.Packages()
	if n > len(fs) || !actor.Coordinates(fs[n-1].ProgramID) {
		return Order{}, 0, ErrFulfilmentNotFound
	}
	return o, n - 1, nil
}

// Fulfilment returns one package to its program's coordinators (the read is audited: it shows
// the buyer's address).
func (s *Service) Fulfilment(ctx context.Context, actor accounts.Actor, id string) (FulfilmentView, error) {
	o, k, err := s.loadPackage(ctx, actor, id)
	if err != nil {
		return FulfilmentView{}, err
	}
	fs := o.Packages()
	v := fulfilmentView(o, fs, k, s.makerNames(ctx))
	if err := s.audit.Record(ctx, actor, "fulfilment.read", "order", o.ID, fs[k].ProgramID, "package "+fs[k].ID+" with its delivery address"); err != nil {
		return FulfilmentView{}, err
	}
	return v, nil
}

// updatePackages changes an order's packages by compare-and-set on its revision (retrying when
// another change won) and moves a paid order's status with them. change edits fs in place and
// may return more fields to set.
func (s *Service) updatePackages(ctx context.Context, orderID string, change func(o Order, fs []Fulfilment) (bson.M, error)) (Order, []Fulfilment, error) {
	for attempt := 0; ; attempt++ {
		o, err := s.orders.byID(ctx, orderID)
		if err != nil {
			return Order{}, nil, err
		}
		fs := slices.Clone(o.Packages())
		extra, err := change(o, fs)
		if err != nil {
			return Order{}, nil, err
		}
		set := packageFields(o, fs)
		for k, v := range extra {
			set[k] = v
		}
		ok, err := s.orders.update(ctx, o.ID, o.Rev, set)
		if err != nil {
			return Order{}, nil, err
		}
		if ok {
			o, err = s.orders.byID(ctx, o.ID)
			return o, fs, err
		}
		if attempt >= 20 {
			return Order{}, nil, fault.New(fault.Conflict, "edit_conflict", "the order is changing right now: try again")
		}
	}
}

// packageFields is what an order's packages say of the order: its status (once paid), and the
// order-level dates and tracking that earlier clients read.
func packageFields(o Order, fs []Fulfilment) bson.M {
	set := bson.M{"fulfilments": fs}
	switch o.Status {
	case StatusPaid, StatusPartlyShipped, StatusShipped, StatusDelivered:
		st := derivedStatus(o, fs)
		set["status"] = st
		var last Fulfilment
		for _, f := range fs {
			if !f.SentAt.IsZero() && !f.SentAt.Before(last.SentAt) {
				last = f
			}
		}
		if !last.SentAt.IsZero() {
			if o.ShippedAt.IsZero() {
				set["shippedAt"] = last.SentAt
			}
			set["carrier"], set["trackingNumber"] = last.Carrier, last.TrackingNumber
		}
		if st == StatusDelivered && o.DeliveredAt.IsZero() {
			set["deliveredAt"] = time.Now().UTC()
		}
	}
	return set
}

// SendFulfilment marks a package sent, with its carrier and tracking number: its makers'
// wages become payable (after the program's hold, counted from today), and the buyer is told.
// A package sent already is a 409 saying when.
func (s *Service) SendFulfilment(ctx context.Context, actor accounts.Actor, id string, in ShipInput) (FulfilmentView, error) {
	in.TrackingNumber, in.Carrier = strings.TrimSpace(in.TrackingNumber), strings.TrimSpace(in.Carrier)
	if err := fault.Check(in); err != nil {
		return FulfilmentView{}, err
	}
	o, k, err := s.loadPackage(ctx, actor, id)
	if err != nil {
		return FulfilmentView{}, err
	}
	o, err = s.sendPackages(ctx, actor, o.ID, in, func(fs []Fulfilment) ([]int, error) {
		if err := canSend(o, fs[k]); err != nil {
			return nil, err
		}
		return []int{k}, nil
	})
	if err != nil {
		return FulfilmentView{}, err
	}
	fs := o.Packages()
	return fulfilmentView(o, fs, k, s.makerNames(ctx)), nil
}

// canSend says why package f of o cannot be sent, if it cannot.
func canSend(o Order, f Fulfilment) error {
	if !o.paidOrLater() {
		return fault.New(fault.Conflict, "not_paid", "this order is not paid yet: nothing can be sent")
	}
	switch f.Status {
	case FulfilToPrepare:
		return nil
	case FulfilSent, FulfilDelivered:
		msg := "this package was already sent on " + f.SentAt.Format("2 Jan 2006")
		if f.Carrier != "" || f.TrackingNumber != "" {
			msg += " (" + strings.TrimSpace(f.Carrier+" "+f.TrackingNumber) + ")"
		}
		return fault.New(fault.Conflict, "already_sent", "%s", msg)
	}
	return fault.New(fault.Conflict, "wrong_status", "this package was %s: it cannot be sent", f.Status)
}

// sendPackages sends the packages pick chooses, in one change of the order, then releases
// their wages and tells the buyer of each.
func (s *Service) sendPackages(ctx context.Context, actor accounts.Actor, orderID string, in ShipInput, pick func(fs []Fulfilment) ([]int, error)) (Order, error) {
	now := s.now().Truncate(time.Millisecond)
	var chosen []int
	o, fs, err := s.updatePackages(ctx, orderID, func(o Order, fs []Fulfilment) (bson.M, error) {
		var err error
		if chosen, err = pick(fs); err != nil {
			return nil, err
		}
		for _, k := range chosen {
			fs[k].Status, fs[k].SentAt, fs[k].Carrier, fs[k].TrackingNumber = FulfilSent, now, in.Carrier, in.TrackingNumber
		}
		return bson.M{"releasePending": true}, nil
	})
	if err != nil {
		return Order{}, err
	}
	for _, k := range chosen {
		s.record(ctx, actor, "fulfilment.send", "order", o.ID, fs[k].ProgramID,
			fmt.Sprintf("package %s sent: %s", fs[k].ID, strings.TrimSpace(in.Carrier+" "+in.TrackingNumber)))
	}
	s.releaseOrder(ctx, o)
	for _, k := range chosen {
		s.tell(ctx, "package_sent", o, map[string]any{"package": fs[k], "number": k + 1, "of": len(fs)})
	}
	return o, nil
}

// releaseOrder makes the wages of an order's sent packages payable and clears the order's
// mark that some are waiting; the ledger worker repeats it for any order a crash left marked.
func (s *Service) releaseOrder(ctx context.Context, o Order) {
	for _, f := range o.Packages() {
		if !f.Sent() && f.SentAt.IsZero() {
			continue
		}
		if err := s.releaseEarnings(ctx, o, f); err != nil {
			s.log.Warn("release wages of a sent package", "package", f.ID, "err", err.Error())
			return // the worker tries again
		}
	}
	if o.ReleasePending {
		if _, err := s.orders.update(ctx, o.ID, o.Rev, bson.M{"releasePending": false}); err != nil {
			s.log.Warn("clear release mark", "order", o.ID, "err", err.Error())
		}
	}
	s.kick()
}

// releaseEarnings moves the earnings of a sent package from awaiting dispatch to payable,
// with the program's hold counted from the day it was sent (frozen instead while the order
// is disputed). Each move is a compare-and-set, so a repeat changes nothing.
func (s *Service) releaseEarnings(ctx context.Context, o Order, f Fulfilment) error {
	now := s.now()
	sent := f.SentAt
	if sent.IsZero() {
		sent = now
	}
	for _, i := range f.Items {
		it := o.Items[i]
		st := EntryPending
		if o.Disputed {
			st = EntryFrozen
		}
		ok, err := s.ledger.cas(ctx, entryID(o.ID, i, KindEarning), []string{EntryAwaitingDispatch}, nil,
			bson.M{"$set": bson.M{"status": st, "availableAt": sent.AddDate(0, 0, it.HoldDays), "nextAttemptAt": now}})
		if err != nil {
			return err
		}
		if ok {
			s.record(ctx, workerActor, "ledger.release", "ledger_entry", entryID(o.ID, i, KindEarning), it.ProgramID,
				fmt.Sprintf("package %s sent: %d %s of maker %s payable from %s", f.ID, it.Shares.Maker, o.Currency, it.MakerID, sent.AddDate(0, 0, it.HoldDays).Format(time.DateOnly)))
		}
	}
	return nil
}

// releaseMarked finishes the releases a crash cut short: orders still marked after sending.
func (s *Service) releaseMarked(ctx context.Context) error {
	os, err := s.orders.list(ctx, bson.M{"releasePending": true}, options.Find().SetLimit(50))
	if err != nil {
		return err
	}
	for _, o := range os {
		s.releaseOrder(ctx, o)
	}
	return nil
}

// DeliverFulfilment marks a package delivered (sent, or handed over in person).
func (s *Service) DeliverFulfilment(ctx context.Context, actor accounts.Actor, id string) (FulfilmentView, error) {
	o, k, err := s.loadPackage(ctx, actor, id)
	if err != nil {
		return FulfilmentView{}, err
	}
	o, err = s.deliverPackages(ctx, actor, o.ID, func(fs []Fulfilment) ([]int, error) {
		switch fs[k].Status {
		case FulfilToPrepare, FulfilSent:
			if !o.paidOrLater() {
				return nil, fault.New(fault.Conflict, "not_paid", "this order is not paid yet")
			}
			return []int{k}, nil
		case FulfilDelivered:
			return nil, fault.New(fault.Conflict, "already_delivered", "this package was marked delivered on %s", fs[k].DeliveredAt.Format("2 Jan 2006"))
		}
		return nil, fault.New(fault.Conflict, "wrong_status", "this package was %s", fs[k].Status)
	})
	if err != nil {
		return FulfilmentView{}, err
	}
	return fulfilmentView(o, o.Packages(), k, s.makerNames(ctx)), nil
}

func (s *Service) deliverPackages(ctx context.Context, actor accounts.Actor, orderID string, pick func(fs []Fulfilment) ([]int, error)) (Order, error) {
	now := s.now().Truncate(time.Millisecond)
	var chosen []int
	o, fs, err := s.updatePackages(ctx, orderID, func(o Order, fs []Fulfilment) (bson.M, error) {
		var err error
		if chosen, err = pick(fs); err != nil {
			return nil, err
		}
		for _, k := range chosen {
			if fs[k].SentAt.IsZero() {
				fs[k].SentAt = now // handed over in person
			}
			fs[k].Status, fs[k].DeliveredAt = FulfilDelivered, now
		}
		return bson.M{"releasePending": true}, nil
	})
	if err != nil {
		return Order{}, err
	}
	for _, k := range chosen {
		s.record(ctx, actor, "fulfilment.deliver", "order", o.ID, fs[k].ProgramID, "package "+fs[k].ID+" delivered")
	}
	s.releaseOrder(ctx, o)
	return o, nil
}

// CancelFulfilment cancels a package not yet sent: its items and shipping are refunded to the
// buyer, its stock returns, and its makers' pending wages are cancelled (nothing was paid:
// wages are payable only once sent). A sent package is refunded instead.
func (s *Service) CancelFulfilment(ctx context.Context, actor accounts.Actor, id string, in CancelInput) (FulfilmentView, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := fault.Check(in); err != nil {
		return FulfilmentView{}, err
	}
	o, k, err := s.loadPackage(ctx, actor, id)
	if err != nil {
		return FulfilmentView{}, err
	}
	if o.Status == StatusPendingPayment {
		return FulfilmentView{}, fault.New(fault.Conflict, "not_paid", "this order is not paid yet: cancel the order instead")
	}
	o, err = s.cancelPackages(ctx, actor, o, []int{k}, in.Reason)
	if err != nil {
		return FulfilmentView{}, err
	}
	return fulfilmentView(o, o.Packages(), k, s.makerNames(ctx)), nil
}

// cancelPackages refunds and cancels the given packages of a paid order (all must be unsent).
func (s *Service) cancelPackages(ctx context.Context, actor accounts.Actor, o Order, ks []int, reason string) (Order, error) {
	fs := o.Packages()
	var idx []int
	for _, k := range ks {
		f := fs[k]
		switch {
		case f.Sent():
			return Order{}, fault.New(fault.Conflict, "already_sent", "package %d was sent on %s: refund its items instead", k+1, f.SentAt.Format("2 Jan 2006"))
		case !f.open():
			return Order{}, fault.New(fault.Conflict, "wrong_status", "package %d was %s already", k+1, f.Status)
		}
		for _, i := range f.Items {
			if !o.Items[i].Refunded() {
				idx = append(idx, i)
			}
		}
	}
	full := "cancelled by a coordinator"
	if reason != "" {
		full += ": " + reason
	}
	return s.refund(ctx, actor, o, idx, refundReq{restock: true, cancel: true, reason: full})
}

// RefundFulfilment refunds items of a package (positions in the package; all not yet refunded
// when none are listed). Unsent items are restocked and their wages cancelled; for items
// already sent the maker keeps her wage and the program bears the refund.
func (s *Service) RefundFulfilment(ctx context.Context, actor accounts.Actor, id string, in RefundInput) (FulfilmentView, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := fault.Check(in); err != nil {
		return FulfilmentView{}, err
	}
	o, k, err := s.loadPackage(ctx, actor, id)
	if err != nil {
		return FulfilmentView{}, err
	}
	f := o.Packages()[k]
	var idx []int
	for _, pos := range in.Items {
		if pos < 0 || pos >= len(f.Items) {
			return FulfilmentView{}, fault.Fields(map[string]string{"items": fmt.Sprintf("the package has %d items (0 to %d)", len(f.Items), len(f.Items)-1)})
		}
		idx = append(idx, f.Items[pos])
	}
	if len(in.Items) == 0 {
		for _, i := range f.Items {
			if !o.Items[i].Refunded() {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			return FulfilmentView{}, fault.New(fault.Conflict, "already_refunded", "every item of this package was refunded already")
		}
	}
	if _, err := s.Refund(ctx, actor, o.ID, RefundInput{Items: idx, Reason: in.Reason, Restock: in.Restock}); err != nil {
		return FulfilmentView{}, err
	}
	o, err = s.orders.byID(ctx, o.ID)
	if err != nil {
		return FulfilmentView{}, err
	}
	return fulfilmentView(o, o.Packages(), k, s.makerNames(ctx)), nil
}

// Ship sends the packages of a paid order that the actor's programs prepare (an admin: all not
// yet sent), with one carrier and tracking number. Another program's package is left to its
// own coordinators.
func (s *Service) Ship(ctx context.Context, actor accounts.Actor, id string, in ShipInput) (Order, error) {
	in.TrackingNumber, in.Carrier = strings.TrimSpace(in.TrackingNumber), strings.TrimSpace(in.Carrier)
	if err := fault.Check(in); err != nil {
		return Order{}, err
	}
	o, err := s.managed(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	o, err = s.sendPackages(ctx, actor, o.ID, in, func(fs []Fulfilment) ([]int, error) {
		ks := ownPackages(actor, fs, FulfilToPrepare)
		if len(ks) == 0 || !o.paidOrLater() {
			return nil, statusConflict(o, "paid, with a package of yours still to send")
		}
		return ks, nil
	})
	if err != nil {
		return Order{}, err
	}
	return s.orderFor(actor, o), nil
}

// ownPackages lists the packages of the actor's programs that are in one of the statuses.
func ownPackages(actor accounts.Actor, fs []Fulfilment, statuses ...string) []int {
	var ks []int
	for k, f := range fs {
		if actor.Coordinates(f.ProgramID) && slices.Contains(statuses, f.Status) {
			ks = append(ks, k)
		}
	}
	return ks
}

// orderFor is the order as the actor may see it after a change (scoped for coordinators).
func (s *Service) orderFor(actor accounts.Actor, o Order) Order {
	if actor.IsAdmin() || actor.Role == "system" {
		return o
	}
	return o.scopedFor(actor.Coordinates).Order
}

// Deliver marks the actor's packages of an order delivered (sent, or handed over in person).
func (s *Service) Deliver(ctx context.Context, actor accounts.Actor, id string) (Order, error) {
	o, err := s.managed(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	o, err = s.deliverPackages(ctx, actor, o.ID, func(fs []Fulfilment) ([]int, error) {
		ks := ownPackages(actor, fs, FulfilToPrepare, FulfilSent)
		if len(ks) == 0 || !o.paidOrLater() {
			return nil, statusConflict(o, "paid or shipped")
		}
		return ks, nil
	})
	if err != nil {
		return Order{}, err
	}
	return s.orderFor(actor, o), nil
}

// Cancel cancels an order. An unpaid one releases its stock (and its Checkout Session is
// expired, so it can no longer be paid); of a paid one, the actor's packages not yet sent are
// refunded and their stock returned. Sent packages are refunded instead.
func (s *Service) Cancel(ctx context.Context, actor accounts.Actor, id string, in CancelInput) (Order, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := fault.Check(in); err != nil {
		return Order{}, err
	}
	o, err := s.managed(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	switch o.Status {
	case StatusPendingPayment:
		reason := "cancelled by a coordinator"
		if in.Reason != "" {
			reason += ": " + in.Reason
		}
		if !s.coordinatesAll(actor, o, allIndexes(len(o.Items))) {
			return Order{}, fault.New(fault.Forbidden, "forbidden", "this order has items of programs you do not coordinate; ask an admin to cancel it")
		}
		if o.StripeSessionID != "" && s.stripe != nil {
			if err := s.stripe.expireSession(ctx, o.StripeSessionID); err != nil {
				return Order{}, fault.New(fault.Conflict, "payment_in_progress", "the buyer may be paying right now (Stripe would not close the checkout): try again in a minute")
			}
		}
		ok, err := s.cancelUnpaid(ctx, o, reason, actor)
		if err != nil {
			return Order{}, err
		}
		if !ok {
			return s.Cancel(ctx, actor, id, in) // it changed meanwhile (paid?): decide again
		}
	case StatusPaid, StatusPartlyShipped:
		ks := ownPackages(actor, o.Packages(), FulfilToPrepare)
		if len(ks) == 0 {
			return Order{}, statusConflict(o, "paid with a package of yours not yet sent")
		}
		if _, err := s.cancelPackages(ctx, actor, o, ks, in.Reason); err != nil {
			return Order{}, err
		}
	default:
		return Order{}, statusConflict(o, "pending payment or paid (not yet shipped)")
	}
	o, err = s.orders.byID(ctx, o.ID)
	if err != nil {
		return Order{}, err
	}
	return s.orderFor(actor, o), nil
}

// coordinatesAll reports whether actor manages the programs of all the given items.
func (s *Service) coordinatesAll(actor accounts.Actor, o Order, idx []int) bool {
	for _, i := range idx {
		if !actor.Coordinates(o.Items[i].ProgramID) {
			return false
		}
	}
	return true
}

// Refund refunds the listed items of a paid order, or every item not yet refunded of the
// actor's programs: the money goes back to the buyer through Stripe (with an idempotency key
// naming the order and items) and the items are marked. A package all of whose items are
// refunded has its shipping refunded too. What happens to the wage depends on whether the
// item was sent: an unsent item's earning is cancelled and its stock returns (nothing was
// paid); a sent item's earning stands and the refund is charged to the program, unless the
// program chose, with a recorded reason, that refunds take wages back.
func (s *Service) Refund(ctx context.Context, actor accounts.Actor, id string, in RefundInput) (Order, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := fault.Check(in); err != nil {
		return Order{}, err
	}
	o, err := s.managed(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	if !o.paidOrLater() || o.Status == StatusCancelled {
		return Order{}, errNotRefundable
	}
	idx := in.Items
	if len(idx) == 0 {
		for i, it := range o.Items {
			if !it.Refunded() && actor.Coordinates(it.ProgramID) {
				idx = append(idx, i)
			}
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		if i >= len(o.Items) {
			return Order{}, fault.Fields(map[string]string{"items": fmt.Sprintf("the order has %d items (0 to %d)", len(o.Items), len(o.Items)-1)})
		}
		if o.Items[i].Refunded() {
			return Order{}, fault.New(fault.Conflict, "already_refunded", "item %d (“%s”) was refunded already", i, o.Items[i].Title)
		}
	}
	if len(idx) == 0 {
		return Order{}, fault.New(fault.Conflict, "already_refunded", "every item of this order you coordinate was refunded already")
	}
	if !s.coordinatesAll(actor, o, idx) {
		return Order{}, fault.New(fault.Forbidden, "forbidden", "you may refund only items of programs you coordinate")
	}
	res, err := s.refund(ctx, actor, o, idx, refundReq{restock: in.Restock, reason: in.Reason})
	if err != nil {
		return Order{}, err
	}
	amount := res.AmountRefunded - o.AmountRefunded
	s.tell(ctx, "refunded", res, map[string]any{"amount": amount, "key": strings.Join(strings.Fields(fmt.Sprint(idx)), ",")})
	return s.orderFor(actor, res), nil
}

// refundReq says how a refund of items is recorded.
type refundReq struct {
	refundID string
	// restock returns sent items' units to stock too (unsent items always go back).
	restock bool
	// cancel marks packages this refund empties cancelled rather than refunded.
	cancel bool
	// finalStatus is the order's status when no item is left (refunded unless given).
	finalStatus string
	reason      string
}

// refundAmount is what refunding items idx of o sends back: the items not refunded yet, plus
// the shipping of each package the refund leaves with no item, less money refunded at Stripe
// without item details (that is back with the buyer already).
func refundAmount(o Order, idx []int) int64 {
	var amount int64
	for _, i := range idx {
		if !o.Items[i].Refunded() {
			amount += o.Items[i].Total
		}
	}
	for _, f := range o.Packages() {
		if !f.ShippingRefunded && f.Shipping > 0 && emptiedBy(o, f, idx) {
			amount += f.Shipping
		}
	}
	return amount - min(amount, o.unallocatedRefund())
}

// emptiedBy reports whether every item of f is refunded once idx are.
func emptiedBy(o Order, f Fulfilment, idx []int) bool {
	for _, i := range f.Items {
		if !o.Items[i].Refunded() && !slices.Contains(idx, i) {
			return false
		}
	}
	return true
}

// refund sends the money back at Stripe (when the order was paid through Stripe) and records
// the refund locally.
func (s *Service) refund(ctx context.Context, actor accounts.Actor, o Order, idx []int, req refundReq) (Order, error) {
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		parts = append(parts, strconv.Itoa(i))
	}
	items := strings.Join(parts, ",")
	amount := refundAmount(o, idx)
	if o.Channel == ChannelOnline && o.PaymentIntentID != "" && amount > 0 {
		if s.stripe == nil {
			return Order{}, ErrStripeOff
		}
		var err error
		req.refundID, err = s.stripe.refund(ctx, o.PaymentIntentID, amount, "fh-refund-"+o.ID+"-"+items,
			map[string]string{"order_id": o.ID, "items": items})
		if err != nil {
			s.log.Error("create Stripe refund", "order", o.ID, "err", err.Error())
			return Order{}, ErrStripeDown
		}
	}
	if req.finalStatus == "" && req.cancel {
		req.finalStatus = StatusCancelled
	}
	return s.refundItems(ctx, o.ID, idx, req, actor)
}

// refundItems records a refund of items: marks them (once — a repeat changes nothing), marks
// the packages it empties refunded (or cancelled) with their shipping, moves the order's
// status (finalStatus when no item is left), returns stock, and settles each item's wage (see
// Refund). It is the local half of every refund: ours, Stripe's charge.refunded event, and a
// lost dispute.
func (s *Service) refundItems(ctx context.Context, orderID string, idx []int, req refundReq, actor accounts.Actor) (Order, error) {
	if req.finalStatus == "" {
		req.finalStatus = StatusRefunded
	}
	for attempt := 0; ; attempt++ {
		o, err := s.orders.byID(ctx, orderID)
		if err != nil {
			return Order{}, err
		}
		now := s.now()
		items := slices.Clone(o.Items)
		fs := slices.Clone(o.Packages())
		var newly []int
		var amount int64
		for _, i := range idx {
			if i < 0 || i >= len(items) || items[i].Refunded() {
				continue
			}
			items[i].RefundedAt, items[i].RefundID = now, req.refundID
			newly = append(newly, i)
			amount += items[i].Total
		}
		if len(newly) > 0 {
			after := o
			after.Items = items
			for k := range fs {
				f := &fs[k]
				if !f.open() || !emptiedBy(after, *f, nil) {
					continue
				}
				if !f.ShippingRefunded && f.Shipping > 0 {
					f.ShippingRefunded = true
					amount += f.Shipping
				}
				if req.cancel && !f.Sent() {
					f.Status, f.CancelledAt, f.CancelReason = FulfilCancelled, now, req.reason
				} else {
					f.Status, f.RefundedAt = FulfilRefunded, now
				}
			}
			// Refunded at Stripe without item details counts towards these items, not on top.
			set := packageFields(o, fs)
			set["items"] = items
			set["amountRefunded"] = o.AmountRefunded + max(amount-o.unallocatedRefund(), 0)
			if !slices.ContainsFunc(items, func(it Item) bool { return !it.Refunded() }) {
				final := req.finalStatus
				if st, ok := set["status"].(string); ok {
					final = st // from the packages: refunded if any was refunded, else cancelled
				}
				set["status"], set["refundedAt"] = final, now
				if final == StatusCancelled {
					set["cancelledAt"] = now
					set["cancelReason"] = req.reason
				}
			}
			ok, err := s.orders.update(ctx, o.ID, o.Rev, set)
			if err != nil {
				return Order{}, err
			}
			if !ok {
				if attempt >= 20 {
					return Order{}, fault.New(fault.Conflict, "edit_conflict", "the order is changing right now: try again")
				}
				continue // another change won; look again
			}
			var back []Item
			for _, i := range newly {
				if req.restock || !o.itemSent(i) {
					back = append(back, items[i])
				}
			}
			s.restock(ctx, back)
			detail := fmt.Sprintf("items %v, %d %s, refund %s", newly, amount, o.Currency, req.refundID)
			if req.reason != "" {
				detail += "; " + req.reason
			}
			s.record(ctx, actor, "order.refund", "order", o.ID, firstOr(o.ProgramIDs), detail)
		}
		// Settle every listed item's wage, not only the newly refunded: a repeat after a crash
		// finishes what the first call started (each step is idempotent).
		o.Items, o.Fulfilments = items, fs
		for _, i := range idx {
			if i < 0 || i >= len(items) || !items[i].Refunded() {
				continue
			}
			if err := s.settleRefundedWage(ctx, o, i, actor); err != nil {
				return Order{}, err
			}
		}
		for _, f := range fs {
			if f.ShippingRefunded {
				if err := s.chargeProgram(ctx, o, f, -1, actor); err != nil {
					return Order{}, err
				}
			}
		}
		s.kick()
		return s.orders.byID(ctx, o.ID)
	}
}

// sentBefore reports whether a package had left the workshop (whatever happened after).
func sentBefore(f Fulfilment) bool { return !f.SentAt.IsZero() }

// settleRefundedWage settles the wage of refunded item i: a sent item's wage stands and the
// program is charged; an unsent item's earning is cancelled. A program that chose that refunds
// take wages back (refundsReverseWages, with a reason) reverses sent items' wages too.
func (s *Service) settleRefundedWage(ctx context.Context, o Order, i int, actor accounts.Actor) error {
	fs := o.Packages()
	k := packageOf(fs, i)
	if k >= 0 && sentBefore(fs[k]) && !s.reversesWages(ctx, o.Items[i].ProgramID) {
		// A wage taken back at Stripe by hand (the Dashboard) bore the refund already.
		if e, err := s.ledger.byID(ctx, entryID(o.ID, i, KindEarning)); err == nil && e.Status == EntryReversed {
			return nil
		}
		return s.chargeProgram(ctx, o, fs[k], i, actor)
	}
	return s.reverseEarning(ctx, o.ID, i, actor)
}

// reversesWages reports whether a program chose that refunds of sent goods take back wages.
func (s *Service) reversesWages(ctx context.Context, programID string) bool {
	p, err := s.dir.Program(ctx, programID)
	return err == nil && p.RefundsReverseWages
}

// chargeProgram records that the program bears the refund of item i of package f (or, with i
// = -1, of the package's shipping): a program_refund line of the program's account. Its id is
// its natural key, so a repeat records nothing new.
func (s *Service) chargeProgram(ctx context.Context, o Order, f Fulfilment, i int, actor accounts.Actor) error {
	amount, id, product, kind := f.Shipping, fmt.Sprintf("%s:shipping:%s", f.ID, KindProgramRefund), "", KindProgramRefund
	if i < 0 && !sentBefore(f) {
		// Shipping of a package that never left goes back: the program's shipping line is undone.
		kind, id = KindShipping, fmt.Sprintf("%s:shipping:refund", f.ID)
	}
	if i >= 0 {
		amount, id, product = o.Items[i].Total, entryID(o.ID, i, KindProgramRefund), o.Items[i].ProductID
	}
	if amount <= 0 {
		return nil
	}
	now := s.now()
	e := Entry{ID: id, Kind: kind, OrderID: o.ID, ItemIndex: i, ProductID: product, ProgramID: f.ProgramID,
		PayeeType: PayeeProgram, PayeeID: f.ProgramID, Amount: -amount, Currency: o.Currency, Status: EntryRecorded,
		Settlement: SettleStripe, AvailableAt: now, NextAttemptAt: now, CreatedAt: now}
	inserted, err := s.ledger.insert(ctx, e)
	if err != nil {
		return err
	}
	if inserted && kind == KindProgramRefund {
		what := "shipping"
		if i >= 0 {
			what = fmt.Sprintf("item %d (%s)", i, o.Items[i].Title)
		}
		s.record(ctx, actor, "ledger.program_refund", "ledger_entry", e.ID, f.ProgramID,
			fmt.Sprintf("refund of %s, sent on %s, charged to the program: %d %s; the maker's wage stands", what, f.SentAt.Format(time.DateOnly), amount, o.Currency))
	}
	return nil
}

// WorkLine is one thing a maker has to make or prepare: an item of a package not yet sent.
type WorkLine struct {
	OrderReference string    `json:"orderReference"`
	PackageID      string    `json:"packageId"`
	ProductID      string    `json:"productId"`
	Title          string    `json:"title"`
	Quantity       int       `json:"quantity"`
	MadeToOrder    bool      `json:"madeToOrder,omitempty"`
	DueBy          time.Time `json:"dueBy,omitzero"`
}

// MakerWork lists what a maker has to make or prepare, from open packages only, soonest due
// first: never the buyer or the address. The maker herself and her program's coordinators may
// read it; anyone else gets ErrMakerNotFound.
func (s *Service) MakerWork(ctx context.Context, actor accounts.Actor, makerID string) ([]WorkLine, error) {
	m, err := s.dir.Maker(ctx, makerID)
	if err != nil {
		return nil, err
	}
	if !actor.IsMaker(m.ID) && !actor.Coordinates(m.ProgramID) {
		return nil, programs.ErrMakerNotFound
	}
	os, err := s.orders.list(ctx, bson.M{"makerIds": m.ID, "status": bson.M{"$in": orderStatusesWith(FulfilToPrepare)}},
		options.Find().SetLimit(500))
	if err != nil {
		return nil, err
	}
	out := []WorkLine{}
	for _, o := range os {
		for _, f := range o.Packages() {
			if f.Status != FulfilToPrepare {
				continue
			}
			for _, i := range f.Items {
				it := o.Items[i]
				if it.MakerID != m.ID || it.Refunded() {
					continue
				}
				out = append(out, WorkLine{OrderReference: o.Reference(), PackageID: f.ID, ProductID: it.ProductID, Title: it.Title,
					Quantity: it.Quantity, MadeToOrder: it.MadeToOrder, DueBy: f.DueBy})
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].DueBy.Before(out[b].DueBy) })
	return out, nil
}
