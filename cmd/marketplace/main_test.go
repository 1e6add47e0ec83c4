package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
)

// server runs `run` like the real binary and returns its base URL and a stop function that
// cancels the context (as SIGTERM does) and waits for a clean return.
func server(t *testing.T, env map[string]string, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	var stdout bytes.Buffer
	go func() {
		errc <- run(ctx, args, func(k string) string { return env[k] }, &stdout, pw)
		pw.Close()
	}()
	addr := make(chan string, 1)
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "marketplace listening" {
				once.Do(func() { addr <- line["addr"].(string) })
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a, func() error { cancel(); return <-errc }
	case err := <-errc:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start within 60 s")
	}
	return "", nil
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func TestServeRestartAndSingleProcessLock(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ADDR": "127.0.0.1:0", "DATA_DIR": dir, "ADMIN_EMAIL": "root@test.example", "ADMIN_PASSWORD": "root-password"}
	base, stop := server(t, env)

	for _, p := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(base + p)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", p, res, err)
		}
		res.Body.Close()
	}
	if res := post(t, base+"/api/v1/auth/register", `{"email":"keep@test.example","password":"keep-password","name":"Keep"}`); res.StatusCode != 201 {
		t.Fatalf("register: %d", res.StatusCode)
	}

	// A second process on the same data directory is refused with advice.
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "MONGODB_URI") {
		t.Fatalf("second process: err = %v, want a refusal naming MONGODB_URI", err)
	}

	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	base, stop = server(t, env)
	defer stop()
	for _, login := range []string{`{"login":"keep@test.example","password":"keep-password"}`, `{"login":"root@test.example","password":"root-password"}`} {
		if res := post(t, base+"/api/v1/auth/login", login); res.StatusCode != 200 {
			t.Fatalf("login after restart (%s): %d", login, res.StatusCode)
		}
	}
}

func TestProductionNeedsSecrets(t *testing.T) {
	env := map[string]string{"MONGODB_URI": "mongodb://127.0.0.1:1", "DATA_DIR": t.TempDir(), "ALLOW_TEST_PAYMENTS": "true"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DATA_ENCRYPTION_KEY") {
		t.Fatalf("err = %v, want DATA_ENCRYPTION_KEY required", err)
	}
}

func TestSeedDemo(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"seed"}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"admin@demo.fairhands.test", "asha@demo.fairhands.test", "tara", "kavya"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("seed output lacks %q:\n%s", want, out.String())
		}
	}
	checkDemoShop(t, env)
	out.Reset()
	if err := run(context.Background(), []string{"seed"}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "skipped") {
		t.Fatalf("second seed did not skip: %s", out.String())
	}
}

// checkDemoShop opens the seeded store and checks that the demo looks like a shop: every
// published product has a photo, and there are sales, wages paid and handed over, and
// completed training for the dashboards and the impact page.
func checkDemoShop(t *testing.T, env map[string]string) {
	t.Helper()
	ctx := context.Background()
	a, _, closeDB, err := open(ctx, func(k string) string { return env[k] }, io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	if err := a.Catalog.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := a.Catalog.Search(ctx, catalog.Query{PerPage: catalog.MaxPerPage})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total < 20 || len(page.Items) != page.Total {
		t.Fatalf("published demo products: %d of %d on the page, want at least 20 on one page", len(page.Items), page.Total)
	}
	for _, p := range page.Items {
		if len(p.Images) == 0 {
			t.Fatalf("published demo product %q has no photo", p.Title)
		}
	}
	progs, err := a.Programs.Registry().Programs(ctx, nil)
	if err != nil || len(progs) != 2 {
		t.Fatalf("demo programs: %d, %v", len(progs), err)
	}
	earning, err := a.Payments.MakersEarningByProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wages, err := a.Payments.WagesPaidByProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done, err := a.Training.Completions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.Accounts.UserByLogin(ctx, "admin@demo.fairhands.test")
	if err != nil {
		t.Fatal(err)
	}
	admin := accounts.ActorOf(u, "test")
	total := 0
	for _, p := range progs {
		// Every maker has sold something; a workshop alone (6 makers) stays under the impact
		// page's k = 11, both together reach it.
		if earning[p.ID] != 6 || wages[p.ID]["INR"] <= 0 {
			t.Fatalf("%s: %d makers earning, wages %v; want all 6 with wages", p.Name, earning[p.ID], wages[p.ID])
		}
		total += earning[p.ID]
		if done[p.ID] == 0 {
			t.Fatalf("%s: no completed training", p.Name)
		}
		ds, err := a.Payments.Disbursements(ctx, admin, p.ID, "")
		if err != nil || len(ds) < 2 {
			t.Fatalf("%s: disbursements %d, %v; want at least 2", p.Name, len(ds), err)
		}
	}
	if total < 11 {
		t.Fatalf("%d demo makers earning: the impact page would hide all wages", total)
	}
	orders, err := a.Payments.Orders(ctx, admin, payments.OrderQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(orders)
	if n, paid := strings.Count(string(b), `"channel":"offline"`), strings.Count(string(b), `"paidAt"`); n != 2 || paid < 10 {
		t.Fatalf("demo orders: %d craft-fair sales, %d paid orders; want 2 and at least 10", n, paid)
	}
}

// With ADMIN_EMAIL and ADMIN_PASSWORD set, seed and serve --demo still create the demo (the
// admin from the environment is made first), and both admins can sign in.
func TestDemoWithAnAdminFromTheEnvironment(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn", "ADDR": "127.0.0.1:0",
		"ADMIN_EMAIL": "root@test.example", "ADMIN_PASSWORD": "root-password"}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"seed"}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
		t.Fatalf("seed with ADMIN_EMAIL set: %v", err)
	}
	if !strings.Contains(out.String(), "Demo data created.") {
		t.Fatalf("seed output: %s", out.String())
	}
	fresh := map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "info", "ADDR": "127.0.0.1:0",
		"ADMIN_EMAIL": "root@test.example", "ADMIN_PASSWORD": "root-password"}
	base, stop := server(t, fresh, "serve", "--demo")
	defer stop()
	for _, login := range []string{`{"login":"root@test.example","password":"root-password"}`, `{"login":"admin@demo.fairhands.test","password":"demo-password"}`, `{"login":"tara","password":"demo-password"}`} {
		if res := post(t, base+"/api/v1/auth/login", login); res.StatusCode != 200 {
			t.Fatalf("login %s after serve --demo: %d", login, res.StatusCode)
		}
	}
}

// The documented move from a pilot's embedded store to another database: export, import, serve.
func TestExportImportMovesTheStore(t *testing.T) {
	src := map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}
	if err := run(context.Background(), []string{"seed"}, func(k string) string { return src[k] }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/dump.jsonl"
	if err := run(context.Background(), []string{"export", "--file", file}, func(k string) string { return src[k] }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// The target needs the same DATA_ENCRYPTION_KEY, or makers' private fields are unreadable.
	dst := map[string]string{"DATA_DIR": t.TempDir(), "ADDR": "127.0.0.1:0"}
	for _, k := range []string{"data-encryption-key", "session-secret"} {
		b, err := os.ReadFile(src["DATA_DIR"] + "/" + k)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst["DATA_DIR"]+"/"+k, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(context.Background(), []string{"import", "--file", file}, func(k string) string { return dst[k] }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	base, stop := server(t, dst)
	defer stop()
	if res := post(t, base+"/api/v1/auth/login", `{"login":"tara","password":"demo-password"}`); res.StatusCode != 200 {
		t.Fatalf("demo maker cannot log in after the move: %d", res.StatusCode)
	}
}

func TestTrustedProxiesSetting(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string
		bad   bool
	}{
		{"", nil, false},
		{"10.0.0.0/8, 192.0.2.7", []string{"10.0.0.0/8", "192.0.2.7"}, false},
		{"fd00::/8", []string{"fd00::/8"}, false},
		{"10.0.0.0/8,balancer.internal", nil, true},
	} {
		env := map[string]string{"DATA_DIR": t.TempDir(), "TRUSTED_PROXIES": tc.value}
		c, err := loadConfig(func(k string) string { return env[k] })
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") {
				t.Fatalf("%q: err = %v, want a TRUSTED_PROXIES error", tc.value, err)
			}
			continue
		}
		if err != nil || !slices.Equal(c.App.TrustedProxies, tc.want) {
			t.Fatalf("%q: %v %v, want %v", tc.value, c.App.TrustedProxies, err, tc.want)
		}
	}
}
