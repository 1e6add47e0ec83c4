package programs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/store"
)

// Defaults for a new program.
const (
	DefaultProgramSharePercent = 10
	DefaultPayeeModel          = PayeeMaker
)

// Service runs programs, coordinators and makers, with scope checks: an actor outside a program's
// scope gets ErrNotFound, so nothing tells them the record exists.
type Service struct {
	store    *Store
	registry *Registry
	Accounts *accounts.Service
	Audit    *audit.Log
	Box      *fieldcrypt.Box
	Now      func() time.Time

	storefront Storefront
	erasers    []Eraser
}

// Deps is what the programs service is built on. Every field is required: the storefront must
// hide a withdrawn consent at once, and an erasure must reach every domain that keeps a part of
// a maker's data.
type Deps struct {
	Registry *Registry
	Accounts *accounts.Service
	Audit    *audit.Log
	Box      *fieldcrypt.Box
	// Storefront reflects consent and settings changes at once (the catalog).
	Storefront Storefront
	// Catalog and Training erase their parts of a maker's data.
	Catalog, Training Eraser
}

// NewRegistry opens the programs' store (creating its indexes): the other domains are built on
// it before the programs service itself.
func NewRegistry(ctx context.Context, db *store.DB) (*Registry, error) {
	st, err := NewStore(ctx, db)
	if err != nil {
		return nil, err
	}
	return &Registry{st: st}, nil
}

// NewService returns the programs service; a missing dependency is an error, never a silent skip.
func NewService(d Deps) (*Service, error) {
	var missing []string
	for name, v := range map[string]bool{"Registry": d.Registry == nil, "Accounts": d.Accounts == nil,
		"Audit": d.Audit == nil, "Box": d.Box == nil, "Storefront": d.Storefront == nil,
		"Catalog eraser": d.Catalog == nil, "Training eraser": d.Training == nil} {
		if v {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("programs: missing %s", strings.Join(missing, ", "))
	}
	return &Service{store: d.Registry.st, registry: d.Registry, Accounts: d.Accounts, Audit: d.Audit, Box: d.Box,
		storefront: d.Storefront, erasers: []Eraser{d.Catalog, d.Training}}, nil
}

// Registry is the unscoped read side of programs and makers for the other domains.
func (s *Service) Registry() *Registry { return s.registry }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// CreateProgram creates a program (admin only).
func (s *Service) CreateProgram(ctx context.Context, actor accounts.Actor, in CreateInput) (Program, error) {
	if !actor.IsAdmin() {
		return Program{}, ErrForbidden
	}
	in.Name, in.City = strings.TrimSpace(in.Name), strings.TrimSpace(in.City)
	in.Country, in.Currency = strings.ToUpper(strings.TrimSpace(in.Country)), strings.ToUpper(strings.TrimSpace(in.Currency))
	if err := fault.Check(in); err != nil {
		return Program{}, err
	}
	p := Program{ID: accounts.NewID(), Name: in.Name, City: in.City, Country: in.Country, Currency: in.Currency,
		LivingWageHourly: in.LivingWageHourly, ProgramSharePercent: DefaultProgramSharePercent,
		PayeeModel: DefaultPayeeModel, CreatedAt: s.now()}
	if err := s.store.InsertProgram(ctx, p); err != nil {
		return Program{}, err
	}
	if err := s.Audit.Record(ctx, actor, "program.create", "program", p.ID, p.ID, p.Name); err != nil {
		return Program{}, err
	}
	// The shop's program filter shows it at once on this instance (the others within the read
	// model's poll).
	if err := s.storefront.InvalidateProgram(ctx, p.ID); err != nil {
		return Program{}, fmt.Errorf("show the new program: %w", err)
	}
	return p, nil
}

// Program returns a program the actor may manage or belongs to; ErrNotFound otherwise.
func (s *Service) Program(ctx context.Context, actor accounts.Actor, id string) (Program, error) {
	p, err := s.store.Program(ctx, id)
	if err != nil {
		return Program{}, err
	}
	if actor.Coordinates(id) {
		return p, nil
	}
	if actor.Role == accounts.RoleMaker {
		if m, err := s.store.Maker(ctx, actor.MakerID); err == nil && m.ProgramID == id {
			return p, nil
		}
	}
	return Program{}, ErrNotFound
}

// Programs lists what the actor may see: admin all, a coordinator theirs, a maker their own.
// Others get nil (the caller shows the public directory instead).
func (s *Service) Programs(ctx context.Context, actor accounts.Actor) ([]Program, error) {
	switch actor.Role {
	case accounts.RoleAdmin:
		return s.store.Programs(ctx, nil)
	case accounts.RoleCoordinator:
		return s.store.Programs(ctx, append([]string{}, actor.ProgramIDs...))
	case accounts.RoleMaker:
		m, err := s.store.Maker(ctx, actor.MakerID)
		if errors.Is(err, ErrMakerNotFound) {
			return []Program{}, nil
		}
		if err != nil {
			return nil, err
		}
		return s.store.Programs(ctx, []string{m.ProgramID})
	}
	return nil, nil
}

// Directory lists every program's public face, for the storefront's filters.
func (s *Service) Directory(ctx context.Context) ([]PublicProgram, error) {
	ps, err := s.store.Programs(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := make([]PublicProgram, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Public())
	}
	return out, nil
}

// UpdateSettings changes a program's settings (its coordinators or an admin).
func (s *Service) UpdateSettings(ctx context.Context, actor accounts.Actor, id string, in SettingsInput) (Program, error) {
	if !actor.Coordinates(id) {
		return Program{}, ErrNotFound
	}
	if err := fault.Check(in); err != nil {
		return Program{}, err
	}
	set := bson.M{}
	var changed []string
	add := func(key string, v any) { set[key] = v; changed = append(changed, key) }
	if in.Name != nil {
		add("name", strings.TrimSpace(*in.Name))
	}
	if in.City != nil {
		add("city", strings.TrimSpace(*in.City))
	}
	if in.LivingWageHourly != nil {
		add("livingWageHourly", *in.LivingWageHourly)
	}
	if in.PayeeModel != nil {
		add("payeeModel", *in.PayeeModel)
	}
	if in.HoldDays != nil {
		add("holdDays", *in.HoldDays)
	}
	if in.ProgramSharePercent != nil {
		add("programSharePercent", *in.ProgramSharePercent)
	}
	if in.Shipping != nil {
		add("shipping", *in.Shipping)
	}
	if in.RefundsReverseWages != nil || in.RefundsReverseWagesReason != nil {
		on, reason, err := s.refundPolicy(ctx, id, in)
		if err != nil {
			return Program{}, err
		}
		add("refundsReverseWages", on)
		add("refundsReverseWagesReason", reason)
	}
	if len(set) > 0 {
		if err := s.store.SetProgram(ctx, id, set); err != nil {
			return Program{}, err
		}
		if err := s.Audit.Record(ctx, actor, "program.settings", "program", id, id, strings.Join(changed, ",")); err != nil {
			return Program{}, err
		}
		if err := s.storefront.InvalidateProgram(ctx, id); err != nil {
			return Program{}, fmt.Errorf("apply program change: %w", err)
		}
	}
	return s.store.Program(ctx, id)
}

// refundPolicy works out whether refunds reverse wages after the change, and why: turned on, it
// needs a reason of at least MinRefundReasonLen characters (the one given, or the one stored);
// turned off, the reason is cleared.
func (s *Service) refundPolicy(ctx context.Context, id string, in SettingsInput) (bool, string, error) {
	cur, err := s.store.Program(ctx, id)
	if err != nil {
		return false, "", err
	}
	on, reason := cur.RefundsReverseWages, cur.RefundsReverseWagesReason
	if in.RefundsReverseWages != nil {
		on = *in.RefundsReverseWages
	}
	if in.RefundsReverseWagesReason != nil {
		reason = strings.TrimSpace(*in.RefundsReverseWagesReason)
	}
	if !on {
		return false, "", nil
	}
	if utf8.RuneCountInString(reason) < MinRefundReasonLen {
		return false, "", &fault.Error{Kind: fault.Unprocessable, Code: "reason_required",
			Message: "say why refunds take back the makers' wages",
			Fields:  map[string]string{"refundsReverseWagesReason": fmt.Sprintf("must be at least %d characters: say why refunds take back the makers' wages", MinRefundReasonLen)}}
	}
	return true, reason, nil
}

// AddCoordinatorInput invites a coordinator to a program.
type AddCoordinatorInput struct {
	Name  string `json:"name" validate:"required,min=2,max=100"`
	Email string `json:"email" validate:"required,email,max=254"`
}

// AddCoordinator invites a coordinator (admin only). An existing coordinator with that email gets
// the program added to their scope; the invite token is empty when they are already active.
func (s *Service) AddCoordinator(ctx context.Context, actor accounts.Actor, programID string, in AddCoordinatorInput) (string, string, error) {
	if !actor.IsAdmin() {
		return "", "", ErrForbidden
	}
	in.Email, in.Name = accounts.NormalizeLogin(in.Email), strings.TrimSpace(in.Name)
	if err := fault.Check(in); err != nil {
		return "", "", err
	}
	if _, err := s.store.Program(ctx, programID); err != nil {
		return "", "", err
	}
	u, err := s.Accounts.UserByLogin(ctx, in.Email)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		u = accounts.User{Role: accounts.RoleCoordinator, Login: in.Email, Email: in.Email, Name: in.Name,
			ProgramIDs: []string{programID}, Status: accounts.StatusInvited}
		if err := s.Accounts.CreateUser(ctx, &u); err != nil {
			return "", "", err
		}
	case err != nil:
		return "", "", err
	case u.Role != accounts.RoleCoordinator:
		return "", "", fault.New(fault.Conflict, "email_taken", "%s already belongs to an account that is not a coordinator", in.Email)
	default:
		if err := s.Accounts.AddProgram(ctx, u.ID, programID); err != nil {
			return "", "", err
		}
	}
	if err := s.Audit.Record(ctx, actor, "role.grant_coordinator", "user", u.ID, programID, in.Email); err != nil {
		return "", "", err
	}
	if u.Status == accounts.StatusActive {
		return u.ID, "", nil
	}
	token, err := s.Accounts.Invite(ctx, u.ID, actor.UserID)
	if err != nil {
		return "", "", err
	}
	return u.ID, token, nil
}

// CreateMaker registers a maker in a program (its coordinators) and returns the maker's id and
// an invitation token for the maker to choose a login. Consents are recorded as data.
func (s *Service) CreateMaker(ctx context.Context, actor accounts.Actor, programID string, in CreateMakerInput) (string, string, error) {
	if !actor.Coordinates(programID) {
		return "", "", ErrNotFound
	}
	in.DisplayName, in.LegalName = strings.TrimSpace(in.DisplayName), strings.TrimSpace(in.LegalName)
	in.Phone = strings.TrimSpace(in.Phone)
	if err := fault.Check(in); err != nil {
		return "", "", err
	}
	if _, err := s.store.Program(ctx, programID); err != nil {
		return "", "", err
	}
	if strings.EqualFold(in.DisplayName, in.LegalName) {
		return "", "", fault.Fields(map[string]string{"displayName": "must be a chosen name, not the legal name: it is shown to the public"})
	}
	now := s.now()
	consent := func(granted bool, purpose string) Consent {
		c := Consent{Granted: granted, Purpose: purpose, CapturedBy: actor.UserID, At: now}
		if granted {
			c.ExpiresAt = now.Add(ConsentMaxAge)
		}
		return c
	}
	u := accounts.User{Role: accounts.RoleMaker, Status: accounts.StatusInvited}
	u.ID = accounts.NewID()
	u.MakerID = u.ID
	publicID, err := s.store.IssuePublicID(ctx, u.ID)
	if err != nil {
		return "", "", err
	}
	m := Maker{ID: u.ID, PublicID: publicID, ProgramID: programID, DisplayName: in.DisplayName,
		LegalNameSealed: s.Box.Seal(in.LegalName), PhoneSealed: s.Box.Seal(in.Phone), Story: in.Story,
		Consent: Consents{
			PublicProfile: consent(in.Consent.PublicProfile, "show my chosen name on my products and maker page"),
			Story:         consent(in.Consent.Story, "show my story on my maker page"),
			WorkPhotos:    consent(in.Consent.WorkPhotos, "show photos of my work (never of me)"),
		},
		Status: "active", CreatedBy: actor.UserID, CreatedAt: now}
	if err := s.store.InsertMaker(ctx, m); err != nil {
		return "", "", err
	}
	if err := s.Accounts.CreateUser(ctx, &u); err != nil {
		return "", "", err
	}
	if err := s.Audit.Record(ctx, actor, "maker.create", "maker", m.ID, programID, "consent recorded"); err != nil {
		return "", "", err
	}
	token, err := s.Accounts.Invite(ctx, u.ID, actor.UserID)
	if err != nil {
		return "", "", err
	}
	return m.ID, token, nil
}

// Maker returns a maker's record, without opening its private fields, and her program, to the
// maker herself or a coordinator of her program (no audit entry: nothing private is read).
// Everyone else gets ErrMakerNotFound.
func (s *Service) Maker(ctx context.Context, actor accounts.Actor, id string) (Maker, Program, error) {
	m, err := s.store.Maker(ctx, id)
	if err != nil {
		return Maker{}, Program{}, err
	}
	if !canSeeMaker(actor, m) {
		return Maker{}, Program{}, ErrMakerNotFound
	}
	p, err := s.store.Program(ctx, m.ProgramID)
	if err != nil {
		return Maker{}, Program{}, err
	}
	return m, p, nil
}

// canSeeMaker reports whether actor may read the maker's private record.
func canSeeMaker(actor accounts.Actor, m Maker) bool {
	return actor.IsMaker(m.ID) || actor.Coordinates(m.ProgramID)
}

// MakerPrivate returns the private profile to the maker or a coordinator of their program, and
// audits the read. Everyone else gets ErrMakerNotFound.
func (s *Service) MakerPrivate(ctx context.Context, actor accounts.Actor, id string) (MakerPrivate, error) {
	m, err := s.store.Maker(ctx, id)
	if err != nil {
		return MakerPrivate{}, err
	}
	if !canSeeMaker(actor, m) {
		return MakerPrivate{}, ErrMakerNotFound
	}
	legal, err := s.Box.Open(m.LegalNameSealed)
	if err != nil {
		return MakerPrivate{}, fmt.Errorf("open legal name: %w", err)
	}
	phone, err := s.Box.Open(m.PhoneSealed)
	if err != nil {
		return MakerPrivate{}, fmt.Errorf("open phone: %w", err)
	}
	if err := s.Audit.Record(ctx, actor, "maker.read_private", "maker", m.ID, m.ProgramID, ""); err != nil {
		return MakerPrivate{}, err
	}
	out := MakerPrivate{ID: m.ID, PublicID: m.PublicID, ProgramID: m.ProgramID, DisplayName: m.DisplayName, LegalName: legal, Phone: phone,
		Story: m.Story, Consent: m.Consent, Status: m.Status, StripeAccountID: m.StripeAccountID,
		PayoutsEnabled: m.PayoutsEnabled, CreatedAt: m.CreatedAt}
	if u, err := s.Accounts.User(ctx, m.ID); err == nil {
		out.AccountStatus = u.Status
		if u.Status == accounts.StatusActive {
			out.Login = u.Login
		}
	}
	return out, nil
}

// Makers lists the private profiles of the makers the actor coordinates (no decryption: names
// shown are display names), for dashboards.
func (s *Service) Makers(ctx context.Context, actor accounts.Actor, programID string) ([]Maker, error) {
	if !actor.Coordinates(programID) {
		return nil, ErrNotFound
	}
	return s.store.Makers(ctx, []string{programID})
}

// PublicMaker returns a maker's public face by her public id; a retired maker, an unknown or
// retired public id, or an account id is ErrMakerNotFound.
func (s *Service) PublicMaker(ctx context.Context, publicID string) (PublicMaker, error) {
	m, err := s.store.MakerByPublicID(ctx, publicID)
	if err != nil {
		return PublicMaker{}, err
	}
	if m.Status != "active" {
		return PublicMaker{}, ErrMakerNotFound
	}
	p, err := s.store.Program(ctx, m.ProgramID)
	if err != nil {
		return PublicMaker{}, err
	}
	return m.Public(p, s.now()), nil
}
