// Package demo fills an empty store with a believable pilot: an admin, a jewellery workshop in
// Kolkata and a tailoring workshop in Mumbai, their coordinators, a dozen makers with chosen
// names, products and training tracks, and prints the logins so a newcomer can try every role.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/programs"
)

// Password is every demo account's password. Demo data is for trying the app, never production.
const Password = "demo-password"

// AdminEmail is the demo admin's login.
const AdminEmail = "admin@demo.fairhands.test"

type makerSeed struct{ login, display, legal string }

type programSeed struct {
	in          programs.CreateInput
	coordinator programs.AddCoordinatorInput
	makers      []makerSeed
}

var seeds = []programSeed{
	{
		in:          programs.CreateInput{Name: "Kolkata Jewellery Workshop", City: "Kolkata", Country: "IN", Currency: "INR", LivingWageHourly: 9000},
		coordinator: programs.AddCoordinatorInput{Name: "Asha Coordinator", Email: "asha@demo.fairhands.test"},
		makers: []makerSeed{
			{"tara", "Tara", "Demo Person One"}, {"mitali", "Mitali", "Demo Person Two"},
			{"shapla", "Shapla", "Demo Person Three"}, {"jhumpa", "Jhumpa", "Demo Person Four"},
			{"bina", "Bina", "Demo Person Five"}, {"roshni", "Roshni", "Demo Person Six"},
		},
	},
	{
		in:          programs.CreateInput{Name: "Mumbai Tailoring Workshop", City: "Mumbai", Country: "IN", Currency: "INR", LivingWageHourly: 8500},
		coordinator: programs.AddCoordinatorInput{Name: "Meera Coordinator", Email: "meera@demo.fairhands.test"},
		makers: []makerSeed{
			{"kavya", "Kavya", "Demo Person Seven"}, {"sunita", "Sunita", "Demo Person Eight"},
			{"pooja", "Pooja", "Demo Person Nine"}, {"anjali", "Anjali", "Demo Person Ten"},
			{"rekha", "Rekha", "Demo Person Eleven"}, {"nisha", "Nisha", "Demo Person Twelve"},
		},
	},
}

// Seed fills an empty store. A store that already has programs is left alone.
func Seed(ctx context.Context, a *app.App, out io.Writer) error {
	existing, err := a.Programs.Registry().Programs(ctx, nil)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		fmt.Fprintln(out, "The store already has data; demo seeding skipped.")
		printLogins(out)
		return nil
	}
	admin, err := demoAdmin(ctx, a)
	if err != nil {
		return fmt.Errorf("demo admin: %w", err)
	}
	adminActor := accounts.ActorOf(admin, "seed")
	for _, ps := range seeds {
		p, err := a.Programs.CreateProgram(ctx, adminActor, ps.in)
		if err != nil {
			return fmt.Errorf("program %s: %w", ps.in.Name, err)
		}
		coordID, token, err := a.Programs.AddCoordinator(ctx, adminActor, p.ID, ps.coordinator)
		if err != nil {
			return fmt.Errorf("coordinator: %w", err)
		}
		if _, err := a.Accounts.AcceptInvite(ctx, token, accounts.AcceptInput{Password: Password}); err != nil {
			return fmt.Errorf("coordinator accept: %w", err)
		}
		coord, err := a.Accounts.User(ctx, coordID)
		if err != nil {
			return err
		}
		coordActor := accounts.ActorOf(coord, "seed")
		for i, ms := range ps.makers {
			in := programs.CreateMakerInput{DisplayName: ms.display, LegalName: ms.legal,
				Story: fmt.Sprintf("%s joined the %s and makes pieces by hand.", ms.display, p.Name)}
			in.Consent = &struct {
				PublicProfile bool `json:"publicProfile"`
				Story         bool `json:"story"`
				WorkPhotos    bool `json:"workPhotos"`
			}{PublicProfile: i != 5, Story: i%2 == 0, WorkPhotos: true}
			_, token, err := a.Programs.CreateMaker(ctx, coordActor, p.ID, in)
			if err != nil {
				return fmt.Errorf("maker %s: %w", ms.display, err)
			}
			if _, err := a.Accounts.AcceptInvite(ctx, token, accounts.AcceptInput{Login: ms.login, Password: Password}); err != nil {
				return fmt.Errorf("maker %s accept: %w", ms.display, err)
			}
		}
	}
	// Each domain seeds its part in its own file (demo/catalog.go, demo/training.go).
	published, err := seedCatalog(ctx, a)
	if err != nil {
		return fmt.Errorf("demo products: %w", err)
	}
	if err := seedOrders(ctx, a, adminActor, published); err != nil {
		return fmt.Errorf("demo orders: %w", err)
	}
	if err := seedTraining(ctx, a); err != nil {
		return fmt.Errorf("demo training: %w", err)
	}
	fmt.Fprintln(out, "Demo data created.")
	printLogins(out)
	return nil
}

// demoAdmin returns the demo's admin, creating it. EnsureAdmin creates an admin only while there
// is none, so when ADMIN_EMAIL made one first (serve --demo or seed with ADMIN_EMAIL set) the
// demo admin is added beside it: both logins work.
func demoAdmin(ctx context.Context, a *app.App) (accounts.User, error) {
	if _, err := a.Accounts.EnsureAdmin(ctx, AdminEmail, Password); err != nil {
		return accounts.User{}, err
	}
	u, err := a.Accounts.UserByLogin(ctx, AdminEmail)
	if !errors.Is(err, accounts.ErrNotFound) {
		return u, err
	}
	u = accounts.User{Role: accounts.RoleAdmin, Login: AdminEmail, Email: AdminEmail, Name: "Demo administrator",
		PasswordHash: accounts.HashPassword(Password), Status: accounts.StatusActive}
	if err := a.Accounts.CreateUser(ctx, &u); err != nil {
		return accounts.User{}, err
	}
	return u, nil
}

func printLogins(out io.Writer) {
	fmt.Fprintf(out, "Demo logins (password for all: %s):\n", Password)
	fmt.Fprintf(out, "  admin        %s\n", AdminEmail)
	for _, ps := range seeds {
		fmt.Fprintf(out, "  coordinator  %s  (%s)\n", ps.coordinator.Email, ps.in.Name)
	}
	for _, ps := range seeds {
		fmt.Fprintf(out, "  makers       ")
		for i, m := range ps.makers {
			if i > 0 {
				fmt.Fprint(out, ", ")
			}
			fmt.Fprint(out, m.login)
		}
		fmt.Fprintf(out, "  (%s)\n", ps.in.Name)
	}
}
