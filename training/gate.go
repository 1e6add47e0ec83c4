package training

import (
	"context"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

// Gate says that a maker of the program must complete a track before publishing in a category
// (for example a hallmarking sign-off before gold jewellery).
type Gate struct {
	Category string `bson:"category" json:"category"`
	TrackID  string `bson:"trackId" json:"trackId"`
}

// GateSettings are a program's selling gates, one document per program.
type GateSettings struct {
	ProgramID string    `bson:"_id"`
	Gates     []Gate    `bson:"gates"`
	UpdatedAt time.Time `bson:"updatedAt"`
	UpdatedBy string    `bson:"updatedBy"`
}

// GatesInput replaces a program's selling gates.
type GatesInput struct {
	Gates []GateInput `json:"gates" validate:"max=100,dive"`
}

// GateInput is one gate of GatesInput.
type GateInput struct {
	Category string `json:"category" validate:"required,min=1,max=60"`
	TrackID  string `json:"trackId" validate:"required,max=40"`
}

// GateView is a gate with the track's current name, for the settings page.
type GateView struct {
	Category  string `json:"category"`
	TrackID   string `json:"trackId"`
	TrackName string `json:"trackName"`
}

// normCategory is how categories are compared: the catalog may send "Gold jewellery" or
// "gold jewellery " for the same thing.
func normCategory(c string) string { return strings.ToLower(strings.TrimSpace(c)) }

// Gates returns a program's selling gates (none when never set).
func (s *Store) Gates(ctx context.Context, programID string) ([]Gate, error) {
	var g GateSettings
	err := s.db.Read(gatesColl).FindOne(ctx, bson.M{"_id": programID}).Decode(&g)
	if store.IsNotFound(err) {
		return []Gate{}, nil
	}
	if err != nil {
		return nil, wrap("load selling gates", err)
	}
	if g.Gates == nil {
		g.Gates = []Gate{}
	}
	return g.Gates, nil
}

// SetGates replaces a program's selling gates.
func (s *Store) SetGates(ctx context.Context, g GateSettings) error {
	_, err := s.db.Write(gatesColl).ReplaceOne(ctx, bson.M{"_id": g.ProgramID}, g, options.Replace().SetUpsert(true))
	if err != nil {
		return wrap("save selling gates", err)
	}
	return nil
}
