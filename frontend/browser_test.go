package frontend_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fieldcrypt"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/store/storetest"
	"github.com/fairhands/marketplace/training"
)

// The browser tests drive Debian's Chromium headless through chromedp, on the real server
// listening on a loopback port (its BASE_URL is that address, so the demo payment page's
// redirects come back to it). Without Chromium they skip with a message, except in CI.

const testPassword = "browser-pass-1"

// chromiumPath finds the browser, or skips (fails in CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROME_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("browser tests need Chromium in CI: .ci/run installs it with apt-get install chromium")
	}
	t.Skip("Chromium not found: install it (apt-get install -y chromium) to run the browser tests")
	return ""
}

// publicID is a maker's current public id, the :id of her public page.
func (s *site) publicID(makerID string) string {
	m, err := s.a.Programs.Registry().Maker(context.Background(), makerID)
	if err != nil {
		panic(err)
	}
	return m.PublicID
}

// site is a running marketplace for a browser test.
type site struct {
	t     *testing.T
	a     *app.App
	base  string
	admin accounts.Actor
}

func startSite(t *testing.T) *site {
	t.Helper()
	db := storetest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	key, _ := fieldcrypt.ParseKey(fieldcrypt.NewKey())
	cfg := app.Config{BaseURL: base, SessionSecret: strings.Repeat("b", 32), EncryptionKey: key, RateLimitScale: 1000, MailDir: t.TempDir()}
	ctx := context.Background()
	a, err := app.New(ctx, cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	wctx, cancel := context.WithCancel(context.Background())
	done := a.StartWorkers(wctx)
	t.Cleanup(func() {
		_ = srv.Close()
		cancel()
		<-done
	})
	if _, err := a.Accounts.EnsureAdmin(ctx, "admin@browser.test", testPassword); err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, a: a, base: base}
	s.admin = s.actor("admin@browser.test")
	return s
}

func (s *site) actor(login string) accounts.Actor {
	s.t.Helper()
	u, err := s.a.Accounts.UserByLogin(context.Background(), login)
	if err != nil {
		s.t.Fatalf("user %s: %v", login, err)
	}
	return accounts.ActorOf(u, "127.0.0.1")
}

func (s *site) program(name, city string) programs.Program {
	s.t.Helper()
	p, err := s.a.Programs.CreateProgram(context.Background(), s.admin, programs.CreateInput{
		Name: name, City: city, Country: "IN", Currency: "INR", LivingWageHourly: 9000})
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func (s *site) coordinator(programID, email string) accounts.Actor {
	s.t.Helper()
	ctx := context.Background()
	_, tok, err := s.a.Programs.AddCoordinator(ctx, s.admin, programID, programs.AddCoordinatorInput{Name: "Coordinator", Email: email})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.a.Accounts.AcceptInvite(ctx, tok, accounts.AcceptInput{Password: testPassword}); err != nil {
		s.t.Fatal(err)
	}
	return s.actor(email)
}

func (s *site) maker(programID string, coord accounts.Actor, login, display string) accounts.Actor {
	s.t.Helper()
	ctx := context.Background()
	in := programs.CreateMakerInput{DisplayName: display, LegalName: "Legal " + display, Story: display + " makes things by hand."}
	in.Consent = &struct {
		PublicProfile bool `json:"publicProfile"`
		Story         bool `json:"story"`
		WorkPhotos    bool `json:"workPhotos"`
	}{true, true, true}
	_, tok, err := s.a.Programs.CreateMaker(ctx, coord, programID, in)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.a.Accounts.AcceptInvite(ctx, tok, accounts.AcceptInput{Login: login, Password: testPassword}); err != nil {
		s.t.Fatal(err)
	}
	return s.actor(login)
}

// product lists, submits and publishes a product at a fair price, with a photo.
func (s *site) product(prog programs.Program, maker, coord accounts.Actor, title, category string) catalog.Product {
	s.t.Helper()
	ctx := context.Background()
	price := catalog.LowestFairPrice(5000, 2, prog, s.a.Catalog.Fees) + 5000
	p, err := s.a.Catalog.Create(ctx, maker, catalog.CreateInput{Title: title, Description: "Made by hand for this test.",
		Category: category, Price: price, Currency: prog.Currency, Stock: 5, HoursOfWork: 2, MaterialsCost: 5000})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.a.Catalog.AddImage(ctx, maker, p.ID, bytes.NewReader(testJPEG(s.t, 800, 600))); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.a.Catalog.Submit(ctx, maker, p.ID); err != nil {
		s.t.Fatal(err)
	}
	if p, err = s.a.Catalog.Approve(ctx, coord, p.ID, catalog.ReviewInput{}); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// testJPEG draws a small picture of "work" (stripes), as a phone photo would arrive.
func testJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(150 + (x/40%2)*60), uint8(60 + y%80), 30, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// browser starts a fresh headless Chromium with its own profile; mobile emulates a phone.
func browser(t *testing.T, mobile bool) context.Context {
	t.Helper()
	path := chromiumPath(t)
	// The profile is removed after the browser has exited (t.TempDir's clean-up can race its last writes).
	profile, err := os.MkdirTemp("", "chromium-profile-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	// This chromedp's protocol tables predate some of the browser's event values; those events are
	// not used here, so their decoding complaints are dropped.
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") {
			t.Log(msg)
		}
	}))
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
		time.Sleep(100 * time.Millisecond)
		_ = os.RemoveAll(profile)
	})
	if mobile {
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
	} else if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(1280, 900, 1, false)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// run runs browser actions, failing with a screenshot's path on error.
func run(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		shot(t, ctx, "failed-"+name)
		var url string
		_ = chromedp.Run(ctx, chromedp.Location(&url))
		t.Fatalf("%s (at %s): %v", name, url, err)
	}
}

// shot saves a full-page screenshot under $SCREENSHOTS (e.g. /tmp/screens), when set.
func shot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("SCREENSHOTS")
	if dir == "" {
		return
	}
	var buf []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	if strings.HasSuffix(name, ".png") {
		name = strings.TrimSuffix(name, ".png")
	}
	_ = os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}

// setValue sets a field's value as a person choosing it would (the change event fires).
func setValue(sel, value string) chromedp.Action {
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, value)
	var ok bool
	return chromedp.Evaluate(js, &ok)
}

func text(ctx context.Context, sel string) (string, error) {
	var s string
	err := chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery))
	return s, err
}

// wantText fails unless the element's text contains want.
func wantText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	got, err := text(ctx, sel)
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	if !strings.Contains(got, want) {
		shot(t, ctx, "failed-text")
		t.Fatalf("%s says %q, want %q", sel, got, want)
	}
}

func login(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	run(t, ctx, "login "+user,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys("#f-login", user, chromedp.ByQuery),
		chromedp.SendKeys("#f-password", testPassword, chromedp.ByQuery),
		chromedp.Click(`form[action="/login"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`form[action="/login"]`, chromedp.ByQuery),
	)
}

// TestBrowserBuyerJourney: a buyer finds a product, adds two items from two makers to the cart,
// completes the demo payment and sees the paid order.
func TestBrowserBuyerJourney(t *testing.T) {
	s := startSite(t)
	prog := s.program("Kolkata Beads", "Kolkata")
	coord := s.coordinator(prog.ID, "coord@browser.test")
	tara := s.maker(prog.ID, coord, "tara", "Tara")
	mitali := s.maker(prog.ID, coord, "mitali", "Mitali")
	p1 := s.product(prog, tara, coord, "Brass jhumka earrings", "jewellery")
	p2 := s.product(prog, mitali, coord, "Terracotta bead necklace", "jewellery")
	ctx := browser(t, false)

	run(t, ctx, "home and search",
		chromedp.Navigate(s.base+"/"),
		chromedp.WaitVisible("#hq", chromedp.ByQuery),
		chromedp.SendKeys("#hq", "earrings", chromedp.ByQuery),
		chromedp.Submit("#hq", chromedp.ByQuery),
		chromedp.WaitVisible(`a[href="/products/`+p1.ID+`"]`, chromedp.ByQuery),
	)
	shot(t, ctx, "buyer-search")
	run(t, ctx, "open product and add to cart",
		chromedp.Click(`.card h3 a[href="/products/`+p1.ID+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".wage svg", chromedp.ByQuery),
	)
	wantText(t, ctx, "h1", "Brass jhumka earrings")
	wantText(t, ctx, ".legend", "Maker")
	shot(t, ctx, "buyer-product")
	run(t, ctx, "add first",
		chromedp.Click(`form[action="/cart"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
		chromedp.Navigate(s.base+"/makers/"+s.publicID(mitali.MakerID)),
		chromedp.WaitVisible(`a[href="/products/`+p2.ID+`"]`, chromedp.ByQuery),
		chromedp.Click(`.card h3 a[href="/products/`+p2.ID+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action="/cart"]`, chromedp.ByQuery),
		chromedp.Click(`form[action="/cart"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
		chromedp.Navigate(s.base+"/cart"),
		chromedp.WaitVisible(`form[action="/checkout"]`, chromedp.ByQuery),
	)
	wantText(t, ctx, "main", "Brass jhumka earrings")
	wantText(t, ctx, "main", "Terracotta bead necklace")
	run(t, ctx, "checkout",
		chromedp.SendKeys("#f-email", "buyer@example.org", chromedp.ByQuery),
		chromedp.SendKeys("#f-name", "Priya Buyer", chromedp.ByQuery),
		chromedp.SendKeys("#f-line1", "12 Park Street", chromedp.ByQuery),
		chromedp.SendKeys("#f-city", "Bengaluru", chromedp.ByQuery),
		chromedp.SendKeys("#f-postalCode", "560001", chromedp.ByQuery),
	)
	shot(t, ctx, "buyer-cart")
	run(t, ctx, "pay on the test page",
		chromedp.Click(`form[action="/checkout"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action^="/checkout/test/"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action^="/checkout/test/"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(".status", chromedp.ByQuery),
	)
	var loc string
	run(t, ctx, "location", chromedp.Location(&loc))
	if !strings.Contains(loc, "/orders/") {
		t.Fatalf("after paying the browser is at %s", loc)
	}
	wantText(t, ctx, "main", "Paid")
	wantText(t, ctx, "main", "Brass jhumka earrings")
	wantText(t, ctx, "main", "Terracotta bead necklace")
	shot(t, ctx, "buyer-order")
}

// TestBrowserMakerJourney: a maker logs in on a phone-sized screen, adds a product with a photo
// and sends it for review; a coordinator approves it and signs off a training milestone.
func TestBrowserMakerJourney(t *testing.T) {
	s := startSite(t)
	prog := s.program("Mumbai Tailoring", "Mumbai")
	coord := s.coordinator(prog.ID, "meera@browser.test")
	kavya := s.maker(prog.ID, coord, "kavya", "Kavya")
	ctx := context.Background()
	track, err := s.a.Training.CreateTrack(ctx, coord, prog.ID, training.TrackInput{Name: "Tailoring basics",
		Milestones: []training.MilestoneInput{{Title: "Straight seams"}, {Title: "Hemming"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.Training.Enroll(ctx, coord, track.ID, training.EnrollInput{MakerID: kavya.MakerID}); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "work.jpg")
	if err := os.WriteFile(photo, testJPEG(t, 1200, 900), 0o644); err != nil {
		t.Fatal(err)
	}

	phone := browser(t, true)
	login(t, phone, s.base, "kavya")
	var loc string
	run(t, phone, "home", chromedp.Location(&loc))
	if !strings.HasSuffix(loc, "/maker") {
		t.Fatalf("maker landed on %s", loc)
	}
	shot(t, phone, "maker-home")
	// Every button and link target on the maker's home is at least 48 px tall.
	var small []string
	run(t, phone, "touch targets", chromedp.Evaluate(`Array.from(document.querySelectorAll('main a.btn, main button, main .tile')).filter(e => e.getBoundingClientRect().height < 48).map(e => e.textContent.trim())`, &small))
	if len(small) > 0 {
		t.Fatalf("touch targets under 48px on the maker home: %q", small)
	}
	run(t, phone, "add product",
		chromedp.Click(`main a[href="/maker/products/new"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#f-photo", chromedp.ByQuery),
		chromedp.SetUploadFiles("#f-photo", []string{photo}, chromedp.ByQuery),
		chromedp.WaitVisible("#photo-preview", chromedp.ByQuery),
		chromedp.SendKeys("#f-title", "Kantha tote bag", chromedp.ByQuery),
		setValue("#f-category", "bags"),
		setValue("#f-hours", ""),
		chromedp.SendKeys("#f-hours", "3", chromedp.ByQuery),
		chromedp.SendKeys("#f-price", "1500", chromedp.ByQuery),
		setValue("#f-stock", ""),
		chromedp.SendKeys("#f-stock", "4", chromedp.ByQuery),
		chromedp.SendKeys("#f-description", "Quilted from old saris.", chromedp.ByQuery),
	)
	hint, _ := text(phone, "#fair-hint")
	if !strings.Contains(hint, "₹") {
		t.Fatalf("fair-price hint %q", hint)
	}
	shot(t, phone, "maker-add-product")
	run(t, phone, "submit",
		chromedp.Click(`button[name=action][value=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	wantText(t, phone, "main", "Waiting for review")
	shot(t, phone, "maker-product-submitted")
	ps, err := s.a.Catalog.MakerProducts(ctx, kavya, kavya.MakerID)
	if err != nil || len(ps) != 1 || ps[0].Status != catalog.StatusPendingReview || len(ps[0].Images) != 1 {
		t.Fatalf("stored products %+v, %v: want one with a photo, waiting for review", ps, err)
	}
	product := ps[0]

	desk := browser(t, false)
	login(t, desk, s.base, "meera@browser.test")
	wantText(t, desk, "main", "Listings to review")
	shot(t, desk, "coordinator-dashboard")
	run(t, desk, "review",
		chromedp.Navigate(s.base+"/coordinator/programs/"+prog.ID+"/review"),
		chromedp.Click(`a.big[href="/coordinator/products/`+product.ID+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action$="/approve"]`, chromedp.ByQuery),
	)
	shot(t, desk, "coordinator-review")
	run(t, desk, "approve",
		chromedp.Click(`form[action$="/approve"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	if p, err := s.a.Catalog.Product(ctx, coord, product.ID); err != nil || p.Status != catalog.StatusPublished {
		t.Fatalf("product after approval: %+v, %v", p.Status, err)
	}
	run(t, desk, "sign off",
		chromedp.Navigate(s.base+"/coordinator/makers/"+kavya.MakerID),
		// The first tap only opens the confirmation: a mis-tap on a phone signs nothing off.
		chromedp.WaitVisible(`details.confirm > summary`, chromedp.ByQuery),
		chromedp.Click(`details.confirm > summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action$="/milestones"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/milestones"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	wantText(t, desk, "#training ~ section", "1 of 2")
	shot(t, desk, "coordinator-maker")
	// Attendance: tick who came, save; the day's class then shows saved, ready to correct.
	run(t, desk, "attendance",
		chromedp.Navigate(s.base+"/coordinator/programs/"+prog.ID+"/training"),
		chromedp.WaitVisible(`form[action$="/attendance"] input[name="present"]`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/attendance"] input[name="present"]`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/attendance"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	wantText(t, desk, `form[action$="/attendance"]`, "Save the correction")
	shot(t, desk, "coordinator-attendance")
	eps, err := s.a.Training.MakerProgress(ctx, coord, kavya.MakerID)
	if err != nil || len(eps) != 1 || eps[0].Progress.Completed != 1 {
		t.Fatalf("training progress %+v, %v", eps, err)
	}
	// The product is in the shop now.
	run(t, phone, "shop", chromedp.Navigate(s.base+"/products/"+product.ID), chromedp.WaitVisible(".wage", chromedp.ByQuery))
	wantText(t, phone, "h1", "Kantha tote bag")
	// The maker reads her home in Hindi and Bengali.
	run(t, phone, "hindi home", chromedp.Navigate(s.base+"/maker?lang=hi"), chromedp.WaitVisible(`html[lang="hi"]`, chromedp.ByQuery))
	wantText(t, phone, "h1", "नमस्ते")
	wantText(t, phone, "main", "दुकान में")
	shot(t, phone, "maker-home-hindi")
	run(t, phone, "bengali form", chromedp.Navigate(s.base+"/maker/products/new?lang=bn"), chromedp.WaitVisible(`html[lang="bn"]`, chromedp.ByQuery))
	wantText(t, phone, "h1", "জিনিস যোগ করুন")
	shot(t, phone, "maker-add-product-bengali")
	// The admin's pages.
	admin := browser(t, false)
	login(t, admin, s.base, "admin@browser.test")
	wantText(t, admin, "main", "Mumbai Tailoring")
	shot(t, admin, "admin-home")
}

// TestBrowserLanguageSwitch: the switch shows Hindi and Bengali, remembers the choice, and says
// which language in <html lang>.
func TestBrowserLanguageSwitch(t *testing.T) {
	s := startSite(t)
	ctx := browser(t, true)
	var lang string
	run(t, ctx, "english", chromedp.Navigate(s.base+"/login"), chromedp.AttributeValue("html", "lang", &lang, nil, chromedp.ByQuery))
	if lang != "en" {
		t.Fatalf("lang %q", lang)
	}
	run(t, ctx, "hindi", chromedp.Click(`.langs a[lang="hi"]`, chromedp.ByQuery), chromedp.WaitVisible(`html[lang="hi"]`, chromedp.ByQuery))
	wantText(t, ctx, "h1", "लॉग इन")
	shot(t, ctx, "lang-hindi")
	run(t, ctx, "bengali", chromedp.Click(`.langs a[lang="bn"]`, chromedp.ByQuery), chromedp.WaitVisible(`html[lang="bn"]`, chromedp.ByQuery))
	wantText(t, ctx, "h1", "লগ ইন")
	shot(t, ctx, "lang-bengali")
	// Remembered on the next page without ?lang.
	run(t, ctx, "remembered", chromedp.Navigate(s.base+"/products"), chromedp.AttributeValue("html", "lang", &lang, nil, chromedp.ByQuery))
	if lang != "bn" {
		t.Fatalf("language not remembered: %q", lang)
	}
}

// TestBrowserMakerData: on a 390 px phone a maker opens "My data" from home and turns off the
// story consent with one tap; the public page stops showing the story at once.
func TestBrowserMakerData(t *testing.T) {
	s := startSite(t)
	prog := s.program("Kolkata Beads", "Kolkata")
	tara := s.maker(prog.ID, s.coordinator(prog.ID, "coord@browser.test"), "tara", "Tara")
	phone := browser(t, true)
	login(t, phone, s.base, "tara")
	story := `button[role=switch][aria-labelledby="c-story"]`
	run(t, phone, "open my data",
		chromedp.Click(`main a[href="/maker/data"]`, chromedp.ByQuery),
		chromedp.WaitVisible(story+`[aria-checked="true"]`, chromedp.ByQuery),
	)
	var small []string
	var overflow bool
	run(t, phone, "fits the phone",
		chromedp.Evaluate(`Array.from(document.querySelectorAll('main a.btn, main button')).filter(e => e.getBoundingClientRect().height < 48).map(e => e.textContent.trim())`, &small),
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
	)
	if len(small) > 0 || overflow {
		t.Fatalf("My data on a phone: targets under 48px %q, sideways scrolling %v", small, overflow)
	}
	shot(t, phone, "maker-data")
	run(t, phone, "story off",
		chromedp.Click(story, chromedp.ByQuery),
		chromedp.WaitVisible(story+`[aria-checked="false"]`, chromedp.ByQuery),
	)
	wantText(t, phone, ".flash", "Saved")
	shot(t, phone, "maker-data-story-off")
	if m, err := s.a.Programs.Registry().Maker(context.Background(), tara.MakerID); err != nil || m.Consent.Story.Granted {
		t.Fatalf("story consent after the switch: %+v, %v", m.Consent.Story, err)
	}
	var stories int
	run(t, phone, "public page",
		chromedp.Navigate(s.base+"/makers/"+s.publicID(tara.MakerID)),
		chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('.story').length`, &stories),
	)
	wantText(t, phone, "h1", "Tara")
	if stories != 0 {
		t.Fatal("the public page still shows the story")
	}
}

// phone360 is a small phone: 360 CSS pixels wide, the narrowest the pages are made for.
func phone360(t *testing.T) context.Context {
	t.Helper()
	ctx := browser(t, true)
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// fitsPhone fails if the page scrolls sideways or has a button or button-like link under 48 px.
func fitsPhone(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var small []string
	var overflow bool
	run(t, ctx, name+" fits",
		chromedp.Evaluate(`Array.from(document.querySelectorAll('main a.btn, main button:not([hidden]), main summary.btn, main .tabs a')).filter(e => e.getBoundingClientRect().height < 48).map(e => e.textContent.trim())`, &small),
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
	)
	if len(small) > 0 || overflow {
		shot(t, ctx, "failed-"+name)
		t.Fatalf("%s on a 360 px phone: targets under 48px %q, sideways scrolling %v", name, small, overflow)
	}
}

// TestBrowserOrderDesk: on 360 px phones, a buyer pays a cart from two workshops; the Kolkata
// coordinator opens her order desk, opens the packing slip and sends her package; the Mumbai
// package still waits on the Mumbai desk; the buyer's page shows one sent, one being prepared.
func TestBrowserOrderDesk(t *testing.T) {
	s := startSite(t)
	kol := s.program("Kolkata Beads", "Kolkata")
	mum := s.program("Mumbai Tailoring", "Mumbai")
	kc := s.coordinator(kol.ID, "rina@browser.test")
	mc := s.coordinator(mum.ID, "meera@browser.test")
	tara := s.maker(kol.ID, kc, "tara", "Tara")
	kavya := s.maker(mum.ID, mc, "kavya", "Kavya")
	p1 := s.product(kol, tara, kc, "Brass jhumka earrings", "jewellery")
	p2 := s.product(mum, kavya, mc, "Kantha tote bag", "bags")

	buyer := phone360(t)
	for _, p := range []catalog.Product{p1, p2} {
		run(t, buyer, "add "+p.Title,
			chromedp.Navigate(s.base+"/products/"+p.ID),
			chromedp.WaitVisible(`form[action="/cart"] button[type=submit]`, chromedp.ByQuery),
			chromedp.Click(`form[action="/cart"] button[type=submit]`, chromedp.ByQuery),
			chromedp.WaitVisible(".flash", chromedp.ByQuery),
		)
	}
	var orderURL string
	run(t, buyer, "checkout and pay",
		chromedp.Navigate(s.base+"/cart"),
		chromedp.WaitVisible(`form[action="/checkout"]`, chromedp.ByQuery),
		chromedp.SendKeys("#f-email", "priya@example.org", chromedp.ByQuery),
		chromedp.SendKeys("#f-name", "Priya Buyer", chromedp.ByQuery),
		chromedp.SendKeys("#f-line1", "12 Park Street", chromedp.ByQuery),
		chromedp.SendKeys("#f-city", "Bengaluru", chromedp.ByQuery),
		chromedp.SendKeys("#f-postalCode", "560001", chromedp.ByQuery),
		chromedp.Click(`form[action="/checkout"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action^="/checkout/test/"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action^="/checkout/test/"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(".packages", chromedp.ByQuery),
		chromedp.Location(&orderURL),
	)
	wantText(t, buyer, ".packages", "Package 1 of 2")
	wantText(t, buyer, ".packages", "Being prepared")
	shot(t, buyer, "desk-buyer-paid")

	desk := phone360(t)
	login(t, desk, s.base, "rina@browser.test")
	run(t, desk, "open the desk",
		chromedp.Navigate(s.base+"/coordinator/programs/"+kol.ID),
		chromedp.WaitVisible(`a.tile[href$="/desk"]`, chromedp.ByQuery),
		chromedp.Click(`a.tile[href$="/desk"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action$="/send"]`, chromedp.ByQuery),
	)
	wantText(t, desk, ".pkg", "Brass jhumka earrings")
	wantText(t, desk, ".pkg address", "12 Park Street")
	if got, _ := text(desk, "main"); strings.Contains(got, "Kantha tote bag") {
		t.Fatal("the Kolkata desk shows the Mumbai package")
	}
	fitsPhone(t, desk, "desk")
	shot(t, desk, "desk-kolkata-to-prepare")
	var printable bool
	run(t, desk, "packing slip",
		chromedp.Click(`a[href$="/slip"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".slip", chromedp.ByQuery),
		chromedp.Evaluate(`!document.querySelector('button[data-print]').hidden`, &printable),
	)
	wantText(t, desk, ".slip", "Package 1 of 2")
	wantText(t, desk, ".slip", "Tara")
	if got, _ := text(desk, ".slip"); strings.Contains(got, "₹") || strings.Contains(got, "Legal") {
		t.Fatalf("the packing slip shows a price or a legal name: %q", got)
	}
	if !printable {
		t.Fatal("the slip's Print button stayed hidden with JavaScript on")
	}
	fitsPhone(t, desk, "slip")
	shot(t, desk, "desk-packing-slip")
	run(t, desk, "send",
		chromedp.Click(`.slip-back`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action$="/send"]`, chromedp.ByQuery),
		chromedp.SendKeys(`form[action$="/send"] input[name=carrier]`, "India Post", chromedp.ByQuery),
		chromedp.SendKeys(`form[action$="/send"] input[name=trackingNumber]`, "EE123456789IN", chromedp.ByQuery),
		chromedp.Click(`form[action$="/send"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	wantText(t, desk, ".flash", "Package marked as sent")
	wantText(t, desk, "main", "Nothing to prepare")
	shot(t, desk, "desk-kolkata-after-sending")
	run(t, desk, "sent list", chromedp.Click(`.tabs a[href$="tab=sent"]`, chromedp.ByQuery), chromedp.WaitVisible(`form[action$="/refund"]`, chromedp.ByQuery))
	wantText(t, desk, ".pkg", "EE123456789IN")
	shot(t, desk, "desk-kolkata-sent")

	mdesk := phone360(t)
	login(t, mdesk, s.base, "meera@browser.test")
	run(t, mdesk, "mumbai desk", chromedp.Navigate(s.base+"/coordinator/programs/"+mum.ID+"/desk?lang=hi"), chromedp.WaitVisible(`form[action$="/send"]`, chromedp.ByQuery))
	wantText(t, mdesk, ".pkg", "Kantha tote bag")
	fitsPhone(t, mdesk, "mumbai desk")
	shot(t, mdesk, "desk-mumbai-hindi")

	maker := phone360(t)
	login(t, maker, s.base, "kavya")
	run(t, maker, "maker work", chromedp.Navigate(s.base+"/maker?lang=bn"), chromedp.WaitVisible(`.work`, chromedp.ByQuery))
	wantText(t, maker, ".work", "Kantha tote bag")
	fitsPhone(t, maker, "maker home")
	shot(t, maker, "desk-maker-work-bengali")

	run(t, buyer, "buyer's page", chromedp.Navigate(orderURL), chromedp.WaitVisible(".packages", chromedp.ByQuery))
	wantText(t, buyer, ".packages", "Sent on")
	wantText(t, buyer, ".packages", "EE123456789IN")
	wantText(t, buyer, ".packages", "Being prepared")
	fitsPhone(t, buyer, "order page")
	shot(t, buyer, "desk-buyer-one-sent")
}
