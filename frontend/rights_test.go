package frontend_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/programs"
)

// rightsWorld is newShop's marketplace with its people signed in on the web: the first maker,
// their coordinator, and a coordinator of another program.
type rightsWorld struct {
	*shop
	maker, coord, stranger *web
	makerID, otherMakerID  string
	makerLogin             string
}

func newRightsWorld(t *testing.T) *rightsWorld {
	t.Helper()
	s := newShop(t)
	ctx := context.Background()
	w := &rightsWorld{shop: s, makerID: s.products[0].MakerID, otherMakerID: s.products[1].MakerID}
	mu, err := s.e.App.Accounts.User(ctx, w.makerID)
	if err != nil {
		t.Fatal(err)
	}
	cu, err := s.e.App.Accounts.User(ctx, s.coord.UserID)
	if err != nil {
		t.Fatal(err)
	}
	otherCoordID, _ := s.e.Coordinator(s.e.Program("Other Program"))
	ou, err := s.e.App.Accounts.User(ctx, otherCoordID)
	if err != nil {
		t.Fatal(err)
	}
	w.makerLogin = mu.Login
	w.maker, w.coord, w.stranger = newWeb(t, s.e), newWeb(t, s.e), newWeb(t, s.e)
	w.maker.login(mu.Login, apptest.Password)
	w.coord.login(cu.Email, apptest.Password)
	w.stranger.login(ou.Email, apptest.Password)
	return w
}

func (w *rightsWorld) stored(t *testing.T, id string) programs.Maker {
	t.Helper()
	m, err := w.e.App.Programs.Registry().Maker(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// trail returns the audit entries about a maker, newest first.
func (w *rightsWorld) trail(t *testing.T, id string) []audit.Entry {
	t.Helper()
	es, err := w.e.App.Audit.List(context.Background(), audit.Query{RecordID: id})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// entry returns the newest audit entry with action about a maker, failing if there is none.
func (w *rightsWorld) entry(t *testing.T, id, action string) audit.Entry {
	t.Helper()
	for _, e := range w.trail(t, id) {
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no %s in the audit trail of %s", action, id)
	return audit.Entry{}
}

// switchState reads a consent switch's state from a page ("true", "false", or "" when absent).
func switchState(body, consent string) string {
	i := strings.Index(body, `name="consent" value="`+consent+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	j := strings.Index(rest, `aria-checked="`)
	if j < 0 {
		return ""
	}
	rest = rest[j+len(`aria-checked="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// exportOf fetches a data export and checks that it arrives as a JSON file to save.
func exportOf(t *testing.T, w *web, path, filename string) map[string]any {
	t.Helper()
	p := w.get(path)
	must(t, p, http.StatusOK)
	if cd := p.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, `filename="`+filename+`"`) {
		t.Fatalf("%s: Content-Disposition %q, want an attachment named %s", path, cd, filename)
	}
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q", path, ct)
	}
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("%s: Cache-Control %q: a private export must not be cached", path, cc)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(p.Body), &out); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", path, err, p.Body)
	}
	return out
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestMakerDataPage: a maker finds "My data" from home, sees what is stored without the locked
// fields being shown, switches consents that change the public pages at once, and downloads the
// same export the API gives.
func TestMakerDataPage(t *testing.T) {
	w := newRightsWorld(t)
	ctx := context.Background()
	legal, err := w.e.App.Programs.MakerPrivate(ctx, w.shop.coord, w.makerID)
	if err != nil {
		t.Fatal(err)
	}

	must(t, w.maker.get("/maker"), http.StatusOK, `href="/maker/data"`, "My data")
	p := w.maker.get("/maker/data")
	must(t, p, http.StatusOK, "What buyers see", legal.DisplayName, w.makerLogin, "Saved, locked", "Kolkata Beads",
		"1 photo", `href="/maker/data/export"`, `href="/maker/data/erase"`)
	for _, c := range []string{"publicProfile", "story", "workPhotos"} {
		if got := switchState(p.Body, c); got != "true" {
			t.Fatalf("switch %s is %q, want on", c, got)
		}
	}
	// The locked fields are only said to be there: nobody looking over the phone reads them.
	if strings.Contains(p.Body, legal.LegalName) || strings.Contains(p.Body, legal.Phone) {
		t.Fatal("the page shows the legal name or phone")
	}
	must(t, w.maker.get("/maker/data?lang=hi"), http.StatusOK, "मेरी जानकारी", "चालू")
	must(t, w.maker.get("/maker/data?lang=bn"), http.StatusOK, "আমার তথ্য", "চালু")
	w.maker.get("/maker/data?lang=en")

	t.Run("consents change the public pages at once", func(t *testing.T) {
		anon := newWeb(t, w.e)
		publicPath := func() string { return "/makers/" + w.stored(t, w.makerID).PublicID }
		public := publicPath()
		must(t, anon.get("/makers/"+w.makerID), http.StatusNotFound) // the account id is private
		product := "/products/" + w.products[0].ID
		must(t, anon.get(public), http.StatusOK, legal.DisplayName, "I make things by hand.")
		must(t, anon.get(product), http.StatusOK, legal.DisplayName, `<img src="`)

		p := w.maker.post("/maker/data/consent", url.Values{"consent": {"story"}, "on": {"0"}})
		must(t, p, http.StatusOK, "Saved. The shop shows the change now.")
		if w.maker.url != "/maker/data" || switchState(p.Body, "story") != "false" || switchState(p.Body, "publicProfile") != "true" {
			t.Fatalf("after turning the story off: at %s, story %q, public %q", w.maker.url, switchState(p.Body, "story"), switchState(p.Body, "publicProfile"))
		}
		pub := anon.get(public)
		must(t, pub, http.StatusOK, legal.DisplayName)
		if strings.Contains(pub.Body, "I make things by hand.") {
			t.Fatal("the story is still public after the maker withdrew consent")
		}

		p = w.maker.post("/maker/data/consent", url.Values{"consent": {"publicProfile"}, "on": {"0"}})
		must(t, p, http.StatusOK)
		// The page she was named on is gone at once; her products link to a new, nameless one.
		must(t, anon.get(public), http.StatusNotFound)
		named, public := public, publicPath()
		if public == named {
			t.Fatal("withdrawing the public profile kept the public id")
		}
		must(t, anon.get(product), http.StatusOK, `href="`+public+`"`)
		for _, path := range []string{public, product} {
			pg := anon.get(path)
			must(t, pg, http.StatusOK, "A maker")
			if strings.Contains(pg.Body, legal.DisplayName) {
				t.Fatalf("%s still shows the maker's name after consent was withdrawn", path)
			}
		}
		p = w.maker.post("/maker/data/consent", url.Values{"consent": {"workPhotos"}, "on": {"0"}})
		must(t, p, http.StatusOK)
		if pg := anon.get(product); strings.Contains(pg.Body, `<img src="`) {
			t.Fatal("the product still shows photos of the maker's work after consent was withdrawn")
		}

		// Switched back on, the name shows again, with a new three-year consent.
		p = w.maker.post("/maker/data/consent", url.Values{"consent": {"publicProfile"}, "on": {"1"}})
		must(t, p, http.StatusOK, "On until")
		for _, old := range []string{named, public} {
			must(t, anon.get(old), http.StatusNotFound)
		}
		public = publicPath()
		must(t, anon.get(public), http.StatusOK, legal.DisplayName)
		m := w.stored(t, w.makerID)
		if !m.Consent.PublicProfile.Granted || m.Consent.PublicProfile.CapturedBy != w.makerID || m.Consent.Story.Granted || m.Consent.WorkPhotos.Granted {
			t.Fatalf("stored consents %+v", m.Consent)
		}
		if e := w.entry(t, w.makerID, "consent.change"); e.ActorID != w.makerID || e.Detail != "publicProfile=true" {
			t.Fatalf("consent change audited as %+v", e)
		}

		// A form no switch sends, and a cross-site post, change nothing.
		must(t, w.maker.post("/maker/data/consent", url.Values{"consent": {"legalName"}, "on": {"0"}}), http.StatusBadRequest)
		must(t, w.maker.post("/maker/data/consent", url.Values{"consent": {"story"}, "on": {"yes"}}), http.StatusBadRequest)
		req, _ := http.NewRequest("POST", w.e.Server.URL+"/maker/data/consent", strings.NewReader("consent=publicProfile&on=0"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if p := w.maker.do(req); p.Status != http.StatusForbidden {
			t.Fatalf("cross-site consent post: status %d, want 403", p.Status)
		}
		if !w.stored(t, w.makerID).Consent.PublicProfile.Granted {
			t.Fatal("a refused post changed a consent")
		}
	})

	t.Run("export is a JSON file with everything, like the API's", func(t *testing.T) {
		out := exportOf(t, w.maker, "/maker/data/export", "my-data.json")
		profile, _ := out["profile"].(map[string]any)
		if profile["id"] != w.makerID || profile["legalName"] != legal.LegalName || profile["phone"] != legal.Phone {
			t.Fatalf("export profile %v", profile)
		}
		products, _ := out["products"].([]any)
		if len(products) != 1 || !strings.Contains(func() string { b, _ := json.Marshal(products); return string(b) }(), w.products[0].Title) {
			t.Fatalf("export products %v", products)
		}
		trail, _ := out["whoLookedAtMyRecord"].([]any)
		if len(trail) == 0 {
			t.Fatal("export lacks who looked at the record")
		}
		e := w.entry(t, w.makerID, "maker.export")
		if e.ActorID != w.makerID || e.ActorRole != "maker" {
			t.Fatalf("export audited as %+v", e)
		}
		// The same parts as the JSON API's export, with the same contents: every source the app
		// lists for the export is in both (the trail and the time differ by the export itself).
		api := w.e.Must(http.StatusOK, "GET", "/api/v1/makers/"+w.makerID+"/export", w.e.Login(w.makerLogin, apptest.Password), nil)
		if got, want := keysOf(out), keysOf(api.JSON); !slices.Equal(got, want) {
			t.Fatalf("web export has %v, the API's has %v", got, want)
		}
		parts := w.e.App.API.MakerData.Parts()
		if len(parts) < 2 {
			t.Fatal("the app lists no export sources")
		}
		for _, name := range parts {
			web, _ := json.Marshal(out[name])
			fromAPI, _ := json.Marshal(api.JSON[name])
			if _, ok := out[name]; !ok || string(web) != string(fromAPI) {
				t.Fatalf("export part %q differs:\nweb %s\nAPI %s", name, web, fromAPI)
			}
		}
		// An id in the address does not choose another maker: the page only ever exports its reader.
		out = exportOf(t, w.maker, "/maker/data/export?id="+w.otherMakerID, "my-data.json")
		if profile, _ := out["profile"].(map[string]any); profile["id"] != w.makerID {
			t.Fatalf("export for another maker: %v", profile["id"])
		}
	})

	t.Run("a maker cannot reach another maker's data", func(t *testing.T) {
		other := "/coordinator/makers/" + w.otherMakerID
		must(t, w.maker.get(other+"/export"), http.StatusNotFound)
		must(t, w.maker.get(other+"/erase"), http.StatusNotFound)
		must(t, w.maker.post(other+"/consent", url.Values{"consent": {"publicProfile"}, "on": {"0"}}), http.StatusNotFound)
		must(t, w.maker.post(other+"/erase", url.Values{"understood": {"1"}}), http.StatusNotFound)
		m := w.stored(t, w.otherMakerID)
		if m.Status != "active" || !m.Consent.PublicProfile.Granted {
			t.Fatalf("the other maker changed: %+v", m)
		}
		if p := w.maker.get("/maker/data"); strings.Contains(p.Body, m.DisplayName) {
			t.Fatal("a maker's data page names another maker")
		}
	})

	t.Run("anonymous visitors are sent to log in", func(t *testing.T) {
		anon := newWeb(t, w.e)
		for _, path := range []string{"/maker/data", "/maker/data/export", "/maker/data/erase", "/coordinator/makers/" + w.makerID + "/export"} {
			p := anon.get(path)
			must(t, p, http.StatusOK, `action="/login"`)
			if want := "/login?next=" + url.QueryEscape(path); p.URL != want {
				t.Fatalf("%s: anonymous visitor at %s, want %s", path, p.URL, want)
			}
		}
		p := anon.post("/maker/data/erase", url.Values{"understood": {"1"}})
		if !strings.HasPrefix(p.URL, "/login?next=") {
			t.Fatalf("anonymous erase post ended at %s", p.URL)
		}
		if w.stored(t, w.makerID).Status != "active" {
			t.Fatal("an anonymous post erased a maker")
		}
	})

	t.Run("erasure explains, asks to confirm, then erases", func(t *testing.T) {
		p := w.maker.get("/maker/data/erase")
		must(t, p, http.StatusOK, "Erase my data?", "cannot be undone", "Real name, phone and story: deleted.",
			"“Former maker”", "Money records: kept, with no name.", `name="understood"`, `href="/maker/data/export"`)
		// Without the tick nothing happens.
		p = w.maker.post("/maker/data/erase", url.Values{})
		must(t, p, http.StatusBadRequest, "Tick the box", `aria-invalid="true"`)
		if w.stored(t, w.makerID).Status != "active" {
			t.Fatal("erased without confirmation")
		}
		before := w.stored(t, w.makerID).PublicID
		p = w.maker.post("/maker/data/erase", url.Values{"understood": {"1"}})
		must(t, p, http.StatusOK, "Your data is erased.")
		if w.maker.url != "/" {
			t.Fatalf("after erasure the maker is at %s", w.maker.url)
		}
		m := w.stored(t, w.makerID)
		if m.Status != "retired" || m.DisplayName != programs.RetiredName || m.LegalNameSealed != "" || m.PhoneSealed != "" || m.Story != "" ||
			m.Consent.PublicProfile.Granted || m.Consent.Story.Granted || m.Consent.WorkPhotos.Granted {
			t.Fatalf("maker after erasure: %+v", m)
		}
		if e := w.entry(t, w.makerID, "maker.erase"); e.ActorID != w.makerID {
			t.Fatalf("erasure audited as %+v", e)
		}
		anon := newWeb(t, w.e)
		must(t, anon.get("/makers/"+before), http.StatusNotFound)
		must(t, anon.get("/makers/"+m.PublicID), http.StatusNotFound)
		if p := anon.get("/products/" + w.products[0].ID); p.Status == http.StatusOK {
			t.Fatal("the erased maker's product is still in the shop")
		}
		// The session is over and the login closed.
		if p := w.maker.get("/maker/data"); !strings.HasPrefix(p.URL, "/login") {
			t.Fatalf("after erasure /maker/data ended at %s", p.URL)
		}
		if p := newWeb(t, w.e).post("/login", url.Values{"login": {w.makerLogin}, "password": {apptest.Password}}); p.Status == http.StatusOK && !strings.HasPrefix(p.URL, "/login") {
			t.Fatalf("the erased maker could log in again: at %s", p.URL)
		}
	})
}

// TestCoordinatorActsOnMakerData: a coordinator switches a maker's consent, downloads the export
// and erases the maker's data, each recorded as done by the coordinator for the maker; a
// coordinator of another program finds none of it.
func TestCoordinatorActsOnMakerData(t *testing.T) {
	w := newRightsWorld(t)
	base := "/coordinator/makers/" + w.makerID

	t.Run("a coordinator of another program gets 404", func(t *testing.T) {
		must(t, w.stranger.get(base), http.StatusNotFound)
		must(t, w.stranger.get(base+"/export"), http.StatusNotFound)
		must(t, w.stranger.get(base+"/erase"), http.StatusNotFound)
		must(t, w.stranger.post(base+"/consent", url.Values{"consent": {"story"}, "on": {"0"}}), http.StatusNotFound)
		must(t, w.stranger.post(base+"/erase", url.Values{"understood": {"1"}}), http.StatusNotFound)
		must(t, w.stranger.get("/coordinator/makers/no-such-maker/export"), http.StatusNotFound)
		m := w.stored(t, w.makerID)
		if m.Status != "active" || !m.Consent.Story.Granted {
			t.Fatalf("another program's coordinator changed the maker: %+v", m)
		}
		for _, e := range w.trail(t, w.makerID) {
			if e.Action == "maker.export" || e.Action == "maker.read_private" {
				t.Fatalf("a refused request left %s in the trail", e.Action)
			}
		}
	})

	t.Run("a consent she withdrew herself is hers to give again, or on her signed paper consent", func(t *testing.T) {
		must(t, w.maker.post("/maker/data/consent", url.Values{"consent": {"workPhotos"}, "on": {"0"}}), http.StatusOK)
		for lang, text := range map[string]string{"en": "She turned this off herself.", "hi": "उन्होंने इसे खुद बंद किया था।", "bn": "তিনি নিজেই এটি বন্ধ করেছিলেন।"} {
			must(t, w.coord.get(base+"?lang="+lang), http.StatusOK, text, `name="paperConsentNote"`)
		}
		w.coord.get(base + "?lang=en")
		p := w.coord.post(base+"/consent", url.Values{"consent": {"workPhotos"}, "on": {"1"}})
		must(t, p, http.StatusOK, "write down where her signed paper consent form is kept")
		if w.stored(t, w.makerID).Consent.WorkPhotos.Granted {
			t.Fatal("a coordinator turned on a consent the maker withdrew herself, without her paper consent")
		}
		p = w.coord.post(base+"/consent", url.Values{"consent": {"workPhotos"}, "on": {"1"}, "paperConsentNote": {"Signed form, office file 12"}})
		must(t, p, http.StatusOK, "Saved.")
		if c := w.stored(t, w.makerID).Consent.WorkPhotos; !c.Granted || c.PaperNote != "Signed form, office file 12" || c.CapturedBy != w.shop.coord.UserID {
			t.Fatalf("consent given on paper: %+v", c)
		}
		if strings.Contains(p.Body, "She turned this off herself.") {
			t.Fatal("the page still asks for a paper consent after it was recorded")
		}
	})

	t.Run("consent switched for the maker, recorded as the coordinator", func(t *testing.T) {
		p := w.coord.get(base)
		must(t, p, http.StatusOK, `action="`+base+`/consent"`, `href="`+base+`/export"`, `href="`+base+`/erase"`)
		if switchState(p.Body, "story") != "true" {
			t.Fatalf("story switch %q", switchState(p.Body, "story"))
		}
		p = w.coord.post(base+"/consent", url.Values{"consent": {"story"}, "on": {"0"}})
		must(t, p, http.StatusOK, "Saved.")
		if w.coord.url != base || switchState(p.Body, "story") != "false" {
			t.Fatalf("after the switch: at %s, story %q", w.coord.url, switchState(p.Body, "story"))
		}
		if pub := newWeb(t, w.e).get("/makers/" + w.stored(t, w.makerID).PublicID); strings.Contains(pub.Body, "I make things by hand.") {
			t.Fatal("the story is still public")
		}
		m := w.stored(t, w.makerID)
		if m.Consent.Story.Granted || m.Consent.Story.CapturedBy != w.shop.coord.UserID {
			t.Fatalf("stored story consent %+v", m.Consent.Story)
		}
		e := w.entry(t, w.makerID, "consent.change")
		if e.ActorID != w.shop.coord.UserID || e.ActorRole != "coordinator" || e.ForMakerID != w.makerID || e.Detail != "story=false" {
			t.Fatalf("consent change audited as %+v", e)
		}
	})

	t.Run("export for the maker, recorded as the coordinator", func(t *testing.T) {
		out := exportOf(t, w.coord, base+"/export", "maker-"+w.makerID+"-data.json")
		if profile, _ := out["profile"].(map[string]any); profile["id"] != w.makerID || profile["legalName"] == "" {
			t.Fatalf("export profile %v", profile)
		}
		e := w.entry(t, w.makerID, "maker.export")
		if e.ActorID != w.shop.coord.UserID || e.ActorRole != "coordinator" || e.ForMakerID != w.makerID {
			t.Fatalf("export audited as %+v", e)
		}
	})

	t.Run("erasure for the maker, recorded as the coordinator", func(t *testing.T) {
		name := w.stored(t, w.makerID).DisplayName
		must(t, w.coord.get(base+"/erase"), http.StatusOK, "Erase "+name+"&#39;s data?", "asked for this", `action="`+base+`/erase"`)
		must(t, w.coord.post(base+"/erase", url.Values{"understood": {""}}), http.StatusBadRequest, "Tick the box")
		p := w.coord.post(base+"/erase", url.Values{"understood": {"1"}})
		must(t, p, http.StatusOK, "The maker&#39;s data is erased.")
		if w.coord.url != "/coordinator/programs/"+w.programID {
			t.Fatalf("after erasure the coordinator is at %s", w.coord.url)
		}
		if strings.Contains(p.Body, name) {
			t.Fatal("the dashboard still lists the erased maker")
		}
		m := w.stored(t, w.makerID)
		if m.Status != "retired" || m.DisplayName != programs.RetiredName || m.LegalNameSealed != "" {
			t.Fatalf("maker after erasure %+v", m)
		}
		e := w.entry(t, w.makerID, "maker.erase")
		if e.ActorID != w.shop.coord.UserID || e.ActorRole != "coordinator" || e.ForMakerID != w.makerID {
			t.Fatalf("erasure audited as %+v", e)
		}
		// The maker's page says so and offers nothing more to do.
		p = w.coord.get(base)
		must(t, p, http.StatusOK, "This maker&#39;s data was erased.")
		if strings.Contains(p.Body, base+"/consent") || strings.Contains(p.Body, base+"/erase") {
			t.Fatal("an erased maker's page still offers consent switches or erasure")
		}
		must(t, w.coord.get(base+"/erase"), http.StatusNotFound)
		must(t, w.coord.post(base+"/consent", url.Values{"consent": {"story"}, "on": {"1"}}), http.StatusNotFound)
		// The maker's session ended with the erasure.
		if p := w.maker.get("/maker/data"); !strings.HasPrefix(p.URL, "/login") {
			t.Fatalf("the erased maker's session still opens /maker/data (at %s)", p.URL)
		}
	})
}
