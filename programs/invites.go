package programs

import (
	"context"
	"strconv"

	"github.com/fairhands/marketplace/accounts"
)

// RevokeMakerInvites withdraws every pending invitation link of a maker, for a coordinator of
// her program or an admin (a link handed to the wrong person, or lost with a phone). It returns
// how many links it withdrew (0 when none was pending) and records the change in the audit
// trail. Anyone else, the maker included, gets ErrMakerNotFound.
func (s *Service) RevokeMakerInvites(ctx context.Context, actor accounts.Actor, makerID string) (int64, error) {
	m, err := s.store.Maker(ctx, makerID)
	if err != nil {
		return 0, err
	}
	if !actor.Coordinates(m.ProgramID) {
		return 0, ErrMakerNotFound
	}
	n, err := s.Accounts.RevokeInvites(ctx, m.ID)
	if err != nil {
		return 0, err
	}
	if err := s.Audit.Record(ctx, actor, "maker.invite_revoke", "maker", m.ID, m.ProgramID,
		strconv.FormatInt(n, 10)+" invitation link(s) revoked"); err != nil {
		return 0, err
	}
	return n, nil
}
