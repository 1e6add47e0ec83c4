package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/store"
)

// Sign-in throttling. Nothing ever locks an account: a maker's login is often her public display
// name, so a lock would let anyone shut her out. Instead, in each window of throttleWindow:
//   - one client (address) may try one login at most perLoginClient times; a success clears it;
//   - one client may fail at most perClient times, across every login;
//   - every attempt on a login, from any client, slows its wrong answers down (failure delay ×
//     the attempts counted on that login, up to maxFailureDelay);
//   - at attackAlarm attempts on a real account, staff are told.
//
// The keys are the login as typed, not the account, so a login that names nobody gets exactly
// the same counts, delays and answers as one that exists.
const (
	throttleWindow  = 15 * time.Minute
	perLoginClient  = 5
	perClient       = 50
	attackAlarm     = 20
	maxFailureDelay = 2 * time.Second
)

// Alarm is told when many wrong passwords are tried on an account (from one client or many):
// staff should know that someone is guessing her password. Its error is logged by the caller's
// caller only; it never changes the sign-in answer.
type Alarm interface {
	LoginAttack(ctx context.Context, u User, attempts int, ip string) error
}

// Service runs sign-up, sign-in (with staff's two-step sign-in), sessions and invitations.
type Service struct {
	db       *store.DB
	users    *UserStore
	sessions *SessionStore
	invites  *InviteStore
	throttle *ThrottleStore
	pending  *PendingStore
	settings *SettingStore
	box      *fieldcrypt.Box
	audit    Recorder
	alarm    Alarm
	policy   SessionPolicy
	// perClient is how many failed sign-ins one client may make in a window, across logins.
	perClient int
	Now       func() time.Time
	// FailureDelay slows each failed login by the attempts counted on that login × this (capped
	// at 2 s), so guessing is slow. Zero means 250 ms.
	FailureDelay time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithAlarm tells a on attacks on an account's password (the app records them in the audit
// trail). Without it attacks are only throttled.
func WithAlarm(a Alarm) Option { return func(s *Service) { s.alarm = a } }

// WithClientLimit sets how many failed sign-ins one client address may make in 15 minutes,
// across every login (default 50). The app scales it with its rate limits, for tests that send
// everything from one address.
func WithClientLimit(n int) Option { return func(s *Service) { s.perClient = n } }

// WithSessionPolicy sets how long sessions last; without it DefaultSessionPolicy applies.
func WithSessionPolicy(p SessionPolicy) Option { return func(s *Service) { s.policy = p } }

// Deps are what the account service needs from outside it; both are required.
type Deps struct {
	// Box seals the staff's two-step sign-in secrets (the app's DATA_ENCRYPTION_KEY).
	Box *fieldcrypt.Box
	// Audit records every change to two-step sign-in and to the site's sign-in rules.
	Audit Recorder
}

// NewService creates the account stores and their indexes. It refuses a missing dependency.
func NewService(ctx context.Context, db *store.DB, d Deps, opts ...Option) (*Service, error) {
	if d.Box == nil {
		return nil, errors.New("accounts: Deps.Box (field encryption) is required")
	}
	if d.Audit == nil {
		return nil, errors.New("accounts: Deps.Audit (the audit trail) is required")
	}
	users, err := NewUserStore(ctx, db)
	if err != nil {
		return nil, err
	}
	sessions, err := NewSessionStore(ctx, db)
	if err != nil {
		return nil, err
	}
	invites, err := NewInviteStore(ctx, db)
	if err != nil {
		return nil, err
	}
	throttle, err := NewThrottleStore(ctx, db)
	if err != nil {
		return nil, err
	}
	pending, err := NewPendingStore(ctx, db)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, users: users, sessions: sessions, invites: invites, throttle: throttle,
		pending: pending, settings: NewSettingStore(db), box: d.Box, audit: d.Audit,
		policy: DefaultSessionPolicy(), perClient: perClient}
	for _, o := range opts {
		o(s)
	}
	if err := s.policy.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RegisterInput is a buyer's sign-up.
type RegisterInput struct {
	Email    string `json:"email" validate:"required,email,max=254"`
	Password string `json:"password" validate:"required"`
	Name     string `json:"name" validate:"required,max=100"`
}

// Register creates a buyer account. When the e-mail already has an account nothing changes and
// the answer is a stand-in that looks exactly like a new account (a fresh id, the same fields),
// after the same work: sign-up must not tell anyone who has an account.
func (s *Service) Register(ctx context.Context, in RegisterInput) (User, error) {
	in.Email = NormalizeLogin(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	if err := fault.Check(in); err != nil {
		return User{}, err
	}
	if msg := ValidatePassword(RoleBuyer, in.Password); msg != "" {
		return User{}, fault.Fields(map[string]string{"password": msg})
	}
	u := User{Role: RoleBuyer, Login: in.Email, Email: in.Email, Name: in.Name,
		PasswordHash: HashPassword(in.Password), Status: StatusActive}
	if err := s.users.Create(ctx, &u); err != nil {
		if errors.Is(err, ErrLoginTaken) {
			return User{Role: RoleBuyer, ID: NewID(), Login: in.Email, Email: in.Email, Name: in.Name,
				Status: StatusActive, CreatedAt: s.now()}, nil
		}
		return User{}, err
	}
	return u, nil
}

// SessionMeta describes the device signing in.
type SessionMeta struct{ IP, UserAgent string }

// Login checks a login and password and opens a new session. A fresh token every time means a
// login always rotates the session. Known and unknown logins do the same work (an argon2id check
// against a dummy hash, the same counts and delays) and get the same answers: ErrBadCredentials,
// or ErrThrottled for a client that tried too often. For an account with two-step sign-in on, a
// right password opens no session: the error is a *TwoFactorChallenge (ErrTwoFactorRequired)
// whose pending token CompleteSignIn takes with the code.
func (s *Service) Login(ctx context.Context, login, password string, meta SessionMeta) (string, User, error) {
	login = NormalizeLogin(login)
	now := s.now()
	lk := "login:" + HashToken(login)
	pairKey, clientKey := lk+"|"+meta.IP, "client:"+meta.IP
	// Count this attempt before checking it, so that guesses sent in parallel all count.
	tries, err := s.throttle.Hit(ctx, pairKey, throttleWindow, now)
	if err != nil {
		return "", User{}, err
	}
	failed, err := s.throttle.Count(ctx, clientKey, throttleWindow, now)
	if err != nil {
		return "", User{}, err
	}
	if tries > perLoginClient || failed >= s.perClient {
		return "", User{}, ErrThrottled
	}
	attempts, err := s.throttle.Hit(ctx, lk, throttleWindow, now)
	if err != nil {
		return "", User{}, err
	}
	u, err := s.users.ByLogin(ctx, login)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", User{}, err
	}
	hash := dummyHash()
	if found && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok := CheckPassword(hash, password) && found && u.Status == StatusActive && u.PasswordHash != ""
	if !ok {
		if _, err := s.throttle.Hit(ctx, clientKey, throttleWindow, now); err != nil {
			return "", User{}, err
		}
		if found && attempts == attackAlarm {
			s.raiseAlarm(ctx, u, attempts, meta.IP, now)
		}
		s.slowDown(ctx, attempts)
		return "", User{}, ErrBadCredentials
	}
	// This client knows the password: its own count starts again. The login's count stays, so
	// an attacker gains nothing from the owner signing in.
	if err := s.throttle.Clear(ctx, pairKey, throttleWindow, now); err != nil {
		return "", User{}, err
	}
	if u.TwoFactorOn() {
		return "", u, s.challenge(ctx, u, meta)
	}
	token, err := s.newSession(ctx, u, meta)
	if err != nil {
		return "", User{}, err
	}
	return token, u, nil
}

// raiseAlarm marks the account for staff and tells the alarm. Neither may change the answer, and
// a failure here must not let the guess through, so errors are dropped: the mark is best effort.
func (s *Service) raiseAlarm(ctx context.Context, u User, attempts int, ip string, now time.Time) {
	_ = s.users.MarkLoginAttack(ctx, u.ID, now)
	if s.alarm != nil {
		_ = s.alarm.LoginAttack(ctx, u, attempts, ip)
	}
}

// NewSession opens a session for a user and returns its token.
func (s *Service) NewSession(ctx context.Context, userID string, meta SessionMeta) (string, error) {
	u, err := s.users.ByID(ctx, userID)
	if err != nil {
		return "", err
	}
	return s.newSession(ctx, u, meta)
}

func (s *Service) newSession(ctx context.Context, u User, meta SessionMeta) (string, error) {
	token := NewToken()
	now := s.now()
	_, lifetime := s.policy.For(u.Role)
	err := s.sessions.Create(ctx, Session{ID: HashToken(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(lifetime), IP: meta.IP, UserAgent: truncate(meta.UserAgent, 200)})
	if err != nil {
		return "", err
	}
	return token, nil
}

// SessionLifetime is the longest a session of role r lasts (for a cookie's lifetime).
func (s *Service) SessionLifetime(r Role) time.Duration {
	_, lifetime := s.policy.For(r)
	return lifetime
}

// Authenticate returns the user behind a session token, or ErrUnauthenticated. A session ends
// when it has been idle longer than its role allows or has lasted its whole lifetime (both
// checked against the role the account has now). Use moves the idle deadline, but writes at most
// once a minute per session.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	if token == "" || len(token) > 200 {
		return User{}, ErrUnauthenticated
	}
	hash := HashToken(token)
	now := s.now()
	sess, err := s.sessions.ByTokenHash(ctx, hash, now)
	if err != nil {
		return User{}, err
	}
	u, err := s.users.ByID(ctx, sess.UserID)
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrUnauthenticated
	}
	if err != nil {
		return User{}, err
	}
	if u.Status != StatusActive {
		return User{}, ErrUnauthenticated
	}
	idle, lifetime := s.policy.For(u.Role)
	last := sess.LastSeenAt
	if last.IsZero() {
		last = sess.CreatedAt
	}
	if !now.Before(last.Add(idle)) || !now.Before(sess.CreatedAt.Add(lifetime)) {
		_ = s.sessions.Delete(ctx, hash) // best effort: it is refused either way
		return User{}, ErrUnauthenticated
	}
	if now.Sub(last) >= touchEvery {
		if err := s.sessions.Touch(ctx, hash, now); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// Logout revokes the session behind token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.sessions.Delete(ctx, HashToken(token))
}

// LogoutEverywhere revokes every session of a user.
func (s *Service) LogoutEverywhere(ctx context.Context, userID string) (int64, error) {
	return s.sessions.DeleteForUser(ctx, userID)
}

// Invite creates an invitation for an invited user and returns its token (shown once). Every
// earlier unused link of that user stops working: a link handed to the wrong person, or lost
// with a phone, is not left open by issuing a new one.
func (s *Service) Invite(ctx context.Context, userID, createdBy string) (string, error) {
	token := NewToken()
	now := s.now()
	hash := HashToken(token)
	err := s.invites.Create(ctx, Invite{ID: hash, UserID: userID, CreatedBy: createdBy,
		CreatedAt: now, ExpiresAt: now.Add(InviteTTL)})
	if err != nil {
		return "", err
	}
	if _, err := s.invites.RevokeOthers(ctx, userID, hash, now); err != nil {
		return "", err
	}
	return token, nil
}

// RevokeInvites withdraws every pending invitation of a user (a coordinator's "cancel this
// link") and returns how many it withdrew.
func (s *Service) RevokeInvites(ctx context.Context, userID string) (int64, error) {
	return s.invites.RevokeOthers(ctx, userID, "", s.now())
}

// AcceptInput sets the credentials of an invited person.
type AcceptInput struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// AcceptInvite uses an invitation once: a maker chooses a login name; a coordinator logs in with
// the email they were invited at (login may be omitted or must equal it).
func (s *Service) AcceptInvite(ctx context.Context, token string, in AcceptInput) (User, error) {
	in.Login = NormalizeLogin(in.Login)
	hash := HashToken(token)
	if len(token) > 200 {
		return User{}, ErrInviteInvalid
	}
	// Validate before claiming, so a typo does not burn the link.
	pending, err := s.peekInvite(ctx, hash)
	if err != nil {
		return User{}, err
	}
	u, err := s.users.ByID(ctx, pending.UserID)
	if err != nil {
		return User{}, ErrInviteInvalid
	}
	if u.Status == StatusActive {
		return User{}, ErrAlreadyRegistered
	}
	fields := map[string]string{}
	if msg := ValidatePassword(u.Role, in.Password); msg != "" {
		fields["password"] = msg
	}
	login := in.Login
	switch u.Role {
	case RoleMaker:
		if login == "" {
			fields["login"] = "is required: choose a login name"
		} else if msg := ValidateLoginName(login); msg != "" {
			fields["login"] = msg
		}
	default:
		if login != "" && login != u.Email {
			fields["login"] = "log in with the email address you were invited at: " + u.Email
		}
		login = u.Email
	}
	if err := fault.Fields(fields); err != nil {
		return User{}, err
	}
	if _, err := s.invites.Claim(ctx, hash, s.now()); err != nil {
		return User{}, err
	}
	if err := s.users.Activate(ctx, u.ID, login, HashPassword(in.Password)); err != nil {
		_ = s.invites.Release(ctx, hash)
		return User{}, err
	}
	// The account is set up: no other link of hers may set it up again.
	if _, err := s.invites.RevokeOthers(ctx, u.ID, hash, s.now()); err != nil {
		return User{}, err
	}
	u.Login, u.Status = login, StatusActive
	return u, nil
}

func (s *Service) peekInvite(ctx context.Context, hash string) (Invite, error) {
	inv, err := s.invites.ByHash(ctx, hash)
	if err != nil || !inv.UsedAt.IsZero() || !s.now().Before(inv.ExpiresAt) {
		return Invite{}, ErrInviteInvalid
	}
	return inv, nil
}

// EnsureAdmin creates an admin with email and password if no admin exists yet. It reports
// whether it created one.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (bool, error) {
	n, err := s.users.CountByRole(ctx, RoleAdmin)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	email = NormalizeLogin(email)
	if _, err := mail.ParseAddress(email); err != nil {
		return false, fmt.Errorf("ADMIN_EMAIL is not an email address: %q", email)
	}
	if msg := ValidatePassword(RoleAdmin, password); msg != "" {
		return false, fmt.Errorf("ADMIN_PASSWORD %s", msg)
	}
	u := User{Role: RoleAdmin, Login: email, Email: email, Name: "Administrator",
		PasswordHash: HashPassword(password), Status: StatusActive}
	if err := s.users.Create(ctx, &u); err != nil {
		return false, fmt.Errorf("create admin: %w", err)
	}
	return true, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *Service) slowDown(ctx context.Context, failures int) {
	step := s.FailureDelay
	if step == 0 {
		step = 250 * time.Millisecond
	}
	d := min(time.Duration(failures)*step, maxFailureDelay)
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// User returns the account with id; ErrNotFound when there is none. It checks no scope: callers
// are other domains and pages that have already decided the reader may see it.
func (s *Service) User(ctx context.Context, id string) (User, error) { return s.users.ByID(ctx, id) }

// UserByLogin returns the account with a login (an e-mail or a maker's login name); ErrNotFound
// when there is none.
func (s *Service) UserByLogin(ctx context.Context, login string) (User, error) {
	return s.users.ByLogin(ctx, NormalizeLogin(login))
}

// Coordinators lists a program's active coordinators: the people told of its orders, listings
// and follow-ups.
func (s *Service) Coordinators(ctx context.Context, programID string) ([]User, error) {
	return s.users.Coordinators(ctx, programID)
}

// ProgramCoordinators lists a program's coordinators, invited or active, for the admin.
func (s *Service) ProgramCoordinators(ctx context.Context, programID string) ([]User, error) {
	return s.users.ProgramCoordinators(ctx, programID)
}

// SetLanguage saves the language the account reads the site in ("en", "hi", "bn").
func (s *Service) SetLanguage(ctx context.Context, id, lang string) error {
	return s.users.SetLang(ctx, id, lang)
}

// CreateUser stores a new account (an invited coordinator or maker); ErrLoginTaken when its
// login is used.
func (s *Service) CreateUser(ctx context.Context, u *User) error { return s.users.Create(ctx, u) }

// AddProgram adds a program to a coordinator's scope.
func (s *Service) AddProgram(ctx context.Context, id, programID string) error {
	return s.users.AddProgram(ctx, id, programID)
}

// Retire closes an account for good (a maker's erasure): the login is freed, the password,
// e-mail and name removed. Its sessions are ended by LogoutEverywhere.
func (s *Service) Retire(ctx context.Context, id string) error { return s.users.Retire(ctx, id) }

// PendingInvite returns the invitation behind token and the account it is for, while it can
// still be accepted; ErrInviteInvalid otherwise (used, expired, unknown, or the account is no
// longer waiting for it).
func (s *Service) PendingInvite(ctx context.Context, token string) (Invite, User, error) {
	inv, err := s.peekInvite(ctx, HashToken(token))
	if err != nil {
		return Invite{}, User{}, err
	}
	u, err := s.users.ByID(ctx, inv.UserID)
	if err != nil || u.Status != StatusInvited {
		return Invite{}, User{}, ErrInviteInvalid
	}
	return inv, u, nil
}

// DeleteExpiredSessions removes sessions that ended before now (by lifetime, or idle longer than
// any role allows), old sign-in counts and expired code steps; it returns how many sessions.
func (s *Service) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	if _, err := s.throttle.DeleteExpired(ctx, now); err != nil {
		return 0, err
	}
	if _, err := s.pending.DeleteExpired(ctx, now); err != nil {
		return 0, err
	}
	return s.sessions.DeleteExpired(ctx, now, now.Add(-max(s.policy.StaffIdle, s.policy.MemberIdle)))
}
