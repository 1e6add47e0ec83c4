// Package accounts holds the people who sign in — admins, program coordinators, makers and
// buyers — with their credentials, sessions and invitations.
package accounts

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fairhands/marketplace/fault"
)

// Role says what a user may do.
type Role string

// The roles.
const (
	RoleAdmin       Role = "admin"
	RoleCoordinator Role = "coordinator"
	RoleMaker       Role = "maker"
	RoleBuyer       Role = "buyer"
)

// Errors the account operations return.
var (
	ErrNotFound       = fault.New(fault.NotFound, "not_found", "account not found")
	ErrBadCredentials = fault.New(fault.Unauthorized, "bad_credentials", "login or password is not right")
	// ErrThrottled answers a client that made too many tries, for one login or in all; it is the
	// same for logins that exist and logins that do not. It has the code of every other rate
	// limit, so clients already handle it.
	ErrThrottled         = fault.New(fault.TooMany, "rate_limited", "too many tries from this device: wait 15 minutes and try again, or ask your coordinator")
	ErrUnauthenticated   = fault.New(fault.Unauthorized, "unauthenticated", "please log in")
	ErrLoginTaken        = fault.New(fault.Conflict, "login_taken", "that login is already taken: choose another")
	ErrEmailTaken        = fault.New(fault.Conflict, "email_taken", "an account with that email already exists")
	ErrInviteInvalid     = fault.New(fault.NotFound, "invite_invalid", "this invitation link is not valid, was already used, or has expired: ask your coordinator for a new one")
	ErrAlreadyRegistered = fault.New(fault.Conflict, "already_active", "this person already has an active account")
)

// User is a person who can sign in.
type User struct {
	ID           string   `bson:"_id" json:"id"`
	Role         Role     `bson:"role" json:"role"`
	Login        string   `bson:"login" json:"login,omitempty"`
	Email        string   `bson:"email,omitempty" json:"email,omitempty"`
	Name         string   `bson:"name,omitempty" json:"name,omitempty"`
	PasswordHash string   `bson:"passwordHash,omitempty" json:"-"`
	ProgramIDs   []string `bson:"programIds,omitempty" json:"programIds,omitempty"`
	MakerID      string   `bson:"makerId,omitempty" json:"makerId,omitempty"`
	Lang         string   `bson:"lang,omitempty" json:"lang,omitempty"`
	Status       string   `bson:"status" json:"status"` // invited, active, retired
	// LoginAttackAt is when many wrong passwords were last tried on this login (from any
	// client); staff are shown it. Nothing is locked by it.
	LoginAttackAt time.Time `bson:"loginAttackAt,omitempty" json:"-"`
	// TwoFactor is a staff member's second sign-in factor; nil when it was never set up.
	TwoFactor *TwoFactor `bson:"twoFactor,omitempty" json:"-"`
	CreatedAt time.Time  `bson:"createdAt" json:"createdAt"`
}

// IsStaff reports whether the account is a coordinator's or an admin's: the people who read
// survivors' private records.
func (u User) IsStaff() bool { return u.Role == RoleAdmin || u.Role == RoleCoordinator }

// TwoFactorOn reports whether signing in needs a code as well as the password.
func (u User) TwoFactorOn() bool { return u.TwoFactor != nil && u.TwoFactor.On }

// RecoveryCodesLeft is how many unused recovery codes the account has.
func (u User) RecoveryCodesLeft() int {
	if !u.TwoFactorOn() {
		return 0
	}
	return len(u.TwoFactor.Recovery)
}

// User statuses.
const (
	StatusInvited = "invited"
	StatusActive  = "active"
	StatusRetired = "retired"
)

// pendingLoginPrefix fills the unique login of a maker who has not yet chosen one; it can never
// be typed as a login because login names may not contain ':'.
const pendingLoginPrefix = "pending:"

// Actor is the authenticated caller of a request, carried through to the domains for scope checks
// and the audit trail.
type Actor struct {
	UserID     string
	Role       Role
	ProgramIDs []string
	MakerID    string
	IP         string
}

// Anonymous reports whether nobody is logged in.
func (a Actor) Anonymous() bool { return a.UserID == "" }

// IsAdmin reports whether the actor is an admin.
func (a Actor) IsAdmin() bool { return a.Role == RoleAdmin }

// Coordinates reports whether the actor may manage programID: an admin, or one of its coordinators.
func (a Actor) Coordinates(programID string) bool {
	if a.Role == RoleAdmin {
		return true
	}
	return a.Role == RoleCoordinator && programID != "" && slices.Contains(a.ProgramIDs, programID)
}

// IsMaker reports whether the actor is the maker makerID.
func (a Actor) IsMaker(makerID string) bool {
	return a.Role == RoleMaker && makerID != "" && a.MakerID == makerID
}

// ActorOf builds the actor for a user.
func ActorOf(u User, ip string) Actor {
	return Actor{UserID: u.ID, Role: u.Role, ProgramIDs: u.ProgramIDs, MakerID: u.MakerID, IP: ip}
}

var loginNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)

// NormalizeLogin lower-cases and trims a login (an email or a maker's login name).
func NormalizeLogin(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateLoginName checks a maker's chosen login name.
func ValidateLoginName(s string) string {
	if !loginNameRE.MatchString(s) {
		return "must be 3 to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit"
	}
	return ""
}

// Password lengths, counted in characters (a Hindi or Bengali passphrase counts its letters, not
// its bytes). Staff reach every maker's private record, so theirs are longer.
const (
	MinPasswordLen      = 10
	MinStaffPasswordLen = 12
	MaxPasswordLen      = 256
)

// MinPasswordLength is the shortest new password allowed for a role.
func MinPasswordLength(r Role) int {
	if r == RoleAdmin || r == RoleCoordinator {
		return MinStaffPasswordLen
	}
	return MinPasswordLen
}

// PasswordProblem says why a new password is refused; the pages translate it.
type PasswordProblem string

// The reasons a new password is refused.
const (
	PasswordOK       PasswordProblem = ""
	PasswordTooShort PasswordProblem = "too_short"
	PasswordTooLong  PasswordProblem = "too_long"
	PasswordCommon   PasswordProblem = "too_common"
)

// CheckNewPassword tells what, if anything, is wrong with a new password for an account of role
// r: too short for the role, too long, or one of the most common passwords (which attackers try
// first). Long passphrases are welcome; paste is allowed.
func CheckNewPassword(r Role, p string) PasswordProblem {
	n := utf8.RuneCountInString(p)
	switch {
	case n < MinPasswordLength(r):
		return PasswordTooShort
	case n > MaxPasswordLen:
		return PasswordTooLong
	case IsCommonPassword(p):
		return PasswordCommon
	}
	return PasswordOK
}

// ValidatePassword checks a new password for an account of role r and says what is wrong in
// English ("" when it is fine), for the API's field errors.
func ValidatePassword(r Role, p string) string {
	switch CheckNewPassword(r, p) {
	case PasswordTooShort:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLength(r))
	case PasswordTooLong:
		return fmt.Sprintf("must be at most %d characters", MaxPasswordLen)
	case PasswordCommon:
		return "is one of the most common passwords, which are guessed first: choose another (a few words you will remember work well)"
	}
	return ""
}
