package programs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/store/storetest"
)

var admin = accounts.Actor{UserID: "admin-1", Role: accounts.RoleAdmin, IP: "10.0.0.9"}

// clock is a settable time source for Service.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

type world struct {
	db       *store.DB
	svc      *programs.Service
	domains  *domains
	accounts *accounts.Service
	audit    *audit.Log
	clock    *clock
}

// mustWorld wires programs the way app.New does, on a fresh embedded store, with a clock.
func mustWorld(tb testing.TB) world {
	tb.Helper()
	ctx := context.Background()
	db := storetest.New(tb)
	log, err := audit.NewLog(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := programs.NewRegistry(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := fieldcrypt.ParseKey(fieldcrypt.NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	box, err := fieldcrypt.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := accounts.NewService(ctx, db, accounts.Deps{Box: box, Audit: log})
	if err != nil {
		tb.Fatal(err)
	}
	acc.FailureDelay = time.Millisecond
	c := &clock{now: time.Now().UTC().Truncate(time.Millisecond)}
	acc.Now = c.Now
	d := &domains{}
	svc, err := programs.NewService(programs.Deps{Registry: st, Accounts: acc, Audit: log, Box: box,
		Storefront: d, Catalog: d, Training: noEraser{}})
	if err != nil {
		tb.Fatal(err)
	}
	svc.Now = c.Now
	return world{db: db, svc: svc, domains: d, accounts: acc, audit: log, clock: c}
}

func mustProgram(tb testing.TB, w world, name string) programs.Program {
	tb.Helper()
	p, err := w.svc.CreateProgram(context.Background(), admin, programs.CreateInput{
		Name: name, City: "Kolkata", Country: "in", Currency: "inr", LivingWageHourly: 9000})
	if err != nil {
		tb.Fatalf("create program %s: %v", name, err)
	}
	return p
}

// mustCoordinator invites a coordinator to programID, lets them accept, and returns them as the
// actor a signed-in request would carry.
func mustCoordinator(tb testing.TB, w world, programID, email string) accounts.Actor {
	tb.Helper()
	ctx := context.Background()
	id, token, err := w.svc.AddCoordinator(ctx, admin, programID, programs.AddCoordinatorInput{Name: "Coordinator", Email: email})
	if err != nil {
		tb.Fatalf("add coordinator: %v", err)
	}
	if _, err := w.accounts.AcceptInvite(ctx, token, accounts.AcceptInput{Password: "coordinator-password"}); err != nil {
		tb.Fatalf("coordinator accepts: %v", err)
	}
	return mustActor(tb, w, email, "coordinator-password", id)
}

func mustActor(tb testing.TB, w world, login, password, wantID string) accounts.Actor {
	tb.Helper()
	_, u, err := w.accounts.Login(context.Background(), login, password, accounts.SessionMeta{})
	if err != nil || u.ID != wantID {
		tb.Fatalf("login %s: %s %v", login, u.ID, err)
	}
	return accounts.ActorOf(u, "10.0.0.7")
}

type makerIn struct {
	display, legal, phone, story string
	public, storyOK, photos      bool
}

func (m makerIn) input() programs.CreateMakerInput {
	in := programs.CreateMakerInput{DisplayName: m.display, LegalName: m.legal, Phone: m.phone, Story: m.story}
	in.Consent = &struct {
		PublicProfile bool `json:"publicProfile"`
		Story         bool `json:"story"`
		WorkPhotos    bool `json:"workPhotos"`
	}{m.public, m.storyOK, m.photos}
	return in
}

// mustMaker registers a maker with every consent given, and signs them in; it returns the
// maker's id, actor and session token.
func mustMaker(tb testing.TB, w world, coord accounts.Actor, programID, display string) (string, accounts.Actor, string) {
	tb.Helper()
	ctx := context.Background()
	id, token, err := w.svc.CreateMaker(ctx, coord, programID, makerIn{display: display, legal: "Legal " + display,
		phone: "+91 98300 12345", story: "I make earrings.", public: true, storyOK: true, photos: true}.input())
	if err != nil {
		tb.Fatalf("create maker: %v", err)
	}
	login := strings.ToLower(display) + ".m"
	if _, err := w.accounts.AcceptInvite(ctx, token, accounts.AcceptInput{Login: login, Password: "maker-password"}); err != nil {
		tb.Fatalf("maker accepts: %v", err)
	}
	session, u, err := w.accounts.Login(ctx, login, "maker-password", accounts.SessionMeta{})
	if err != nil || u.ID != id {
		tb.Fatalf("maker login: %v", err)
	}
	return id, accounts.ActorOf(u, "10.0.0.8"), session
}

// mustPublicID returns a maker's current public id.
func mustPublicID(tb testing.TB, w world, makerID string) string {
	tb.Helper()
	m, err := w.svc.Registry().Maker(context.Background(), makerID)
	if err != nil {
		tb.Fatal(err)
	}
	return m.PublicID
}

// TestPublicIDIsRetiredWithThePublicProfile: a maker who withdraws her public profile cannot be
// followed from her old page to what is shown of her now, nor after she gives it again.
func TestPublicIDIsRetiredWithThePublicProfile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	makerID, maker, _ := mustMaker(t, w, c1, p.ID, "Tara")
	no, yes := false, true
	seen := map[string]bool{}
	first := mustPublicID(t, w, makerID)
	seen[first] = true

	if _, err := w.svc.SetConsent(ctx, maker, makerID, programs.ConsentInput{Story: &no}); err != nil {
		t.Fatal(err)
	}
	if got := mustPublicID(t, w, makerID); got != first {
		t.Fatalf("a change of another consent replaced the public id: %s -> %s", first, got)
	}
	if _, err := w.svc.SetConsent(ctx, maker, makerID, programs.ConsentInput{PublicProfile: &no}); err != nil {
		t.Fatal(err)
	}
	withdrawn := mustPublicID(t, w, makerID)
	if withdrawn == first || seen[withdrawn] || withdrawn == makerID {
		t.Fatalf("public id after withdrawal: %s (before %s)", withdrawn, first)
	}
	seen[withdrawn] = true
	if _, err := w.svc.PublicMaker(ctx, first); !errors.Is(err, programs.ErrMakerNotFound) {
		t.Fatalf("the old public id still answers after withdrawal: %v", err)
	}
	if pub, err := w.svc.PublicMaker(ctx, withdrawn); err != nil || pub.DisplayName != programs.AnonymousName {
		t.Fatalf("public face while withdrawn: %+v %v", pub, err)
	}
	if _, err := w.svc.SetConsent(ctx, maker, makerID, programs.ConsentInput{PublicProfile: &yes}); err != nil {
		t.Fatal(err)
	}
	again := mustPublicID(t, w, makerID)
	if seen[again] || again == makerID {
		t.Fatalf("public id after the profile was given again: %s, issued before: %v", again, seen)
	}
	for old := range seen {
		if _, err := w.svc.PublicMaker(ctx, old); !errors.Is(err, programs.ErrMakerNotFound) {
			t.Fatalf("retired public id %s still answers: %v", old, err)
		}
	}
	if pub, err := w.svc.PublicMaker(ctx, again); err != nil || pub.DisplayName != "Tara" || pub.ID != again {
		t.Fatalf("public face under the new id: %+v %v", pub, err)
	}
	// Renewing a consent in force keeps the id: nothing was withdrawn.
	if _, err := w.svc.SetConsent(ctx, maker, makerID, programs.ConsentInput{PublicProfile: &yes}); err != nil {
		t.Fatal(err)
	}
	if got := mustPublicID(t, w, makerID); got != again {
		t.Fatalf("renewal replaced the public id: %s -> %s", again, got)
	}
}

// TestMigrationGivesExistingMakersAPublicID: a maker stored before public ids existed gets one
// of her own when the store opens.
func TestMigrationGivesExistingMakersAPublicID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	if _, err := db.Write("makers").InsertOne(ctx, bson.M{"_id": "old-maker", "programId": "p1", "displayName": "Tara",
		"status": "active"}); err != nil {
		t.Fatal(err)
	}
	reg, err := programs.NewRegistry(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	m, err := reg.Maker(ctx, "old-maker")
	if err != nil || m.PublicID == "" || m.PublicID == m.ID || len(m.PublicID) != 32 {
		t.Fatalf("migrated maker: %+v %v", m, err)
	}
	if _, err := programs.NewRegistry(ctx, db); err != nil { // runs once; opening again is fine
		t.Fatal(err)
	}
	if again, _ := reg.Maker(ctx, "old-maker"); again.PublicID != m.PublicID {
		t.Fatalf("the migration ran twice: %s -> %s", m.PublicID, again.PublicID)
	}
}

func mustEntries(tb testing.TB, w world, q audit.Query) []audit.Entry {
	tb.Helper()
	es, err := w.audit.List(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	return es
}

func countAction(es []audit.Entry, action string) int {
	n := 0
	for _, e := range es {
		if e.Action == action {
			n++
		}
	}
	return n
}

func TestCreateProgram(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	good := programs.CreateInput{Name: "Kolkata Jewellery Workshop", City: "Kolkata", Country: "IN", Currency: "INR", LivingWageHourly: 9000}
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	coord := mustCoordinator(t, w, p.ID, "c1@example.org")
	_, maker, _ := mustMaker(t, w, coord, p.ID, "Tara")

	t.Run("admin only", func(t *testing.T) {
		for _, actor := range []accounts.Actor{coord, maker, {UserID: "b1", Role: accounts.RoleBuyer}, {}} {
			if _, err := w.svc.CreateProgram(ctx, actor, good); !errors.Is(err, programs.ErrForbidden) {
				t.Errorf("%s creates a program: %v, want ErrForbidden", actor.Role, err)
			}
		}
		if ps, err := w.svc.Programs(ctx, admin); err != nil || len(ps) != 1 {
			t.Fatalf("programs after refusals: %d %v, want 1", len(ps), err)
		}
	})

	t.Run("defaults, normalisation and audit", func(t *testing.T) {
		if p.Country != "IN" || p.Currency != "INR" || p.ProgramSharePercent != programs.DefaultProgramSharePercent ||
			p.PayeeModel != programs.PayeeMaker || p.CreatedAt.IsZero() {
			t.Fatalf("created: %+v", p)
		}
		got, err := w.svc.Program(ctx, admin, p.ID)
		if err != nil || got.Name != p.Name || got.LivingWageHourly != 9000 {
			t.Fatalf("stored: %+v %v", got, err)
		}
		es := mustEntries(t, w, audit.Query{RecordID: p.ID})
		if countAction(es, "program.create") != 1 || es[len(es)-1].ActorID != admin.UserID {
			t.Fatalf("audit trail of the program: %+v", es)
		}
	})

	t.Run("validation names each field", func(t *testing.T) {
		for field, in := range map[string]programs.CreateInput{
			"name":             {Name: " ", City: "Kolkata", Country: "IN", Currency: "INR", LivingWageHourly: 9000},
			"country":          {Name: "Workshop", City: "Kolkata", Country: "XX", Currency: "INR", LivingWageHourly: 9000},
			"currency":         {Name: "Workshop", City: "Kolkata", Country: "IN", Currency: "RUPEES", LivingWageHourly: 9000},
			"livingWageHourly": {Name: "Workshop", City: "Kolkata", Country: "IN", Currency: "INR"},
		} {
			_, err := w.svc.CreateProgram(ctx, admin, in)
			fe, ok := fault.As(err)
			if !ok || fe.Kind != fault.Invalid || fe.Fields[field] == "" {
				t.Errorf("bad %s: %v", field, err)
			}
		}
	})
}

// A coordinator of another program is told the records do not exist, never that they are
// forbidden: nothing confirms that a maker is enrolled somewhere.
func TestCoordinatorScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p1 := mustProgram(t, w, "Kolkata Jewellery Workshop")
	p2 := mustProgram(t, w, "Mumbai Tailoring Workshop")
	c1 := mustCoordinator(t, w, p1.ID, "c1@example.org")
	c2 := mustCoordinator(t, w, p2.ID, "c2@example.org")
	makerID, maker, _ := mustMaker(t, w, c1, p1.ID, "Tara")
	name := "Renamed"
	yes := true

	ops := []struct {
		name string
		do   func(actor accounts.Actor) error
	}{
		{"Program", func(a accounts.Actor) error { _, err := w.svc.Program(ctx, a, p1.ID); return err }},
		{"UpdateSettings", func(a accounts.Actor) error {
			_, err := w.svc.UpdateSettings(ctx, a, p1.ID, programs.SettingsInput{Name: &name})
			return err
		}},
		{"CreateMaker", func(a accounts.Actor) error {
			_, _, err := w.svc.CreateMaker(ctx, a, p1.ID, makerIn{display: "Mina", legal: "Mina Legal"}.input())
			return err
		}},
		{"Makers", func(a accounts.Actor) error { _, err := w.svc.Makers(ctx, a, p1.ID); return err }},
		{"MakerPrivate", func(a accounts.Actor) error { _, err := w.svc.MakerPrivate(ctx, a, makerID); return err }},
		{"SetConsent", func(a accounts.Actor) error {
			_, err := w.svc.SetConsent(ctx, a, makerID, programs.ConsentInput{Story: &yes})
			return err
		}},
		{"Erase", func(a accounts.Actor) error {
			return w.svc.Erase(ctx, a, makerID, programs.EraseInput{Confirm: "ERASE"})
		}},
	}
	before := len(mustEntries(t, w, audit.Query{}))
	outsiders := map[string]accounts.Actor{
		"another program's coordinator": c2,
		"another program's maker":       {UserID: "m-x", Role: accounts.RoleMaker, MakerID: "m-x"},
		"a buyer":                       {UserID: "b-1", Role: accounts.RoleBuyer},
		"nobody":                        {},
	}
	for who, actor := range outsiders {
		for _, op := range ops {
			t.Run(who+"/"+op.name, func(t *testing.T) {
				err := op.do(actor)
				if k := fault.KindOf(err); k != fault.NotFound {
					t.Fatalf("%v (kind %v), want not found", err, k)
				}
			})
		}
	}
	if after := len(mustEntries(t, w, audit.Query{})); after != before {
		t.Fatalf("refused calls wrote %d audit entries", after-before)
	}
	if m, err := w.svc.MakerPrivate(ctx, c1, makerID); err != nil || m.Status != "active" || m.DisplayName != "Tara" {
		t.Fatalf("after the refusals the maker is changed: %+v %v", m, err)
	}

	t.Run("lists follow scope", func(t *testing.T) {
		ids := func(ps []programs.Program) string {
			var s []string
			for _, p := range ps {
				s = append(s, p.ID)
			}
			return strings.Join(s, ",")
		}
		for _, tc := range []struct {
			name  string
			actor accounts.Actor
			want  string
		}{
			{"admin", admin, p1.ID + "," + p2.ID},
			{"c1", c1, p1.ID},
			{"c2", c2, p2.ID},
			{"maker", maker, p1.ID},
		} {
			ps, err := w.svc.Programs(ctx, tc.actor)
			if err != nil || ids(ps) != tc.want {
				t.Errorf("%s sees %q (%v), want %q", tc.name, ids(ps), err, tc.want)
			}
		}
		if ps, err := w.svc.Programs(ctx, accounts.Actor{}); err != nil || ps != nil {
			t.Errorf("anonymous: %v %v, want nil (the public directory instead)", ps, err)
		}
		if ms, err := w.svc.Makers(ctx, c1, p1.ID); err != nil || len(ms) != 1 || ms[0].ID != makerID {
			t.Errorf("c1's makers: %+v %v", ms, err)
		}
		if ms, err := w.svc.Makers(ctx, c2, p2.ID); err != nil || len(ms) != 0 {
			t.Errorf("c2's makers: %+v %v", ms, err)
		}
	})

	t.Run("admin only invites coordinators", func(t *testing.T) {
		if _, _, err := w.svc.AddCoordinator(ctx, c1, p1.ID, programs.AddCoordinatorInput{Name: "New", Email: "n@example.org"}); !errors.Is(err, programs.ErrForbidden) {
			t.Fatalf("a coordinator invites one: %v", err)
		}
		// An active coordinator gets the program added to their scope and no new invitation.
		id, token, err := w.svc.AddCoordinator(ctx, admin, p1.ID, programs.AddCoordinatorInput{Name: "C2", Email: "C2@example.org"})
		if err != nil || id != c2.UserID || token != "" {
			t.Fatalf("adding an active coordinator: %s %q %v", id, token, err)
		}
		c2 = mustActor(t, w, "c2@example.org", "coordinator-password", c2.UserID)
		if _, err := w.svc.Program(ctx, c2, p1.ID); err != nil {
			t.Fatalf("c2 after being added to p1: %v", err)
		}
		if _, _, err := w.svc.AddCoordinator(ctx, admin, p1.ID, programs.AddCoordinatorInput{Name: "Maker", Email: "tara.m"}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("a non-email: %v", err)
		}
	})
}

func TestUpdateSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	var changed []string
	w.domains.onProgram = append(w.domains.onProgram, func(_ context.Context, id string) error {
		changed = append(changed, id)
		return nil
	})
	city, share, payee := "Howrah", 15, programs.PayeeProgram
	got, err := w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{City: &city, ProgramSharePercent: &share, PayeeModel: &payee})
	if err != nil || got.City != "Howrah" || got.ProgramSharePercent != 15 || got.PayeeModel != payee || got.Name != p.Name {
		t.Fatalf("updated: %+v %v", got, err)
	}
	if len(changed) != 1 || changed[0] != p.ID {
		t.Fatalf("OnProgramChanged calls: %v", changed)
	}
	if es := mustEntries(t, w, audit.Query{RecordID: p.ID}); countAction(es, "program.settings") != 1 {
		t.Fatalf("settings change not audited: %+v", es)
	}
	if _, err := w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{}); err != nil || len(changed) != 1 {
		t.Fatalf("an empty change: %v, hooks %v", err, changed)
	}
	bad := 80
	if _, err := w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{ProgramSharePercent: &bad}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("a share of 80%%: %v", err)
	}
	dir, err := w.svc.Directory(ctx)
	if err != nil || len(dir) != 1 || dir[0] != (programs.PublicProgram{ID: p.ID, Name: p.Name, City: "Howrah", Country: "IN"}) {
		t.Fatalf("directory: %+v %v", dir, err)
	}
}

func TestUpdateShippingAndRefundSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	if p.Shipping != nil || p.RefundsReverseWages {
		t.Fatalf("a new program has shipping or a refund policy: %+v", p)
	}
	free := int64(250000)
	sh := programs.Shipping{Domestic: &programs.ShippingRate{First: 8000, Additional: 2000},
		International: &programs.ShippingRate{First: 120000, Additional: 40000}, FreeOver: &free, ProcessingDays: 4}
	got, err := w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{Shipping: &sh})
	if err != nil || got.Shipping == nil || *got.Shipping.Domestic != *sh.Domestic || *got.Shipping.International != *sh.International ||
		*got.Shipping.FreeOver != free || got.DispatchDays() != 4 || got.Name != p.Name {
		t.Fatalf("shipping set: %+v %v", got.Shipping, err)
	}
	if amount, ok := got.ShippingQuote("GB", 10000, 2); !ok || amount != 160000 {
		t.Fatalf("quote abroad from the stored settings: %d %v", amount, ok)
	}
	// Replaced as a whole: no international rate now means no shipping abroad.
	home := programs.Shipping{Domestic: &programs.ShippingRate{First: 5000}, ProcessingDays: 2}
	if got, err = w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{Shipping: &home}); err != nil ||
		got.Shipping.International != nil || got.Shipping.FreeOver != nil {
		t.Fatalf("shipping replaced: %+v %v", got.Shipping, err)
	}
	if _, ok := got.ShippingQuote("US", 10000, 1); ok {
		t.Fatal("ships abroad without an international rate")
	}

	for _, tt := range []struct {
		name  string
		in    programs.Shipping
		field string
	}{
		{"negative first", programs.Shipping{Domestic: &programs.ShippingRate{First: -1}}, "shipping.domestic.first"},
		{"huge additional", programs.Shipping{International: &programs.ShippingRate{Additional: 10_000_001}}, "shipping.international.additional"},
		{"negative free-over", programs.Shipping{FreeOver: new(int64(-5))}, "shipping.freeOver"},
		{"too many processing days", programs.Shipping{ProcessingDays: 61}, "shipping.processingDays"},
	} {
		_, err := w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{Shipping: &tt.in})
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Invalid || fe.Fields[tt.field] == "" {
			t.Errorf("%s: %v, want a field error on %s", tt.name, err, tt.field)
		}
	}
	edge := programs.Shipping{Domestic: &programs.ShippingRate{First: 10_000_000, Additional: 0}, ProcessingDays: 60}
	if _, err := w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{Shipping: &edge}); err != nil {
		t.Fatalf("the largest allowed settings: %v", err)
	}

	on, off := true, false
	short, reason := "because", "  Our partner shelter asked that refunds take back the credited wages  "
	for _, in := range []programs.SettingsInput{
		{RefundsReverseWages: &on},
		{RefundsReverseWages: &on, RefundsReverseWagesReason: &short},
		{RefundsReverseWagesReason: &reason}, // a reason alone does not turn it on
	} {
		got, err := w.svc.UpdateSettings(ctx, c1, p.ID, in)
		if in.RefundsReverseWages == nil {
			if err != nil || got.RefundsReverseWages || got.RefundsReverseWagesReason != "" {
				t.Fatalf("a reason while off: %+v %v", got, err)
			}
			continue
		}
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Unprocessable || fe.Fields["refundsReverseWagesReason"] == "" {
			t.Fatalf("turned on with reason %v: %v, want a 422 field error", in.RefundsReverseWagesReason, err)
		}
	}
	got, err = w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{RefundsReverseWages: &on, RefundsReverseWagesReason: &reason})
	if err != nil || !got.RefundsReverseWages || got.RefundsReverseWagesReason != strings.TrimSpace(reason) {
		t.Fatalf("turned on: %+v %v", got, err)
	}
	if got, err = w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{RefundsReverseWages: &on}); err != nil || got.RefundsReverseWagesReason != strings.TrimSpace(reason) {
		t.Fatalf("on again keeps the stored reason: %+v %v", got, err)
	}
	if got, err = w.svc.UpdateSettings(ctx, c1, p.ID, programs.SettingsInput{RefundsReverseWages: &off}); err != nil || got.RefundsReverseWages || got.RefundsReverseWagesReason != "" {
		t.Fatalf("turned off: %+v %v", got, err)
	}
	if got.Shipping == nil || got.Shipping.Domestic.First != 10_000_000 {
		t.Fatalf("the refund change touched shipping: %+v", got.Shipping)
	}
	es := mustEntries(t, w, audit.Query{RecordID: p.ID})
	if n := countAction(es, "program.settings"); n != 7 {
		t.Fatalf("program.settings entries = %d, want 7 (3 shipping, 4 refund policy): %+v", n, es)
	}
	other := mustProgram(t, w, "Mumbai Tailoring")
	if _, err := w.svc.UpdateSettings(ctx, c1, other.ID, programs.SettingsInput{Shipping: &home}); !errors.Is(err, programs.ErrNotFound) {
		t.Fatalf("another program's shipping: %v", err)
	}
}

func TestRegisterMakerEncryptsPrivateFields(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	id, token, err := w.svc.CreateMaker(ctx, c1, p.ID, makerIn{display: "Tara", legal: "Rupa Sen Secret",
		phone: "+91 98300 12345", story: "I make earrings.", public: true}.input())
	if err != nil || id == "" || token == "" {
		t.Fatalf("create maker: %q %q %v", id, token, err)
	}

	raw, err := w.db.Read("makers").FindOne(ctx, bson.M{"_id": id}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if s := raw.String(); strings.Contains(s, "Rupa") || strings.Contains(s, "Secret") || strings.Contains(s, "98300") {
		t.Fatalf("plaintext private fields in the stored maker: %s", s)
	}
	for _, key := range []string{"legalName", "phone"} {
		if v, ok := raw.Lookup(key).StringValueOK(); !ok || !strings.HasPrefix(v, "fc1:") {
			t.Fatalf("stored %s = %q, want a sealed value", key, v)
		}
	}
	users, err := w.db.Read("users").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.Raw
	if err := users.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if strings.Contains(d.String(), "Rupa") || strings.Contains(d.String(), "98300") {
			t.Fatalf("the maker's account holds private data: %s", d)
		}
	}

	m, err := w.svc.MakerPrivate(ctx, c1, id)
	if err != nil || m.LegalName != "Rupa Sen Secret" || m.Phone != "+91 98300 12345" || m.AccountStatus != accounts.StatusInvited || m.Login != "" {
		t.Fatalf("private profile: %+v %v", m, err)
	}
	if !m.Consent.PublicProfile.Granted || m.Consent.PublicProfile.CapturedBy != c1.UserID ||
		!m.Consent.PublicProfile.ExpiresAt.Equal(w.clock.Now().Add(programs.ConsentMaxAge)) || m.Consent.Story.Granted {
		t.Fatalf("consents recorded: %+v", m.Consent)
	}
	pub, err := w.svc.PublicMaker(ctx, m.PublicID)
	if err != nil || pub.DisplayName != "Tara" || pub.Story != "" || pub.Program.City != "Kolkata" || pub.ID != m.PublicID {
		t.Fatalf("public face: %+v %v", pub, err)
	}
	if m.PublicID == "" || m.PublicID == id || strings.Contains(m.PublicID, id) {
		t.Fatalf("public id %q is not an id of its own (account %s)", m.PublicID, id)
	}
	if _, err := w.svc.PublicMaker(ctx, id); !errors.Is(err, programs.ErrMakerNotFound) {
		t.Fatalf("the public face answers to the account id: %v", err)
	}

	for _, tc := range []struct {
		name  string
		in    programs.CreateMakerInput
		field string
	}{
		{"display name is the legal name", makerIn{display: "rupa sen", legal: "Rupa Sen"}.input(), "displayName"},
		{"no legal name", makerIn{display: "Mina"}.input(), "legalName"},
		{"no consent answer", programs.CreateMakerInput{DisplayName: "Mina", LegalName: "Mina Legal"}, "consent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := w.svc.CreateMaker(ctx, c1, p.ID, tc.in)
			if fe, ok := fault.As(err); !ok || fe.Kind != fault.Invalid || fe.Fields[tc.field] == "" {
				t.Fatalf("%v, want a refusal naming %s", err, tc.field)
			}
		})
	}
	if ms, err := w.svc.Makers(ctx, c1, p.ID); err != nil || len(ms) != 1 {
		t.Fatalf("makers after refusals: %d %v, want 1", len(ms), err)
	}
}

func TestReadingAPrivateRecordIsAudited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	makerID, maker, _ := mustMaker(t, w, c1, p.ID, "Tara")
	reads := func() []audit.Entry {
		var out []audit.Entry
		for _, e := range mustEntries(t, w, audit.Query{ProgramIDs: []string{p.ID}, RecordID: makerID}) {
			if e.Action == "maker.read_private" {
				out = append(out, e)
			}
		}
		return out
	}
	if n := len(reads()); n != 0 {
		t.Fatalf("%d reads audited before anyone read", n)
	}
	for _, actor := range []accounts.Actor{c1, maker, admin} {
		m, err := w.svc.MakerPrivate(ctx, actor, makerID)
		if err != nil || m.LegalName != "Legal Tara" || m.Login != "tara.m" {
			t.Fatalf("%s reads: %+v %v", actor.Role, m, err)
		}
	}
	got := reads()
	if len(got) != 3 {
		t.Fatalf("%d reads audited, want 3: %+v", len(got), got)
	}
	seen := map[string]audit.Entry{}
	for _, e := range got {
		seen[e.ActorRole] = e
	}
	if e := seen["coordinator"]; e.ActorID != c1.UserID || e.ForMakerID != makerID || e.IP != c1.IP || e.RecordType != "maker" || e.At.IsZero() {
		t.Fatalf("coordinator's read: %+v", e)
	}
	if e := seen["maker"]; e.ActorID != maker.UserID || e.ForMakerID != "" {
		t.Fatalf("maker's own read: %+v", e)
	}
	if e := seen["admin"]; e.ActorID != admin.UserID || e.ProgramID != p.ID {
		t.Fatalf("admin's read: %+v", e)
	}
}

// recorder collects the maker ids hooks are called with, optionally failing the first calls.
type recorder struct {
	mu    sync.Mutex
	calls []string
	fail  int
}

func (r *recorder) hook(_ context.Context, makerID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, makerID)
	if r.fail > 0 {
		r.fail--
		return errors.New("hook failed")
	}
	return nil
}

func (r *recorder) eraseHook(ctx context.Context, _ accounts.Actor, makerID string) error {
	return r.hook(ctx, makerID)
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.calls) }

func TestConsent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	makerID, maker, _ := mustMaker(t, w, c1, p.ID, "Tara")
	hooks := &recorder{}
	// What a hook reads must already be the new state: the storefront recomputes from it.
	var seenByHook []string
	w.domains.onMaker = []makerHook{hooks.hook, func(ctx context.Context, id string) error {
		pub, err := w.svc.PublicMaker(ctx, mustPublicID(t, w, id))
		seenByHook = append(seenByHook, pub.DisplayName)
		return err
	}}
	no, yes := false, true
	public := func() programs.PublicMaker {
		t.Helper()
		pub, err := w.svc.PublicMaker(ctx, mustPublicID(t, w, makerID))
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	if pub := public(); pub.DisplayName != "Tara" || pub.Story != "I make earrings." {
		t.Fatalf("public face with consent: %+v", pub)
	}

	t.Run("the maker withdraws, at once", func(t *testing.T) {
		c, err := w.svc.SetConsent(ctx, maker, makerID, programs.ConsentInput{PublicProfile: &no, Story: &no})
		if err != nil || c.PublicProfile.Granted || c.Story.Granted || !c.WorkPhotos.Granted {
			t.Fatalf("consents: %+v %v", c, err)
		}
		if c.PublicProfile.Purpose == "" || c.PublicProfile.CapturedBy != maker.UserID {
			t.Fatalf("withdrawal lost its purpose or who recorded it: %+v", c.PublicProfile)
		}
		if pub := public(); pub.DisplayName != programs.AnonymousName || pub.Story != "" {
			t.Fatalf("public face after withdrawal: %+v", pub)
		}
		if hooks.count() != 1 || hooks.calls[0] != makerID || len(seenByHook) != 1 || seenByHook[0] != programs.AnonymousName {
			t.Fatalf("hooks: %v, they saw %v", hooks.calls, seenByHook)
		}
	})

	t.Run("a coordinator cannot undo the maker's own withdrawal without her paper consent", func(t *testing.T) {
		calls := hooks.count()
		for _, note := range []string{"", "   "} {
			_, err := w.svc.SetConsent(ctx, c1, makerID, programs.ConsentInput{PublicProfile: &yes, PaperConsentNote: note})
			if fe, ok := fault.As(err); !ok || fe.Kind != fault.Invalid || fe.Fields["paperConsentNote"] == "" {
				t.Fatalf("coordinator's grant with note %q: %v, want a refusal naming paperConsentNote", note, err)
			}
		}
		if pub := public(); pub.DisplayName != programs.AnonymousName || hooks.count() != calls {
			t.Fatalf("a refused grant changed the public face: %+v", pub)
		}
		// The coordinator may still withdraw, and change what the maker did not withdraw herself.
		if _, err := w.svc.SetConsent(ctx, c1, makerID, programs.ConsentInput{WorkPhotos: &no}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SetConsent(ctx, c1, makerID, programs.ConsentInput{WorkPhotos: &yes}); err != nil {
			t.Fatalf("coordinator's grant of a consent she withdrew herself: %v", err)
		}
	})

	t.Run("a coordinator re-grants for the maker on her signed paper consent", func(t *testing.T) {
		w.clock.Advance(time.Hour)
		c, err := w.svc.SetConsent(ctx, c1, makerID, programs.ConsentInput{PublicProfile: &yes, PaperConsentNote: "Signed form in the office file, 3 May"})
		if err != nil || !c.PublicProfile.Granted || c.PublicProfile.CapturedBy != c1.UserID || c.PublicProfile.PaperNote != "Signed form in the office file, 3 May" ||
			!c.PublicProfile.ExpiresAt.Equal(w.clock.Now().Add(programs.ConsentMaxAge)) {
			t.Fatalf("consents: %+v %v", c, err)
		}
		if pub := public(); pub.DisplayName != "Tara" || pub.Story != "" {
			t.Fatalf("public face after re-grant of the profile only: %+v", pub)
		}
		if hooks.count() != 4 {
			t.Fatalf("hooks: %v", hooks.calls)
		}
		es := mustEntries(t, w, audit.Query{RecordID: makerID})
		var details []string
		for _, e := range es {
			if e.Action == "consent.change" {
				details = append(details, e.ActorRole+":"+e.Detail)
			}
		}
		if len(details) != 4 || !strings.Contains(strings.Join(details, " "), "coordinator:publicProfile=true (paper consent: Signed form in the office file, 3 May)") ||
			!strings.Contains(strings.Join(details, " "), "maker:publicProfile=false,story=false") {
			t.Fatalf("consent changes audited: %v", details)
		}
	})

	t.Run("a grant expires after three years", func(t *testing.T) {
		w.clock.Advance(programs.ConsentMaxAge)
		if pub := public(); pub.DisplayName != programs.AnonymousName {
			t.Fatalf("public face after the consent expired: %+v", pub)
		}
		if _, err := w.svc.SetConsent(ctx, maker, makerID, programs.ConsentInput{PublicProfile: &yes}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("refusals change nothing", func(t *testing.T) {
		calls := hooks.count()
		if _, err := w.svc.SetConsent(ctx, maker, makerID, programs.ConsentInput{}); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("nothing to change: %v", err)
		}
		if _, err := w.svc.SetConsent(ctx, maker, "no-such-maker", programs.ConsentInput{Story: &yes}); !errors.Is(err, programs.ErrMakerNotFound) {
			t.Fatalf("unknown maker: %v", err)
		}
		if hooks.count() != calls {
			t.Fatalf("hooks ran for refused changes: %v", hooks.calls)
		}
	})

	t.Run("a failing hook fails the change", func(t *testing.T) {
		hooks.fail = 1
		if _, err := w.svc.SetConsent(ctx, maker, makerID, programs.ConsentInput{Story: &yes}); err == nil {
			t.Fatal("SetConsent returned success while the storefront was not told")
		}
	})
}

func TestErase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	makerID, maker, session := mustMaker(t, w, c1, p.ID, "Tara")
	otherID, _, otherSession := mustMaker(t, w, c1, p.ID, "Mina")
	erased, changed := &recorder{fail: 1}, &recorder{}
	w.domains.onErase = []eraseHook{erased.eraseHook}
	w.domains.onMaker = []makerHook{changed.hook}

	t.Run("needs the word ERASE", func(t *testing.T) {
		err := w.svc.Erase(ctx, maker, makerID, programs.EraseInput{Confirm: "yes"})
		if fe, ok := fault.As(err); !ok || fe.Kind != fault.Invalid || fe.Fields["confirm"] == "" {
			t.Fatalf("%v", err)
		}
		if erased.count() != 0 || changed.count() != 0 {
			t.Fatal("hooks ran for an unconfirmed erasure")
		}
	})

	t.Run("a failing domain leaves the maker as they were", func(t *testing.T) {
		if err := w.svc.Erase(ctx, maker, makerID, programs.EraseInput{Confirm: "ERASE"}); err == nil {
			t.Fatal("erasure reported success although a domain failed to erase its part")
		}
		if m, err := w.svc.MakerPrivate(ctx, c1, makerID); err != nil || m.Status != "active" || m.LegalName != "Legal Tara" {
			t.Fatalf("after the failed erasure: %+v %v", m, err)
		}
		if _, err := w.accounts.Authenticate(ctx, session); err != nil {
			t.Fatalf("the maker's session after the failed erasure: %v", err)
		}
		if changed.count() != 0 {
			t.Fatalf("OnMakerChanged ran for an erasure that did not happen: %v", changed.calls)
		}
	})

	t.Run("repeated, it erases", func(t *testing.T) {
		if err := w.svc.Erase(ctx, maker, makerID, programs.EraseInput{Confirm: "ERASE"}); err != nil {
			t.Fatal(err)
		}
		if erased.count() != 2 || changed.count() != 1 || changed.calls[0] != makerID {
			t.Fatalf("hooks: erase %v, changed %v", erased.calls, changed.calls)
		}
		assertErased(t, w, makerID, session, "tara.m")
		es := mustEntries(t, w, audit.Query{RecordID: makerID})
		if countAction(es, "maker.erase") != 1 {
			t.Fatalf("erasure not audited: %+v", es)
		}
		// The other maker of the program is untouched.
		if m, err := w.svc.MakerPrivate(ctx, c1, otherID); err != nil || m.LegalName != "Legal Mina" || m.Status != "active" {
			t.Fatalf("the other maker: %+v %v", m, err)
		}
		if _, err := w.accounts.Authenticate(ctx, otherSession); err != nil {
			t.Fatalf("the other maker's session: %v", err)
		}
	})

	t.Run("an erased maker is gone for everyone", func(t *testing.T) {
		no := false
		if _, err := w.svc.SetConsent(ctx, c1, makerID, programs.ConsentInput{Story: &no}); !errors.Is(err, programs.ErrMakerNotFound) {
			t.Fatalf("consent on an erased maker: %v", err)
		}
		if err := w.svc.Erase(ctx, c1, makerID, programs.EraseInput{Confirm: "ERASE"}); !errors.Is(err, programs.ErrMakerNotFound) {
			t.Fatalf("erasing twice: %v", err)
		}
	})
}

// An erasure that failed after the maker's record was blanked (here: telling the storefront)
// must still be finishable by asking again; otherwise the account, its sessions and the audit
// entry are left behind for good.
func TestEraseRepeatableAfterAFailingChangeHook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	makerID, _, session := mustMaker(t, w, c1, p.ID, "Tara")
	changed := &recorder{fail: 1}
	w.domains.onMaker = []makerHook{changed.hook}

	if err := w.svc.Erase(ctx, c1, makerID, programs.EraseInput{Confirm: "ERASE"}); err == nil {
		t.Fatal("erasure reported success although the storefront was not told")
	}
	if err := w.svc.Erase(ctx, c1, makerID, programs.EraseInput{Confirm: "ERASE"}); err != nil {
		t.Fatalf("asking again: %v", err)
	}
	if changed.count() != 2 {
		t.Fatalf("OnMakerChanged calls: %v, want 2", changed.calls)
	}
	assertErased(t, w, makerID, session, "tara.m")
	if es := mustEntries(t, w, audit.Query{RecordID: makerID}); countAction(es, "maker.erase") != 1 {
		t.Fatalf("erasure audited %d times, want once", countAction(es, "maker.erase"))
	}
	if err := w.svc.Erase(ctx, c1, makerID, programs.EraseInput{Confirm: "ERASE"}); !errors.Is(err, programs.ErrMakerNotFound) {
		t.Fatalf("erasing a finished erasure again: %v", err)
	}
}

func assertErased(t *testing.T, w world, makerID, session, login string) {
	t.Helper()
	ctx := context.Background()
	raw, err := w.db.Read("makers").FindOne(ctx, bson.M{"_id": makerID}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	s := raw.String()
	for _, leak := range []string{"fc1:", "Tara", "I make earrings"} {
		if strings.Contains(s, leak) {
			t.Fatalf("the stored maker still holds %q: %s", leak, s)
		}
	}
	if _, err := w.svc.PublicMaker(ctx, mustPublicID(t, w, makerID)); !errors.Is(err, programs.ErrMakerNotFound) {
		t.Fatalf("public face of an erased maker: %v", err)
	}
	if _, err := w.accounts.Authenticate(ctx, session); !errors.Is(err, accounts.ErrUnauthenticated) {
		t.Fatalf("the erased maker's session still works: %v", err)
	}
	if _, _, err := w.accounts.Login(ctx, login, "maker-password", accounts.SessionMeta{}); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("the erased maker can still log in: %v", err)
	}
	m, err := w.svc.MakerPrivate(ctx, admin, makerID)
	if err != nil || m.LegalName != "" || m.Phone != "" || m.Story != "" || m.DisplayName != programs.RetiredName ||
		m.Status != "retired" || m.AccountStatus != accounts.StatusRetired || m.Consent.PublicProfile.Granted {
		t.Fatalf("erased record: %+v %v", m, err)
	}
}

// The list of programs must fail when the database does, not look like "no programs".
func TestProgramsReportsADatabaseFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := mustWorld(t)
	p := mustProgram(t, w, "Kolkata Jewellery Workshop")
	c1 := mustCoordinator(t, w, p.ID, "c1@example.org")
	_, maker, _ := mustMaker(t, w, c1, p.ID, "Tara")
	if ps, err := w.svc.Programs(ctx, maker); err != nil || len(ps) != 1 {
		t.Fatalf("before: %d %v", len(ps), err)
	}
	// A maker whose record is missing sees no programs, which is not an error.
	ghost := accounts.Actor{UserID: "ghost", Role: accounts.RoleMaker, MakerID: "ghost"}
	if ps, err := w.svc.Programs(ctx, ghost); err != nil || len(ps) != 0 {
		t.Fatalf("a maker without a record: %v %v", ps, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := w.db.Close(cctx); err != nil {
		t.Fatal(err)
	}
	for name, actor := range map[string]accounts.Actor{"admin": admin, "coordinator": c1, "maker": maker} {
		t.Run(name, func(t *testing.T) {
			ps, err := w.svc.Programs(ctx, actor)
			if err == nil {
				t.Fatalf("with the database closed Programs returned %v and no error", ps)
			}
			if errors.Is(err, programs.ErrNotFound) || errors.Is(err, programs.ErrMakerNotFound) {
				t.Fatalf("a database failure reported as not found: %v", err)
			}
		})
	}
}

type (
	makerHook func(ctx context.Context, makerID string) error
	eraseHook func(ctx context.Context, actor accounts.Actor, makerID string) error
)

// domains stands in for the catalog (the storefront and one of the erasers) and lets a test see,
// or fail, what the programs service tells it.
type domains struct {
	onMaker   []makerHook
	onProgram []func(ctx context.Context, programID string) error
	onErase   []eraseHook
}

func (d *domains) InvalidateMaker(ctx context.Context, makerID string) error {
	for _, h := range d.onMaker {
		if err := h(ctx, makerID); err != nil {
			return err
		}
	}
	return nil
}

func (d *domains) InvalidateProgram(ctx context.Context, programID string) error {
	for _, h := range d.onProgram {
		if err := h(ctx, programID); err != nil {
			return err
		}
	}
	return nil
}

func (d *domains) EraseMaker(ctx context.Context, actor accounts.Actor, makerID string) error {
	for _, h := range d.onErase {
		if err := h(ctx, actor, makerID); err != nil {
			return err
		}
	}
	return nil
}

// noEraser is the training's part of an erasure, which these tests do not look at.
type noEraser struct{}

func (noEraser) EraseMaker(context.Context, accounts.Actor, string) error { return nil }

func TestNewServiceRefusesMissingDependencies(t *testing.T) {
	w := mustWorld(t)
	_, err := programs.NewService(programs.Deps{Accounts: w.accounts, Audit: w.audit})
	if err == nil {
		t.Fatal("a programs service without its storefront and erasers was built")
	}
	for _, name := range []string{"Registry", "Box", "Storefront", "Catalog eraser", "Training eraser"} {
		if !strings.Contains(err.Error(), name) {
			t.Fatalf("error %q does not name %s", err, name)
		}
	}
}
