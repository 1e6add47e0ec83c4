package programs

import "time"

// ConsentMaxAge is the longest a consent lasts before it must be asked for again (shelter media
// policy: written, revocable, at most three years).
const ConsentMaxAge = 3 * 365 * 24 * time.Hour

// Consent records one permission a maker gave: what for, who captured it, when, until when.
type Consent struct {
	Granted    bool      `bson:"granted" json:"granted"`
	Purpose    string    `bson:"purpose,omitempty" json:"purpose,omitempty"`
	CapturedBy string    `bson:"capturedBy,omitempty" json:"capturedBy,omitempty"`
	At         time.Time `bson:"at,omitempty" json:"at,omitempty"`
	ExpiresAt  time.Time `bson:"expiresAt,omitempty" json:"expiresAt,omitempty"`
	// PaperNote is a coordinator's record of the signed paper consent on which she gave again a
	// consent the maker had withdrawn herself.
	PaperNote string `bson:"paperNote,omitempty" json:"paperNote,omitempty"`
}

// WithdrawnBy reports whether the consent is withdrawn and the withdrawal was made by userID
// (the maker herself, when userID is her id).
func (c Consent) WithdrawnBy(userID string) bool {
	return !c.Granted && c.CapturedBy != "" && c.CapturedBy == userID
}

// Active reports whether the consent is granted and not expired at now.
func (c Consent) Active(now time.Time) bool { return c.Granted && now.Before(c.ExpiresAt) }

// Consents are the permissions that decide what of a maker is public.
type Consents struct {
	PublicProfile Consent `bson:"publicProfile" json:"publicProfile"`
	Story         Consent `bson:"story" json:"story"`
	WorkPhotos    Consent `bson:"workPhotos" json:"workPhotos"`
}

// Maker is a survivor enrolled in a program. The maker's account (users collection) has the same
// id. LegalName and Phone are sealed with the data key and never leave the private profile.
// PublicID is her public identity (her page, her products' links): random, never her account id,
// and replaced whenever her public profile is withdrawn or given again, so a pseudonym she took
// back cannot be followed to her new one.
type Maker struct {
	ID              string    `bson:"_id"`
	PublicID        string    `bson:"publicId"`
	ProgramID       string    `bson:"programId"`
	DisplayName     string    `bson:"displayName"`
	LegalNameSealed string    `bson:"legalName"`
	PhoneSealed     string    `bson:"phone,omitempty"`
	Story           string    `bson:"story,omitempty"`
	Consent         Consents  `bson:"consent"`
	Status          string    `bson:"status"` // active, retired
	StripeAccountID string    `bson:"stripeAccountId,omitempty"`
	PayoutsEnabled  bool      `bson:"payoutsEnabled"`
	CreatedBy       string    `bson:"createdBy"`
	CreatedAt       time.Time `bson:"createdAt"`
	ErasedAt        time.Time `bson:"erasedAt,omitempty"` // set when an erasure has finished
}

// MakerPrivate is the private profile, for the maker and their program's coordinators only.
type MakerPrivate struct {
	ID              string    `json:"id"`
	PublicID        string    `json:"publicId"`
	ProgramID       string    `json:"programId"`
	DisplayName     string    `json:"displayName"`
	LegalName       string    `json:"legalName"`
	Phone           string    `json:"phone,omitempty"`
	Story           string    `json:"story,omitempty"`
	Consent         Consents  `json:"consent"`
	Status          string    `json:"status"`
	Login           string    `json:"login,omitempty"`
	AccountStatus   string    `json:"accountStatus"`
	StripeAccountID string    `json:"stripeAccountId,omitempty"`
	PayoutsEnabled  bool      `json:"payoutsEnabled"`
	CreatedAt       time.Time `json:"createdAt"`
}

// PublicMaker is what buyers may see of a maker: a chosen pseudonym, only with consent, and the
// program's name and city. Without consent the maker is shown as "A maker" of the program. ID is
// the maker's public id, never her account id.
type PublicMaker struct {
	ID          string        `json:"id"`
	DisplayName string        `json:"displayName"`
	Program     PublicProgram `json:"program"`
	Story       string        `json:"story,omitempty"`
}

// AnonymousName is shown for a maker who has not consented to a public profile.
const AnonymousName = "A maker"

// Public returns the maker's public face under the consents in force at now.
func (m Maker) Public(p Program, now time.Time) PublicMaker {
	pm := PublicMaker{ID: m.PublicID, DisplayName: AnonymousName, Program: p.Public()}
	if m.Status != "active" {
		return pm
	}
	if m.Consent.PublicProfile.Active(now) {
		pm.DisplayName = m.DisplayName
	}
	if m.Consent.Story.Active(now) {
		pm.Story = m.Story
	}
	return pm
}

// CreateMakerInput is a coordinator's registration of a maker.
type CreateMakerInput struct {
	DisplayName string `json:"displayName" validate:"required,min=2,max=60"`
	LegalName   string `json:"legalName" validate:"required,min=2,max=120"`
	Phone       string `json:"phone" validate:"omitempty,max=32"`
	Story       string `json:"story" validate:"omitempty,max=4000"`
	Consent     *struct {
		PublicProfile bool `json:"publicProfile"`
		Story         bool `json:"story"`
		WorkPhotos    bool `json:"workPhotos"`
	} `json:"consent" validate:"required"`
}
