package payments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/periodic"
	"github.com/fairhands/marketplace/programs"
)

var (
	errEntryNotFound = fault.New(fault.NotFound, "not_found", "ledger entry not found")
	errPayeeUnknown  = errors.New("connected account not known")
)

// payeeRecheck is how long an earning whose payee cannot receive payouts waits before the worker
// looks at it again (account.updated wakes it sooner).
const payeeRecheck = 15 * time.Minute

// LedgerStats counts what one pass of the ledger worker did.
type LedgerStats struct {
	Transferred int
	Reversed    int
	Failed      int
	Waiting     int // earnings whose payee is not ready
}

// TransferWorker runs the ledger worker until ctx ends: every interval, and at once when a
// payment, a refund or a payee's readiness wakes it. Several workers, in one process or on
// several instances, may run at once: each entry is claimed by compare-and-set.
func (s *Service) TransferWorker(ctx context.Context) {
	periodic.Run(ctx, s.cfg.WorkerInterval, s.wake, s.log, "ledger worker", func(ctx context.Context) error {
		stats, err := s.ProcessLedger(ctx)
		if s.cfg.OnLedgerRun != nil {
			s.cfg.OnLedgerRun(stats)
		}
		return err
	})
}

// ProcessLedger does one pass over due ledger work: reversals first (money owed back), then
// transfers of earnings whose payee is ready and whose hold has passed.
func (s *Service) ProcessLedger(ctx context.Context) (LedgerStats, error) {
	var st LedgerStats
	if now, last := s.now(), s.lastReleaseSweep.Load(); now.UnixNano()-last >= int64(time.Minute) && s.lastReleaseSweep.CompareAndSwap(last, now.UnixNano()) {
		if err := s.releaseMarked(ctx); err != nil {
			return st, err
		}
	}
	revs, err := s.ledger.due(ctx, KindReversal, s.now(), 100)
	if err != nil {
		return st, err
	}
	for _, e := range revs {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		done, err := s.processReversal(ctx, e)
		switch {
		case err != nil:
			st.Failed++
			s.log.Warn("reverse earning", "entry", e.ID, "err", err.Error())
		case done:
			st.Reversed++
		}
	}
	if s.stripe == nil {
		return st, nil // test-payment mode: nothing can be transferred
	}
	earnings, err := s.ledger.due(ctx, KindEarning, s.now(), 100)
	if err != nil {
		return st, err
	}
	ready := map[string]string{} // payee → destination account, "" when not ready
	for _, e := range earnings {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		key := e.PayeeType + ":" + e.PayeeID
		dest, seen := ready[key]
		if !seen {
			dest, err = s.payeeAccount(ctx, e.PayeeType, e.PayeeID)
			if err != nil {
				return st, err
			}
			ready[key] = dest
		}
		if e.Destination != "" {
			// A retry goes where the first attempt went: the idempotency key binds the request.
			dest = e.Destination
		}
		if dest == "" {
			// Look again later, so waiting earnings never crowd out due ones; the payee's
			// account.updated brings them forward the moment payouts are enabled.
			st.Waiting++
			if err := s.ledger.postpone(ctx, e.ID, s.now().Add(payeeRecheck)); err != nil {
				return st, err
			}
			continue
		}
		done, err := s.transferEarning(ctx, e, dest)
		switch {
		case err != nil:
			st.Failed++
			s.log.Warn("transfer earning", "entry", e.ID, "err", err.Error())
		case done:
			st.Transferred++
		}
	}
	return st, nil
}

// payeeAccount returns the payee's connected account if it can receive payouts, else "".
func (s *Service) payeeAccount(ctx context.Context, payeeType, payeeID string) (string, error) {
	var acct string
	switch payeeType {
	case PayeeMaker:
		m, err := s.dir.Maker(ctx, payeeID)
		if errors.Is(err, programs.ErrMakerNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		acct = m.StripeAccountID
	case PayeeProgram:
		p, err := s.dir.Program(ctx, payeeID)
		if errors.Is(err, programs.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		acct = p.StripeAccountID
	}
	if acct == "" {
		return "", nil
	}
	p, err := s.payees.byAccount(ctx, acct)
	if errors.Is(err, errPayeeUnknown) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !p.PayoutsEnabled {
		return "", nil
	}
	return acct, nil
}

// claim takes an entry for this worker: a pending one whose time has come, or a busy one whose
// worker's lease ran out. Only one claimer can win.
func (s *Service) claim(ctx context.Context, e Entry, busy string, set bson.M) (string, bool, error) {
	now := s.now()
	me := s.workerID + "-" + randomHex(4)
	set["status"], set["claimedBy"], set["leaseUntil"] = busy, me, now.Add(transferLease)
	update := bson.M{"$set": set, "$inc": bson.M{"attempts": 1}}
	var ok bool
	var err error
	if e.Status == EntryPending {
		ok, err = s.ledger.cas(ctx, e.ID, []string{EntryPending}, bson.M{"nextAttemptAt": bson.M{"$lte": now}}, update)
	} else {
		ok, err = s.ledger.cas(ctx, e.ID, []string{busy}, bson.M{"leaseUntil": bson.M{"$lt": now}, "claimedBy": e.ClaimedBy}, update)
	}
	return me, ok, err
}

// unclaim gives an entry back after a failed attempt, to be retried after a backoff.
func (s *Service) unclaim(ctx context.Context, id, busy, me string, attempts int, cause error) error {
	_, err := s.ledger.cas(ctx, id, []string{busy}, bson.M{"claimedBy": me}, bson.M{
		"$set":   bson.M{"status": EntryPending, "nextAttemptAt": s.now().Add(backoff(attempts)), "lastError": cause.Error()},
		"$unset": bson.M{"claimedBy": "", "leaseUntil": ""},
	})
	return err
}

// transferEarning claims one earning and transfers it. The idempotency key comes from the entry,
// so if this worker (or its instance) dies after Stripe made the transfer and before it was
// recorded, the next claimer's request returns that same transfer instead of a second one; for
// a retry after Stripe forgot the key (24 hours) the transfer is first looked up by its group.
func (s *Service) transferEarning(ctx context.Context, e Entry, dest string) (bool, error) {
	uncertain := e.Attempts > 0 // an earlier attempt may have reached Stripe
	me, ok, err := s.claim(ctx, e, EntryTransferring, bson.M{"destination": dest})
	if err != nil || !ok {
		return false, err
	}
	e.Destination = dest
	cctx, cancel := context.WithTimeout(ctx, stripeTimeout)
	defer cancel()
	transferID := ""
	if uncertain {
		if transferID, err = s.stripe.findTransfer(cctx, e); err != nil {
			s.log.Warn("look for an earlier transfer", "entry", e.ID, "err", err.Error())
		}
	}
	if transferID == "" {
		transferID, err = s.stripe.transfer(cctx, e, dest)
	}
	if err != nil {
		if uerr := s.unclaim(context.WithoutCancel(ctx), e.ID, EntryTransferring, me, e.Attempts+1, err); uerr != nil {
			s.log.Error("give back a transfer claim", "entry", e.ID, "err", uerr.Error())
		}
		return false, fmt.Errorf("transfer %s (attempt %d, HTTP %d): %w", e.ID, e.Attempts+1, stripeStatus(err), err)
	}
	now := s.now()
	ok, err = s.ledger.cas(context.WithoutCancel(ctx), e.ID, []string{EntryTransferring}, bson.M{"claimedBy": me}, bson.M{
		"$set":   bson.M{"status": EntryTransferred, "transferId": transferID, "transferredAt": now},
		"$unset": bson.M{"claimedBy": "", "leaseUntil": "", "lastError": ""},
	})
	if err != nil {
		return false, err
	}
	if !ok {
		// Our lease ran out and another worker took over; it asks Stripe with the same key and
		// records the same transfer.
		return false, nil
	}
	s.record(ctx, workerActor, "ledger.transfer", "ledger_entry", e.ID, e.ProgramID,
		fmt.Sprintf("%d %s to %s %s (%s), transfer %s", e.Amount, e.Currency, e.PayeeType, e.PayeeID, dest, transferID))
	return true, nil
}

// reversalEntry is the reversal of an earning, not yet settled.
func reversalEntry(earning Entry, now time.Time) Entry {
	return Entry{ID: entryID(earning.OrderID, earning.ItemIndex, KindReversal), Kind: KindReversal,
		OrderID: earning.OrderID, ItemIndex: earning.ItemIndex, ProductID: earning.ProductID,
		MakerID: earning.MakerID, ProgramID: earning.ProgramID, PayeeType: earning.PayeeType, PayeeID: earning.PayeeID,
		Amount: -earning.Amount, Currency: earning.Currency, Status: EntryPending, Settlement: earning.Settlement,
		EarningID: earning.ID, NextAttemptAt: now, AvailableAt: now, CreatedAt: now}
}

// reverseEarning takes back an order item's earning after a refund. Money not yet sent is
// simply cancelled here; money already transferred is left to the worker, which reverses the
// transfer at Stripe.
func (s *Service) reverseEarning(ctx context.Context, orderID string, itemIndex int, actor accounts.Actor) error {
	earning, err := s.ledger.byID(ctx, entryID(orderID, itemIndex, KindEarning))
	if errors.Is(err, errEntryNotFound) {
		return nil // nothing was credited (no wage share, or not paid)
	}
	if err != nil {
		return err
	}
	now := s.now()
	rev := reversalEntry(earning, now)
	if _, err := s.ledger.insert(ctx, rev); err != nil {
		return err
	}
	ok, err := s.ledger.cas(ctx, earning.ID, []string{EntryPending, EntryFrozen, EntryCollected, EntryAwaitingDispatch}, nil,
		bson.M{"$set": bson.M{"status": EntryReversed, "reversedAt": now}})
	if err != nil {
		return err
	}
	if ok {
		if _, err := s.ledger.cas(ctx, rev.ID, []string{EntryPending}, nil,
			bson.M{"$set": bson.M{"status": EntryReversed, "reversedAt": now}}); err != nil {
			return err
		}
		s.record(ctx, actor, "ledger.reverse", "ledger_entry", earning.ID, earning.ProgramID,
			fmt.Sprintf("%d %s of maker %s cancelled before it was paid out", earning.Amount, earning.Currency, earning.MakerID))
	}
	return nil
}

// processReversal claims one reversal and settles it against its earning's state.
func (s *Service) processReversal(ctx context.Context, rev Entry) (bool, error) {
	me, ok, err := s.claim(ctx, rev, EntryReversing, bson.M{})
	if err != nil || !ok {
		return false, err
	}
	earning, err := s.ledger.byID(ctx, rev.EarningID)
	if err != nil {
		_ = s.unclaim(context.WithoutCancel(ctx), rev.ID, EntryReversing, me, rev.Attempts+1, err)
		return false, err
	}
	now := s.now()
	finish := func(reversalID string) error {
		set := bson.M{"status": EntryReversed, "reversedAt": now, "transferId": earning.TransferID}
		if reversalID != "" {
			set["reversalId"] = reversalID
		}
		_, err := s.ledger.cas(context.WithoutCancel(ctx), rev.ID, []string{EntryReversing}, bson.M{"claimedBy": me},
			bson.M{"$set": set, "$unset": bson.M{"claimedBy": "", "leaseUntil": "", "lastError": ""}})
		return err
	}
	switch earning.Status {
	case EntryPending, EntryFrozen, EntryCollected, EntryAwaitingDispatch:
		ok, err := s.ledger.cas(ctx, earning.ID, []string{earning.Status}, nil,
			bson.M{"$set": bson.M{"status": EntryReversed, "reversedAt": now}})
		if err != nil || !ok {
			if err == nil {
				err = errors.New("the earning changed meanwhile")
			}
			_ = s.unclaim(context.WithoutCancel(ctx), rev.ID, EntryReversing, me, 0, err)
			return false, err
		}
		s.record(ctx, workerActor, "ledger.reverse", "ledger_entry", earning.ID, earning.ProgramID,
			fmt.Sprintf("%d %s of maker %s cancelled before it was paid out", earning.Amount, earning.Currency, earning.MakerID))
		return true, finish("")
	case EntryReversed:
		return true, finish(earning.ReversalID)
	case EntryTransferring:
		// The transfer is in flight; reverse it once it is recorded.
		return false, s.unclaim(context.WithoutCancel(ctx), rev.ID, EntryReversing, me, 0, errors.New("waiting for the transfer to be recorded"))
	case EntryTransferred:
		if s.stripe == nil {
			return false, s.unclaim(context.WithoutCancel(ctx), rev.ID, EntryReversing, me, rev.Attempts+1, errors.New("Stripe is not configured"))
		}
		cctx, cancel := context.WithTimeout(ctx, stripeTimeout)
		defer cancel()
		reversalID, err := s.stripe.reverseTransfer(cctx, earning.TransferID, earning.Amount, reversalKey(rev))
		if err != nil {
			_ = s.unclaim(context.WithoutCancel(ctx), rev.ID, EntryReversing, me, rev.Attempts+1, err)
			return false, fmt.Errorf("reverse transfer %s: %w", earning.TransferID, err)
		}
		if _, err := s.ledger.cas(context.WithoutCancel(ctx), earning.ID, []string{EntryTransferred}, nil,
			bson.M{"$set": bson.M{"status": EntryReversed, "reversedAt": now, "reversalId": reversalID}}); err != nil {
			return false, err
		}
		s.record(ctx, workerActor, "ledger.reverse", "ledger_entry", earning.ID, earning.ProgramID,
			fmt.Sprintf("transfer %s of %d %s reversed (%s)", earning.TransferID, earning.Amount, earning.Currency, reversalID))
		return true, finish(reversalID)
	}
	return false, s.unclaim(context.WithoutCancel(ctx), rev.ID, EntryReversing, me, rev.Attempts+1, fmt.Errorf("earning in status %s", earning.Status))
}

// settleReversal records an earning's transfer reversed at Stripe (the transfer.reversed event).
func (s *Service) settleReversal(ctx context.Context, earning Entry, reversalID string, actor accounts.Actor) error {
	switch earning.Status {
	case EntryTransferring:
		return errRetryLater // the transfer is not recorded yet
	case EntryReversed:
		// Already recorded; make sure the reversal entry says so too.
	case EntryTransferred:
	default:
		return nil
	}
	now := s.now()
	rev := reversalEntry(earning, now)
	rev.Status, rev.ReversalID, rev.ReversedAt, rev.TransferID = EntryReversed, reversalID, now, earning.TransferID
	inserted, err := s.ledger.insert(ctx, rev)
	if err != nil {
		return err
	}
	if !inserted {
		if _, err := s.ledger.cas(ctx, rev.ID, []string{EntryPending, EntryReversing}, nil, bson.M{
			"$set":   bson.M{"status": EntryReversed, "reversalId": reversalID, "reversedAt": now, "transferId": earning.TransferID},
			"$unset": bson.M{"claimedBy": "", "leaseUntil": ""},
		}); err != nil {
			return err
		}
	}
	ok, err := s.ledger.cas(ctx, earning.ID, []string{EntryTransferred}, nil,
		bson.M{"$set": bson.M{"status": EntryReversed, "reversedAt": now, "reversalId": reversalID}})
	if err != nil {
		return err
	}
	if ok {
		s.record(ctx, actor, "ledger.reverse", "ledger_entry", earning.ID, earning.ProgramID,
			fmt.Sprintf("transfer %s reversed at Stripe (%s)", earning.TransferID, reversalID))
	}
	return nil
}
