package programs

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
)

// Registry is what the other domains (catalog, training, payments) may read of programs and
// makers, plus the one thing they may change: the payout account payments keeps on them. It
// checks no scope: a domain that shows what it reads to a person checks that person's scope
// itself. Program returns ErrNotFound and Maker ErrMakerNotFound for unknown ids.
type Registry struct{ st *Store }

// Program returns a program, or ErrNotFound.
func (r *Registry) Program(ctx context.Context, id string) (Program, error) {
	return r.st.Program(ctx, id)
}

// Programs lists programs by id, or all of them when ids is nil.
func (r *Registry) Programs(ctx context.Context, ids []string) ([]Program, error) {
	return r.st.Programs(ctx, ids)
}

// Maker returns a maker, or ErrMakerNotFound.
func (r *Registry) Maker(ctx context.Context, id string) (Maker, error) { return r.st.Maker(ctx, id) }

// Makers lists the makers of the given programs, or all when programIDs is nil.
func (r *Registry) Makers(ctx context.Context, programIDs []string) ([]Maker, error) {
	return r.st.Makers(ctx, programIDs)
}

// SetMakerPayoutAccount records the maker's own Stripe connected account and whether it can
// receive transfers yet.
func (r *Registry) SetMakerPayoutAccount(ctx context.Context, makerID, accountID string, enabled bool) error {
	return r.st.SetMaker(ctx, makerID, bson.M{"stripeAccountId": accountID, "payoutsEnabled": enabled})
}

// SetProgramPayoutAccount records the program's Stripe connected account (it receives wages as
// paying agent) and whether it can receive transfers yet.
func (r *Registry) SetProgramPayoutAccount(ctx context.Context, programID, accountID string, enabled bool) error {
	return r.st.SetProgram(ctx, programID, bson.M{"stripeAccountId": accountID, "payoutsEnabled": enabled})
}
