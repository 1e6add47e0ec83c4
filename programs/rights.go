package programs

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
)

// RetiredName replaces the pseudonym of a maker whose data was erased.
const RetiredName = "Former maker"

// ConsentInput changes consents; nil fields stay as they are.
type ConsentInput struct {
	PublicProfile *bool `json:"publicProfile"`
	Story         *bool `json:"story"`
	WorkPhotos    *bool `json:"workPhotos"`
	// PaperConsentNote is required when a coordinator gives again a consent the maker withdrew
	// herself: where her signed paper consent is kept. Only she may otherwise undo her own no.
	PaperConsentNote string `json:"paperConsentNote" validate:"max=500"`
}

// errPaperConsentNeeded refuses a coordinator's grant of a consent the maker withdrew herself.
var errPaperConsentNeeded = fault.Fields(map[string]string{"paperConsentNote": "she withdrew this consent herself: only she can give it again, " +
	"or note here where the paper consent form she signed is kept"})

// Storefront is the public face that shows makers and programs (the catalog): it must reflect a
// change at once (a withdrawn consent hides the name from cached pages at once; a program's new
// name or share shows on its products). Errors fail the change that caused them.
type Storefront interface {
	InvalidateMaker(ctx context.Context, makerID string) error
	InvalidateProgram(ctx context.Context, programID string) error
}

// Eraser erases one domain's part of a maker's data, as actor asked; it must be safe to run
// again, since an erasure that failed part way is simply repeated.
type Eraser interface {
	EraseMaker(ctx context.Context, actor accounts.Actor, makerID string) error
}

// SetConsent grants or withdraws a maker's consents, by the maker or a coordinator of their
// program (recorded as acting for the maker). A grant lasts ConsentMaxAge; a withdrawal takes
// effect at once, everywhere: the storefront has hidden what it withdraws before this returns.
func (s *Service) SetConsent(ctx context.Context, actor accounts.Actor, makerID string, in ConsentInput) (Consents, error) {
	m, err := s.store.Maker(ctx, makerID)
	if err != nil {
		return Consents{}, err
	}
	if !canSeeMaker(actor, m) || m.Status != "active" {
		return Consents{}, ErrMakerNotFound
	}
	if err := fault.Check(in); err != nil {
		return Consents{}, err
	}
	note := strings.TrimSpace(in.PaperConsentNote)
	now := s.now()
	set := bson.M{}
	var changes []string
	var refused bool
	apply := func(key string, v *bool, cur Consent) {
		if v == nil {
			return
		}
		c := Consent{Granted: *v, Purpose: cur.Purpose, CapturedBy: actor.UserID, At: now}
		if *v {
			c.ExpiresAt = now.Add(ConsentMaxAge)
			// Her own no stands against anyone but her, unless a signed paper consent is recorded.
			if !actor.IsMaker(m.ID) && cur.WithdrawnBy(m.ID) {
				if note == "" {
					refused = true
					return
				}
				c.PaperNote = note
			}
		}
		set["consent."+key] = c
		changes = append(changes, fmt.Sprintf("%s=%t", key, *v))
		if c.PaperNote != "" {
			changes[len(changes)-1] += " (paper consent: " + note + ")"
		}
	}
	apply("publicProfile", in.PublicProfile, m.Consent.PublicProfile)
	if in.PublicProfile != nil && *in.PublicProfile != m.Consent.PublicProfile.Active(now) {
		// Withdrawn, or given again: her public identity changes with it, so nobody who knew the
		// old page (or its links) can follow her to what is shown from now on.
		pid, err := s.store.IssuePublicID(ctx, makerID)
		if err != nil {
			return Consents{}, err
		}
		set["publicId"] = pid
	}
	apply("story", in.Story, m.Consent.Story)
	apply("workPhotos", in.WorkPhotos, m.Consent.WorkPhotos)
	if refused {
		return Consents{}, errPaperConsentNeeded
	}
	if len(set) == 0 {
		return Consents{}, fault.New(fault.Invalid, "nothing_to_change", "send at least one of publicProfile, story, workPhotos")
	}
	if err := s.store.SetMaker(ctx, makerID, set); err != nil {
		return Consents{}, err
	}
	if err := s.Audit.Record(ctx, actor, "consent.change", "maker", makerID, m.ProgramID, strings.Join(changes, ",")); err != nil {
		return Consents{}, err
	}
	if err := s.storefront.InvalidateMaker(ctx, makerID); err != nil {
		return Consents{}, fmt.Errorf("apply maker change: %w", err)
	}
	m, err = s.store.Maker(ctx, makerID)
	if err != nil {
		return Consents{}, err
	}
	return m.Consent, nil
}

// EraseInput confirms an erasure request.
type EraseInput struct {
	Confirm string `json:"confirm"`
}

// Erase honours a maker's request to be forgotten: private fields are erased, the pseudonym is
// retired, consents are withdrawn, the account is closed and its sessions revoked, and the other
// domains erase their private data (the erasers: products archived, training notes erased).
// Money records stay, as the law requires, keyed by an id with no name attached.
func (s *Service) Erase(ctx context.Context, actor accounts.Actor, makerID string, in EraseInput) error {
	m, err := s.store.Maker(ctx, makerID)
	if err != nil {
		return err
	}
	// A retired maker without erasedAt is an erasure that failed part-way (a hook, the account):
	// asking again finishes it. Every step below is safe to repeat.
	unfinished := m.Status == "retired" && m.ErasedAt.IsZero()
	if !canSeeMaker(actor, m) || (m.Status != "active" && !unfinished) {
		return ErrMakerNotFound
	}
	if in.Confirm != "ERASE" {
		return fault.Fields(map[string]string{"confirm": `must be "ERASE": erasure cannot be undone`})
	}
	// The other domains first: each part is safe to erase again, so if one fails the maker is
	// still active and the request can simply be repeated.
	for _, e := range s.erasers {
		if err := e.EraseMaker(ctx, actor, makerID); err != nil {
			return fmt.Errorf("erase maker data: %w", err)
		}
	}
	now := s.now()
	withdrawn := Consent{Granted: false, CapturedBy: actor.UserID, At: now}
	// The pseudonym is retired with its public id: the old page answers 404 for good.
	publicID, err := s.store.IssuePublicID(ctx, makerID)
	if err != nil {
		return err
	}
	err = s.store.SetMaker(ctx, makerID, bson.M{
		"publicId": publicID, "displayName": RetiredName, "legalName": "", "phone": "", "story": "", "status": "retired",
		"consent": Consents{PublicProfile: withdrawn, Story: withdrawn, WorkPhotos: withdrawn},
	})
	if err != nil {
		return err
	}
	if err := s.Accounts.Retire(ctx, makerID); err != nil {
		return err
	}
	if _, err := s.Accounts.LogoutEverywhere(ctx, makerID); err != nil {
		return err
	}
	if err := s.storefront.InvalidateMaker(ctx, makerID); err != nil {
		return fmt.Errorf("apply maker change: %w", err)
	}
	if err := s.Audit.Record(ctx, actor, "maker.erase", "maker", makerID, m.ProgramID, "private data erased; ledger kept without name"); err != nil {
		return err
	}
	// Only now is the erasure finished; until then it can be asked for again.
	return s.store.SetMaker(ctx, makerID, bson.M{"erasedAt": now})
}
