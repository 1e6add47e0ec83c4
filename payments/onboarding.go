package payments

import (
	"context"
	"fmt"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/programs"
)

// Onboarding is a fresh Stripe-hosted onboarding link for a payee's connected account. Links
// are single-use and short-lived; the refresh URL makes a new one.
type Onboarding struct {
	URL       string `json:"url"`
	AccountID string `json:"accountId"`
}

// OnboardMaker creates the maker's connected account on first use and returns a fresh
// onboarding link. The maker, or a coordinator of their program, may ask.
func (s *Service) OnboardMaker(ctx context.Context, actor accounts.Actor, makerID string) (Onboarding, error) {
	m, err := s.dir.Maker(ctx, makerID)
	if err != nil {
		return Onboarding{}, err
	}
	if !actor.IsMaker(m.ID) && !actor.Coordinates(m.ProgramID) {
		return Onboarding{}, programs.ErrMakerNotFound
	}
	if s.stripe == nil {
		return Onboarding{}, ErrStripeOff
	}
	prog, err := s.dir.Program(ctx, m.ProgramID)
	if err != nil {
		return Onboarding{}, err
	}
	acct := m.StripeAccountID
	if acct == "" {
		if acct, err = s.stripe.createAccount(ctx, PayeeMaker, m.ID, prog.Country, "individual"); err != nil {
			s.log.Error("create connected account", "maker", m.ID, "err", err.Error())
			return Onboarding{}, ErrStripeDown
		}
		if err := s.adopt(ctx, PayeeMaker, m.ID, acct); err != nil {
			return Onboarding{}, err
		}
		if err := s.dir.SetMakerPayoutAccount(ctx, m.ID, acct, false); err != nil {
			return Onboarding{}, err
		}
		s.record(ctx, actor, "payee.account_created", "maker", m.ID, m.ProgramID, acct)
	}
	url, err := s.stripe.accountLink(ctx, acct,
		s.cfg.BaseURL+"/api/v1/makers/"+m.ID+"/stripe/onboarding/refresh",
		s.cfg.BaseURL+"/?stripe_onboarding=done")
	if err != nil {
		s.log.Error("create account link", "maker", m.ID, "err", err.Error())
		return Onboarding{}, ErrStripeDown
	}
	return Onboarding{URL: url, AccountID: acct}, nil
}

// OnboardProgram does the same for a program's account, which receives its makers' wages when
// the program is their paying agent. Its coordinators or an admin may ask.
func (s *Service) OnboardProgram(ctx context.Context, actor accounts.Actor, programID string) (Onboarding, error) {
	if !actor.Coordinates(programID) {
		return Onboarding{}, programs.ErrNotFound
	}
	prog, err := s.dir.Program(ctx, programID)
	if err != nil {
		return Onboarding{}, err
	}
	if s.stripe == nil {
		return Onboarding{}, ErrStripeOff
	}
	acct := prog.StripeAccountID
	if acct == "" {
		if acct, err = s.stripe.createAccount(ctx, PayeeProgram, prog.ID, prog.Country, "non_profit"); err != nil {
			s.log.Error("create connected account", "program", prog.ID, "err", err.Error())
			return Onboarding{}, ErrStripeDown
		}
		if err := s.adopt(ctx, PayeeProgram, prog.ID, acct); err != nil {
			return Onboarding{}, err
		}
		if err := s.dir.SetProgramPayoutAccount(ctx, prog.ID, acct, false); err != nil {
			return Onboarding{}, err
		}
		s.record(ctx, actor, "payee.account_created", "program", prog.ID, prog.ID, acct)
	}
	url, err := s.stripe.accountLink(ctx, acct,
		s.cfg.BaseURL+"/api/v1/programs/"+prog.ID+"/stripe/onboarding/refresh",
		s.cfg.BaseURL+"/?stripe_onboarding=done")
	if err != nil {
		s.log.Error("create account link", "program", prog.ID, "err", err.Error())
		return Onboarding{}, ErrStripeDown
	}
	return Onboarding{URL: url, AccountID: acct}, nil
}

// adopt records a new connected account as the owner's, not yet able to receive payouts.
func (s *Service) adopt(ctx context.Context, ownerType, ownerID, acct string) error {
	now := s.now()
	if err := s.payees.ensure(ctx, payee{AccountID: acct, OwnerType: ownerType, OwnerID: ownerID, CreatedAt: now, UpdatedAt: now}); err != nil {
		return fmt.Errorf("record %s account: %w", ownerType, err)
	}
	return nil
}
