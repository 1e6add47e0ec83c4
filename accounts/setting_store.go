package accounts

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

const (
	settingsColl       = "settings"
	securitySettingsID = "security"
)

// SecuritySettings are the site's sign-in rules the admin sets.
type SecuritySettings struct {
	ID string `bson:"_id"`
	// StaffTwoFactor requires two-step sign-in of every coordinator and admin.
	StaffTwoFactor bool      `bson:"staffTwoFactor"`
	UpdatedAt      time.Time `bson:"updatedAt,omitempty"`
	UpdatedBy      string    `bson:"updatedBy,omitempty"`
}

// SettingStore keeps the site's settings, one small document per group, read by _id.
type SettingStore struct{ db *store.DB }

// NewSettingStore returns a SettingStore.
func NewSettingStore(db *store.DB) *SettingStore { return &SettingStore{db: db} }

// Security returns the sign-in settings; the zero settings when none were ever saved.
func (s *SettingStore) Security(ctx context.Context) (SecuritySettings, error) {
	var st SecuritySettings
	err := s.db.Read(settingsColl).FindOne(ctx, bson.M{"_id": securitySettingsID}).Decode(&st)
	if store.IsNotFound(err) {
		return SecuritySettings{ID: securitySettingsID}, nil
	}
	if err != nil {
		return SecuritySettings{}, fmt.Errorf("load security settings: %w", err)
	}
	return st, nil
}

// SetStaffTwoFactor saves whether staff must use two-step sign-in.
func (s *SettingStore) SetStaffTwoFactor(ctx context.Context, on bool, by string, at time.Time) error {
	_, err := s.db.Write(settingsColl).UpdateOne(ctx, bson.M{"_id": securitySettingsID},
		bson.M{"$set": bson.M{"staffTwoFactor": on, "updatedAt": at, "updatedBy": by}}, options.Update().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save security settings: %w", err)
	}
	return nil
}
