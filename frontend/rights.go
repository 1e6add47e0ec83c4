package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// Survivors' data rights on the pages: a maker (or their coordinator, acting for them and
// recorded as such by the domain services) sees what is stored, switches each consent on or off,
// downloads everything as one JSON file and asks for erasure. The work is done by the same
// services the JSON API uses (programs.SetConsent, programs.Erase, and the app's export sources).

// consentView is one consent as a switch: what it shows, whether it is on now, until when.
type consentView struct {
	Key   string // the programs.ConsentInput field: publicProfile, story, workPhotos
	Label string // catalogue keys
	Help  string
	Icon  string
	On    bool
	Until time.Time
	// MakerWithdrew is set on the coordinator's page for a consent the maker turned off
	// herself: only she can turn it on again, or a coordinator noting her signed paper consent.
	MakerWithdrew bool
}

// consentViews lists a maker's consents as switches, in the order the pages show them. A consent
// past its expiry shows as off: it no longer shows anything.
func consentViews(m programs.Maker, now time.Time) []consentView {
	c := m.Consent
	return []consentView{
		{Key: "publicProfile", Label: "consent_public", Help: "rights_public_help", Icon: "person", On: c.PublicProfile.Active(now), Until: c.PublicProfile.ExpiresAt},
		{Key: "story", Label: "consent_story", Help: "rights_story_help", Icon: "story", On: c.Story.Active(now), Until: c.Story.ExpiresAt},
		{Key: "workPhotos", Label: "consent_photos", Help: "rights_photos_help", Icon: "camera", On: c.WorkPhotos.Active(now), Until: c.WorkPhotos.ExpiresAt},
	}
}

// coordConsentViews are the switches on a coordinator's maker page: those the maker turned off
// herself ask for her signed paper consent before they can be turned on.
func coordConsentViews(m programs.Maker, now time.Time) []consentView {
	vs := consentViews(m, now)
	for i, c := range []programs.Consent{m.Consent.PublicProfile, m.Consent.Story, m.Consent.WorkPhotos} {
		vs[i].MakerWithdrew = c.WithdrawnBy(m.ID)
	}
	return vs
}

// consentForm reads one switch's form: which consent, and the state it should take.
func consentForm(c *gin.Context) (programs.ConsentInput, error) {
	var on bool
	switch c.PostForm("on") {
	case "1":
		on = true
	case "0":
	default:
		return programs.ConsentInput{}, errBadForm
	}
	var in programs.ConsentInput
	switch c.PostForm("consent") {
	case "publicProfile":
		in.PublicProfile = &on
	case "story":
		in.Story = &on
	case "workPhotos":
		in.WorkPhotos = &on
	default:
		return programs.ConsentInput{}, errBadForm
	}
	in.PaperConsentNote = strings.TrimSpace(c.PostForm("paperConsentNote"))
	return in, nil
}

// dataSummary is what the "My data" page says is stored, section by section as in the export.
type dataSummary struct {
	DisplayName, Login, Program, City string
	HasLegalName, HasPhone, HasStory  bool
	Products, Photos                  int
	Progress                          *progressView
	Earned                            int64
	Currency                          string
	MoneyRecords                      int
}

// makerDataPage is the maker's "My data" page.
type makerDataPage struct {
	S        dataSummary
	Consents []consentView
}

// summarise reads, without opening any sealed field, what is stored about a maker. The legal
// name and phone are only said to be there: they show in the download, not on a screen someone
// may be looking over.
func (s *Site) summarise(ctx context.Context, actor accounts.Actor, m programs.Maker, prog programs.Program) (dataSummary, error) {
	d := dataSummary{DisplayName: m.DisplayName, Program: prog.Name, City: prog.City,
		HasLegalName: m.LegalNameSealed != "", HasPhone: m.PhoneSealed != "", HasStory: m.Story != ""}
	if u, err := s.Accounts.User(ctx, m.ID); err == nil {
		d.Login = u.Login
	}
	ps, err := s.Catalog.MakerProducts(ctx, actor, m.ID)
	if err != nil {
		return d, err
	}
	d.Products = len(ps)
	for _, p := range ps {
		d.Photos += len(p.Images)
	}
	if d.Progress, err = s.progress(ctx, actor, m.ID); err != nil {
		return d, err
	}
	e, err := s.Payments.Earnings(ctx, actor, m.ID)
	if err != nil && fault.KindOf(err) != fault.NotFound {
		return d, err
	}
	// Earned as on the maker's home: every wage credited, paid out or still coming.
	d.Earned, d.Currency, d.MoneyRecords = e.Balance.Pending+e.Balance.Transferred, e.Balance.Currency, len(e.Entries)
	return d, nil
}

// makerData is the maker's "My data" page: the consent switches, what is stored, the download
// and the way to erasure.
func (s *Site) makerData(c *gin.Context) {
	st := stateOf(c)
	m, prog, err := s.makerProgram(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	sum, err := s.summarise(c.Request.Context(), st.Actor, m, prog)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("rights_title"))
	p.Maker = true
	p.D = makerDataPage{S: sum, Consents: consentViews(m, s.now())}
	s.render(c, http.StatusOK, "maker_data", p)
}

// setConsent switches one consent for the maker, as actor (the maker, or a coordinator acting
// for them); the change shows on the public pages before this returns.
func (s *Site) setConsent(c *gin.Context, makerID, back string) {
	st := stateOf(c)
	in, err := consentForm(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.Programs.SetConsent(c.Request.Context(), st.Actor, makerID, in); err != nil {
		if fe, ok := fault.As(err); ok && fe.Fields["paperConsentNote"] != "" {
			// The form asks for the note; a browser that skipped it is told again, in her language.
			s.redirectFlash(c, back, "consent_paper_note_needed")
			return
		}
		s.fail(c, err)
		return
	}
	s.redirectFlash(c, back, "consent_saved")
}

func (s *Site) makerConsent(c *gin.Context) {
	s.setConsent(c, stateOf(c).User.MakerID, "/maker/data#consents")
}

func (s *Site) coordConsent(c *gin.Context) {
	id := c.Param("id")
	s.setConsent(c, id, "/coordinator/makers/"+id+"#consents")
}

// downloadExport sends the export as a file to save, never to be cached on a shared phone.
func (s *Site) downloadExport(c *gin.Context, makerID, filename string) {
	out, err := s.MakerData.Export(c.Request.Context(), stateOf(c).Actor, makerID)
	if err != nil {
		s.fail(c, err)
		return
	}
	body, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		s.fail(c, fmt.Errorf("encode export: %w", err))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	s.write(c, http.StatusOK, "application/json; charset=utf-8", body)
}

func (s *Site) makerExportDownload(c *gin.Context) {
	s.downloadExport(c, stateOf(c).User.MakerID, "my-data.json")
}

// coordExportDownload gives a coordinator the export of a maker of their program (programs'
// MakerPrivate answers not-found for anyone else, before anything is read or audited).
func (s *Site) coordExportDownload(c *gin.Context) {
	id := c.Param("id")
	s.downloadExport(c, id, "maker-"+id+"-data.json")
}

// eraseView is the erasure confirmation page: what will happen, and one box to tick.
type eraseView struct {
	Action, Back, Export string
	ForName              string // the maker's name when a coordinator acts for them
}

func (s *Site) renderErase(c *gin.Context, status int, v eraseView, p *Page) {
	st := stateOf(c)
	if p == nil {
		p = s.page(c, "")
	}
	if v.ForName == "" {
		p.Title, p.Maker = st.L.T("erase_title"), true
	} else {
		p.Title = st.L.T("erase_title_for", "Name", v.ForName)
	}
	p.D = v
	s.render(c, status, "data_erase", p)
}

// erase honours an erasure request once the box is ticked; done runs after it succeeded.
func (s *Site) erase(c *gin.Context, makerID string, v eraseView, done func()) {
	st := stateOf(c)
	p := s.page(c, "")
	if c.PostForm("understood") != "1" {
		p.Errors["understood"] = st.L.T("erase_need_tick")
		s.renderErase(c, http.StatusBadRequest, v, p)
		return
	}
	if err := s.Programs.Erase(c.Request.Context(), st.Actor, makerID, programs.EraseInput{Confirm: "ERASE"}); err != nil {
		s.fail(c, err)
		return
	}
	done()
}

// activeMaker is the signed-in maker's record and program; a retired record is not found.
func (s *Site) activeMaker(c *gin.Context) (programs.Maker, programs.Program, error) {
	m, prog, err := s.makerProgram(c)
	if err == nil && m.Status != "active" {
		err = programs.ErrMakerNotFound
	}
	return m, prog, err
}

var makerErase = eraseView{Action: "/maker/data/erase", Back: "/maker/data", Export: "/maker/data/export"}

func (s *Site) makerEraseConfirm(c *gin.Context) {
	if _, _, err := s.activeMaker(c); err != nil {
		s.fail(c, err)
		return
	}
	s.renderErase(c, http.StatusOK, makerErase, nil)
}

// makerEraseDo erases the maker's data. Their account is closed and every session ended, so the
// browser forgets its cookie and lands on the shop's home page with a last message.
func (s *Site) makerEraseDo(c *gin.Context) {
	if _, _, err := s.activeMaker(c); err != nil {
		s.fail(c, err)
		return
	}
	s.erase(c, stateOf(c).User.MakerID, makerErase, func() {
		s.clearSession(c)
		s.redirectFlash(c, "/", "data_erased")
	})
}

// coordEraseView loads a maker the coordinator may act for and describes their erasure page.
func (s *Site) coordEraseView(c *gin.Context) (programs.Maker, eraseView, error) {
	m, _, err := s.scopedMaker(c, c.Param("id"))
	if err == nil && m.Status != "active" {
		err = programs.ErrMakerNotFound
	}
	base := "/coordinator/makers/" + m.ID
	return m, eraseView{Action: base + "/erase", Back: base, Export: base + "/export", ForName: m.DisplayName}, err
}

func (s *Site) coordEraseConfirm(c *gin.Context) {
	_, v, err := s.coordEraseView(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderErase(c, http.StatusOK, v, nil)
}

func (s *Site) coordEraseDo(c *gin.Context) {
	m, v, err := s.coordEraseView(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.erase(c, m.ID, v, func() {
		s.redirectFlash(c, "/coordinator/programs/"+m.ProgramID, "maker_erased")
	})
}
