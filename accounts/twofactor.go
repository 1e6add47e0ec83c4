package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/fault"
)

// Two-step sign-in for staff: a time-based code (RFC 6238: 6 digits, 30-second steps, SHA-1, as
// every authenticator app reads it) after the password, or one of ten single-use recovery codes.
const (
	totpPeriod = 30
	// totpSkew is how many steps either side of now a code may be from: a phone's clock that is
	// a little off still works.
	totpSkew = 1
	// RecoveryCodeCount is how many recovery codes an account gets when two-step sign-in is
	// switched on.
	RecoveryCodeCount = 10
	// PendingSignInTTL is how long the code step of a sign-in waits after the password.
	PendingSignInTTL = 5 * time.Minute
	// pendingTries is how many wrong codes one password step allows; then the password is
	// asked again (which is throttled).
	pendingTries = 5
	// codeFailures is how many wrong codes an account may receive in throttleWindow, from any
	// number of password steps, before code checks stop for the rest of the window.
	codeFailures = 10
	// totpIssuer is the name authenticator apps show beside the account: neutral, like every
	// name a staff member's phone may show to someone looking over her shoulder.
	totpIssuer = "Fair Hands"
)

// Errors of two-step sign-in.
var (
	// ErrTwoFactorRequired answers a right password of an account with two-step sign-in on: the
	// sign-in goes on with the code (see TwoFactorChallenge, which carries the pending token).
	ErrTwoFactorRequired = fault.New(fault.Unauthorized, "two_factor_required",
		"the password is right: now enter the 6-digit code from your authenticator app (or a recovery code) to finish signing in")
	// ErrPendingSignInInvalid means the code step's token is unknown, used, or older than 5 minutes.
	ErrPendingSignInInvalid = fault.New(fault.Unauthorized, "two_factor_expired",
		"this sign-in step has expired or was already used: sign in with your password again")
	// ErrBadSecondFactor is a wrong code at sign-in.
	ErrBadSecondFactor = fault.New(fault.Unauthorized, "bad_two_factor_code",
		"that code is not right: type the 6-digit code your app shows now, or one of your recovery codes")
	// ErrSecondFactorUsed is a code that was already used (in the same 30 seconds or earlier):
	// a code works once.
	ErrSecondFactorUsed = fault.New(fault.Unauthorized, "two_factor_code_used",
		"that code was already used: wait for the next one (a new code comes every 30 seconds)")
	// ErrTwoFactorCode is a wrong or used code when switching two-step sign-in on or off.
	ErrTwoFactorCode = &fault.Error{Kind: fault.Invalid, Code: "invalid_fields", Message: "some fields are not valid",
		Fields: map[string]string{"code": "is not right: type the 6-digit code your app shows now (a code works once)"}}
	// ErrTwoFactorStaffOnly refuses two-step sign-in to accounts that are not staff.
	ErrTwoFactorStaffOnly = fault.New(fault.Forbidden, "two_factor_staff_only", "two-step sign-in is for coordinators and admins")
	// ErrTwoFactorOn refuses a new set-up while two-step sign-in is on.
	ErrTwoFactorOn = fault.New(fault.Conflict, "two_factor_on", "two-step sign-in is already on: turn it off first to set it up again")
	// ErrTwoFactorOff refuses to turn off what is not on.
	ErrTwoFactorOff = fault.New(fault.Conflict, "two_factor_off", "two-step sign-in is not on for this account")
	// ErrTwoFactorNotStarted refuses a confirmation with no set-up begun.
	ErrTwoFactorNotStarted = fault.New(fault.Conflict, "two_factor_not_started", "start setting up two-step sign-in first: a new secret is made for you")
	// ErrTwoFactorSetupRequired answers a staff member without two-step sign-in while the admin
	// requires it: only the set-up is open to them.
	ErrTwoFactorSetupRequired = fault.New(fault.Forbidden, "two_factor_setup_required",
		"the admin requires two-step sign-in for staff: set it up first (POST /api/v1/account/two-factor/setup)")
	// ErrAdminOnly refuses a site setting to anyone but the admin.
	ErrAdminOnly = fault.New(fault.Forbidden, "forbidden", "only the admin may change this")
)

// Recorder writes the audit trail (audit.Log does). Every change to an account's two-step
// sign-in and to the site's requirement is recorded; a failed record fails the operation.
type Recorder interface {
	Record(ctx context.Context, actor Actor, action, recordType, recordID, programID, detail string) error
}

// TwoFactor is an account's second sign-in factor, stored inside the user's document so each
// change to it is one atomic write. Secrets are sealed with the field-encryption key; recovery
// codes are stored only as hashes.
type TwoFactor struct {
	On bool `bson:"on"`
	// Secret is the sealed TOTP secret in use.
	Secret string `bson:"secret,omitempty"`
	// Pending is the sealed secret of a set-up that waits for its first code.
	Pending string `bson:"pending,omitempty"`
	// LastStep is the 30-second step of the last code accepted: a code of that step or an
	// earlier one is refused (RFC 6238 §5.2), so a code seen over a shoulder cannot be reused.
	LastStep int64 `bson:"lastStep,omitempty"`
	// Recovery holds the hashes of the unused recovery codes.
	Recovery []string  `bson:"recovery,omitempty"`
	Since    time.Time `bson:"since,omitempty"`
}

// TwoFactorChallenge is the error Login returns for a right password of an account with
// two-step sign-in on. It is ErrTwoFactorRequired (errors.Is), and as a fault error it carries
// the pending token in its details, so the JSON face answers it unchanged.
type TwoFactorChallenge struct {
	// PendingToken finishes the sign-in with CompleteSignIn; single use, for PendingSignInTTL.
	PendingToken string
	ExpiresAt    time.Time
	fe           *fault.Error
}

func newChallenge(token string, expires time.Time) *TwoFactorChallenge {
	fe := *ErrTwoFactorRequired
	fe.Details = map[string]any{"pendingToken": token, "expiresAt": expires.Format(time.RFC3339)}
	return &TwoFactorChallenge{PendingToken: token, ExpiresAt: expires, fe: &fe}
}

func (c *TwoFactorChallenge) Error() string { return ErrTwoFactorRequired.Message }

// Unwrap gives the fault error (with the pending token in its details).
func (c *TwoFactorChallenge) Unwrap() error { return c.fe }

// Is makes errors.Is(err, ErrTwoFactorRequired) true.
func (c *TwoFactorChallenge) Is(target error) bool { return target == ErrTwoFactorRequired }

// Enrolment is a two-step set-up waiting for its first code: the secret, shown once as text
// and as the otpauth:// URL a QR code carries.
type Enrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauthUrl"`
}

// BeginTwoFactor makes a new secret for the actor's account and keeps it, sealed, until a first
// code confirms it (ConfirmTwoFactor); an earlier unconfirmed one is replaced. Staff only;
// ErrTwoFactorOn while it is on.
func (s *Service) BeginTwoFactor(ctx context.Context, actor Actor) (Enrolment, error) {
	u, err := s.staffAccount(ctx, actor)
	if err != nil {
		return Enrolment{}, err
	}
	if u.TwoFactorOn() {
		return Enrolment{}, ErrTwoFactorOn
	}
	key, err := newKey(u, nil)
	if err != nil {
		return Enrolment{}, fmt.Errorf("make two-factor secret: %w", err)
	}
	ok, err := s.db.UpdateIf(ctx, usersColl, bson.M{"_id": u.ID, "twoFactor.on": bson.M{"$ne": true}},
		bson.M{"$set": bson.M{"twoFactor.pending": s.box.Seal(key.Secret())}})
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin two-factor: %w", err)
	}
	if !ok {
		return Enrolment{}, ErrTwoFactorOn
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// PendingEnrolment returns the set-up begun by BeginTwoFactor and not yet confirmed (to show it
// again after a wrong first code); ErrTwoFactorNotStarted when there is none.
func (s *Service) PendingEnrolment(ctx context.Context, actor Actor) (Enrolment, error) {
	u, err := s.staffAccount(ctx, actor)
	if err != nil {
		return Enrolment{}, err
	}
	if u.TwoFactorOn() {
		return Enrolment{}, ErrTwoFactorOn
	}
	if u.TwoFactor == nil || u.TwoFactor.Pending == "" {
		return Enrolment{}, ErrTwoFactorNotStarted
	}
	secret, err := s.box.Open(u.TwoFactor.Pending)
	if err != nil {
		return Enrolment{}, fmt.Errorf("open two-factor secret: %w", err)
	}
	return enrolmentFor(u, secret), nil
}

func enrolmentFor(u User, secret string) Enrolment {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return Enrolment{Secret: secret}
	}
	key, err := newKey(u, raw)
	if err != nil {
		return Enrolment{Secret: secret}
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}
}

// newKey makes the TOTP key for u, with a fresh random secret when raw is nil.
func newKey(u User, raw []byte) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Login, Secret: raw,
		Period: totpPeriod, SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// ConfirmTwoFactor switches two-step sign-in on once the actor types a right code for the
// pending secret, and returns the ten recovery codes (shown once: only their hashes are kept).
// A wrong code is ErrTwoFactorCode and leaves the set-up waiting.
func (s *Service) ConfirmTwoFactor(ctx context.Context, actor Actor, code string) ([]string, error) {
	u, err := s.staffAccount(ctx, actor)
	if err != nil {
		return nil, err
	}
	if u.TwoFactorOn() {
		return nil, ErrTwoFactorOn
	}
	if u.TwoFactor == nil || u.TwoFactor.Pending == "" {
		return nil, ErrTwoFactorNotStarted
	}
	secret, err := s.box.Open(u.TwoFactor.Pending)
	if err != nil {
		return nil, fmt.Errorf("open two-factor secret: %w", err)
	}
	now := s.now()
	step, ok := matchStep(secret, code, now)
	if !ok {
		return nil, ErrTwoFactorCode
	}
	codes, hashes := newRecoveryCodes()
	ok, err = s.db.UpdateIf(ctx, usersColl,
		bson.M{"_id": u.ID, "twoFactor.pending": u.TwoFactor.Pending, "twoFactor.on": bson.M{"$ne": true}},
		bson.M{"$set": bson.M{"twoFactor": TwoFactor{On: true, Secret: s.box.Seal(secret), LastStep: step,
			Recovery: hashes, Since: now}}})
	if err != nil {
		return nil, fmt.Errorf("switch on two-factor: %w", err)
	}
	if !ok { // set up again, or switched on, from another device meanwhile
		return nil, ErrTwoFactorNotStarted
	}
	if err := s.record(ctx, actor, u, "account.two_factor_on", fmt.Sprintf("two-step sign-in switched on, %d recovery codes issued", len(codes))); err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTwoFactor turns two-step sign-in off for the actor's account when code is a current
// code (or an unused recovery code). ErrTwoFactorCode otherwise.
func (s *Service) DisableTwoFactor(ctx context.Context, actor Actor, code string) error {
	u, err := s.staffAccount(ctx, actor)
	if err != nil {
		return err
	}
	if !u.TwoFactorOn() {
		return ErrTwoFactorOff
	}
	used, err := s.useSecondFactor(ctx, u, code, actor.IP)
	if err != nil {
		if errors.Is(err, ErrBadSecondFactor) || errors.Is(err, ErrSecondFactorUsed) {
			return ErrTwoFactorCode
		}
		return err
	}
	ok, err := s.db.UpdateIf(ctx, usersColl, bson.M{"_id": u.ID, "twoFactor.on": true}, bson.M{"$unset": bson.M{"twoFactor": ""}})
	if err != nil {
		return fmt.Errorf("switch off two-factor: %w", err)
	}
	if !ok {
		return ErrTwoFactorOff
	}
	return s.record(ctx, actor, u, "account.two_factor_off", "two-step sign-in switched off with "+used)
}

// ResetTwoFactor switches another staff member's two-step sign-in off (admin only): for a
// coordinator who lost her phone and her recovery codes. She signs in with her password and, if
// the admin requires two-step sign-in, sets it up again at once. Recorded in the audit trail.
func (s *Service) ResetTwoFactor(ctx context.Context, actor Actor, userID string) error {
	if !actor.IsAdmin() {
		return ErrNotFound
	}
	u, err := s.users.ByID(ctx, userID)
	if err != nil {
		return err
	}
	if !u.IsStaff() {
		return ErrTwoFactorStaffOnly
	}
	if u.TwoFactor == nil {
		return ErrTwoFactorOff
	}
	if _, err := s.db.UpdateIf(ctx, usersColl, bson.M{"_id": u.ID}, bson.M{"$unset": bson.M{"twoFactor": ""}}); err != nil {
		return fmt.Errorf("reset two-factor: %w", err)
	}
	return s.record(ctx, actor, u, "account.two_factor_reset", "two-step sign-in reset by an admin")
}

// CompleteSignIn finishes a sign-in that Login answered with a TwoFactorChallenge: with the
// pending token and a right code it opens the session (and uses up the token). A wrong code is
// ErrBadSecondFactor, a used one ErrSecondFactorUsed; both leave the token usable until it has
// had 5 wrong codes. An unknown, used or expired token is ErrPendingSignInInvalid; too many
// wrong codes for the account in 15 minutes, ErrThrottled.
func (s *Service) CompleteSignIn(ctx context.Context, pendingToken, code string, meta SessionMeta) (string, User, error) {
	if pendingToken == "" || len(pendingToken) > 200 {
		return "", User{}, ErrPendingSignInInvalid
	}
	now := s.now()
	hash := HashToken(pendingToken)
	p, err := s.pending.ByHash(ctx, hash, now)
	if err != nil {
		return "", User{}, err
	}
	failKey := "code:" + p.UserID
	failed, err := s.throttle.Count(ctx, failKey, throttleWindow, now)
	if err != nil {
		return "", User{}, err
	}
	if failed >= codeFailures {
		return "", User{}, ErrThrottled
	}
	u, err := s.users.ByID(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) {
		return "", User{}, ErrPendingSignInInvalid
	}
	if err != nil {
		return "", User{}, err
	}
	if u.Status != StatusActive || !u.TwoFactorOn() {
		_ = s.pending.Delete(ctx, hash)
		return "", User{}, ErrPendingSignInInvalid
	}
	if _, err := s.useSecondFactor(ctx, u, code, meta.IP); err != nil {
		if errors.Is(err, ErrBadSecondFactor) || errors.Is(err, ErrSecondFactorUsed) {
			if _, herr := s.throttle.Hit(ctx, failKey, throttleWindow, now); herr != nil {
				return "", User{}, herr
			}
			if herr := s.pending.Fail(ctx, hash, pendingTries); herr != nil {
				return "", User{}, herr
			}
			s.slowDown(ctx, failed+1)
		}
		return "", User{}, err
	}
	// Single use: of two requests with the same token, only one opens a session.
	if err := s.pending.Claim(ctx, hash); err != nil {
		return "", User{}, err
	}
	token, err := s.newSession(ctx, u, meta)
	if err != nil {
		return "", User{}, err
	}
	return token, u, nil
}

// challenge starts the code step of a sign-in whose password was right.
func (s *Service) challenge(ctx context.Context, u User, meta SessionMeta) error {
	token := NewToken()
	now := s.now()
	expires := now.Add(PendingSignInTTL)
	if err := s.pending.Create(ctx, PendingSignIn{ID: HashToken(token), UserID: u.ID, CreatedAt: now,
		ExpiresAt: expires, IP: meta.IP}); err != nil {
		return err
	}
	return newChallenge(token, expires)
}

// useSecondFactor checks code against the account's secret (a 6-digit code) or its recovery
// codes, and uses it up: the code's step becomes the last one accepted, or the recovery code is
// removed. It says which was used ("a code" or "a recovery code").
func (s *Service) useSecondFactor(ctx context.Context, u User, code string, ip string) (string, error) {
	code = strings.Join(strings.Fields(code), "")
	if isDigits(code) {
		secret, err := s.box.Open(u.TwoFactor.Secret)
		if err != nil {
			return "", fmt.Errorf("open two-factor secret: %w", err)
		}
		step, ok := matchStep(secret, code, s.now())
		if !ok {
			return "", ErrBadSecondFactor
		}
		ok, err = s.db.UpdateIf(ctx, usersColl,
			bson.M{"_id": u.ID, "twoFactor.on": true, "twoFactor.lastStep": bson.M{"$lt": step}},
			bson.M{"$set": bson.M{"twoFactor.lastStep": step}})
		if err != nil {
			return "", fmt.Errorf("use two-factor code: %w", err)
		}
		if !ok {
			return "", ErrSecondFactorUsed
		}
		return "a code", nil
	}
	norm := normalizeRecoveryCode(code)
	if norm == "" {
		return "", ErrBadSecondFactor
	}
	hash := HashToken(norm)
	ok, err := s.db.UpdateIf(ctx, usersColl, bson.M{"_id": u.ID, "twoFactor.on": true, "twoFactor.recovery": hash},
		bson.M{"$pull": bson.M{"twoFactor.recovery": hash}})
	if err != nil {
		return "", fmt.Errorf("use recovery code: %w", err)
	}
	if !ok {
		return "", ErrBadSecondFactor
	}
	left := max(len(u.TwoFactor.Recovery)-1, 0)
	if err := s.record(ctx, ActorOf(u, ip), u, "account.two_factor_recovery_used",
		fmt.Sprintf("a recovery code was used; %d left", left)); err != nil {
		return "", err
	}
	return "a recovery code", nil
}

// matchStep finds the 30-second step, within totpSkew of now, whose code is code.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 || !isDigits(code) {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for off := int64(-totpSkew); off <= totpSkew; off++ {
		step := cur + off
		ok, err := hotp.ValidateCustom(code, uint64(step), secret, hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Recovery codes are 16 letters and digits from an alphabet without look-alikes (80 random bits,
// so a stored SHA-256 hash cannot be reversed by trying them all), shown in groups of four.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no i, l, o, 0, 1

func newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		var sb strings.Builder
		for i, x := range b {
			if i > 0 && i%4 == 0 {
				sb.WriteByte('-')
			}
			// 256 is not a multiple of 31: reject-free modulo would skew; draw again instead.
			for int(x) >= 256/len(recoveryAlphabet)*len(recoveryAlphabet) {
				var one [1]byte
				_, _ = rand.Read(one[:])
				x = one[0]
			}
			sb.WriteByte(recoveryAlphabet[int(x)%len(recoveryAlphabet)])
		}
		c := sb.String()
		codes = append(codes, c)
		hashes = append(hashes, HashToken(normalizeRecoveryCode(c)))
	}
	return codes, hashes
}

// normalizeRecoveryCode accepts a recovery code as people type or paste it: any case, with or
// without the dashes and spaces. "" when it cannot be one.
func normalizeRecoveryCode(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '-' || r == ' ':
		case strings.ContainsRune(recoveryAlphabet, r):
			sb.WriteRune(r)
		default:
			return ""
		}
	}
	if sb.Len() != 16 {
		return ""
	}
	return sb.String()
}

// staffAccount loads the actor's own account, refusing anyone who is not staff.
func (s *Service) staffAccount(ctx context.Context, actor Actor) (User, error) {
	if actor.Anonymous() {
		return User{}, ErrUnauthenticated
	}
	u, err := s.users.ByID(ctx, actor.UserID)
	if err != nil {
		return User{}, err
	}
	if !u.IsStaff() || u.Status != StatusActive {
		return User{}, ErrTwoFactorStaffOnly
	}
	return u, nil
}

// record puts a change to an account's sign-in in the audit trail: for a coordinator in each of
// their programs' trails (their colleagues and the admin review those), otherwise in the admin's.
func (s *Service) record(ctx context.Context, actor Actor, u User, action, detail string) error {
	if u.Role == RoleCoordinator && len(u.ProgramIDs) > 0 {
		for _, pid := range u.ProgramIDs {
			if err := s.audit.Record(ctx, actor, action, "user", u.ID, pid, detail); err != nil {
				return err
			}
		}
		return nil
	}
	return s.audit.Record(ctx, actor, action, "user", u.ID, "", detail)
}

// StaffTwoFactorRequired reports whether the admin requires two-step sign-in for all staff.
func (s *Service) StaffTwoFactorRequired(ctx context.Context) (bool, error) {
	st, err := s.settings.Security(ctx)
	if err != nil {
		return false, err
	}
	return st.StaffTwoFactor, nil
}

// SetStaffTwoFactorRequired lets the admin require (or stop requiring) two-step sign-in for
// every coordinator and admin; ErrAdminOnly for anyone else.
func (s *Service) SetStaffTwoFactorRequired(ctx context.Context, actor Actor, on bool) error {
	if !actor.IsAdmin() {
		return ErrAdminOnly
	}
	if err := s.settings.SetStaffTwoFactor(ctx, on, actor.UserID, s.now()); err != nil {
		return err
	}
	detail := "staff must use two-step sign-in: off"
	if on {
		detail = "staff must use two-step sign-in: on"
	}
	return s.audit.Record(ctx, actor, "settings.staff_two_factor", "setting", securitySettingsID, "", detail)
}

// TwoFactorSetupNeeded reports whether u must set up two-step sign-in before doing anything
// else: u is staff without it, and the admin requires it.
func (s *Service) TwoFactorSetupNeeded(ctx context.Context, u User) (bool, error) {
	if !u.IsStaff() || u.TwoFactorOn() {
		return false, nil
	}
	return s.StaffTwoFactorRequired(ctx)
}
