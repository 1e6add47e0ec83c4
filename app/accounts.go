package app

import (
	"context"
	"fmt"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/programs"
)

// loginAlarm puts attacks on an account's password into the audit trail of the account's
// program(s), where its coordinators and the admin review them; the coordinator's maker page
// also shows them (from the account's mark).
type loginAlarm struct {
	audit    *audit.Log
	registry *programs.Registry
}

func (a loginAlarm) LoginAttack(ctx context.Context, u accounts.User, attempts int, ip string) error {
	detail := fmt.Sprintf("%d sign-in attempts within 15 minutes; the account is not locked; the last from %s", attempts, ip)
	actor := accounts.Actor{IP: ip}
	switch u.Role {
	case accounts.RoleMaker:
		m, err := a.registry.Maker(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("login alarm: %w", err)
		}
		return a.audit.Record(ctx, actor, "account.login_attack", "maker", u.ID, m.ProgramID, detail)
	case accounts.RoleCoordinator:
		for _, pid := range u.ProgramIDs {
			if err := a.audit.Record(ctx, actor, "account.login_attack", "user", u.ID, pid, detail); err != nil {
				return err
			}
		}
		return nil
	}
	return a.audit.Record(ctx, actor, "account.login_attack", "user", u.ID, "", detail)
}
