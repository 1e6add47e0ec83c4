package frontend

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/httpserver"
	"github.com/fairhands/marketplace/training"
)

// Withdrawing an enrolment and a maker's certificates: what the training service offers through
// the API (Withdraw, EnrollmentCertificate, SetCertificateName), on the coordinator's maker page
// and on the maker's own home.

// coordEnrollment loads the maker of the coordinator's page and her enrolment named in the path:
// another program's maker, or an enrolment that is not hers, is not found.
func (s *Site) coordEnrollment(c *gin.Context) (makerID string, e training.EnrollmentProgress, ok bool) {
	st := stateOf(c)
	m, _, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return "", e, false
	}
	pv, err := s.progress(c.Request.Context(), st.Actor, m.ID)
	if err != nil {
		s.fail(c, err)
		return "", e, false
	}
	if e, err = pv.enrollmentOf(c.Param("enrollment")); err != nil {
		s.fail(c, err)
		return "", e, false
	}
	return m.ID, e, true
}

// coordWithdraw ends an active enrolment early, with the reason (sealed in her record). Her
// steps done so far are kept.
func (s *Site) coordWithdraw(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	makerID, e, ok := s.coordEnrollment(c)
	if !ok {
		return
	}
	form := map[string]string{"reason": strings.TrimSpace(c.PostForm("reason"))}
	errs := map[string]string{}
	status := http.StatusBadRequest
	if form["reason"] == "" {
		errs["reason"] = l.T("ferr_required")
	} else {
		_, err := s.Training.Withdraw(c.Request.Context(), st.Actor, e.ID, training.WithdrawInput{Reason: form["reason"]})
		if err == nil {
			s.redirectFlash(c, "/coordinator/makers/"+makerID+"#training", "enrollment_withdrawn")
			return
		}
		fe, isFault := fault.As(err)
		if !isFault || fe.Kind == fault.NotFound || fe.Kind == fault.Internal || fe.Kind == fault.Unavailable {
			s.fail(c, err)
			return
		}
		status, _, _ = httpserver.Classify(err)
		if msg := fe.Fields["reason"]; msg != "" {
			errs["reason"] = trainingFieldMsg(l, msg)
		} else {
			// Stopped or finished already (a second tap): there is no form left to say it on.
			s.renderCoordMaker(c, status, func(d *coordMakerData) { d.Error = s.errText(l, err) })
			return
		}
	}
	s.renderCoordMaker(c, status, func(d *coordMakerData) {
		if d.Progress != nil {
			d.Progress.sendBack(formKey(e.ID, "withdraw"), errs, form)
		}
	})
}

// certPage is a certificate as its holder (or her coordinator) sees it, with the form that
// chooses the name printed on it.
type certPage struct {
	C training.CertificateDetail
	// Action is where the name form posts, Back the page it came from, View the certificate's
	// page and Print the printable certificate.
	Action, Back, View, Print string
	// Coord is set on the coordinator's copy: she changes the name only when the maker asked.
	Coord bool
	// Form and Errors are the name form's input and messages when it came back.
	Form, Errors map[string]string
}

// Checked reports whether choice is the one to show selected.
func (p certPage) Checked(choice string) bool {
	if v := p.Form["choice"]; v != "" {
		return v == choice
	}
	return (p.C.NameSource == training.NameChosen) == (choice == "chosen")
}

// ChosenName is the name in the "another name" box: what was typed, else the chosen one.
func (p certPage) ChosenName() string {
	if p.Form["choice"] != "" {
		return p.Form["name"]
	}
	if p.C.NameSource == training.NameChosen {
		return p.C.Name
	}
	return ""
}

// CertForm is the certificate's name form of a completed enrolment on the training section:
// the maker's own, or her coordinator's for her. Nil when there is no certificate.
func (p *progressView) CertForm(enrollmentID, makerID string, coord bool) *certPage {
	d := p.Cert(enrollmentID)
	if d == nil {
		return nil
	}
	c := certPage{C: *d, Action: "/maker/training/" + enrollmentID + "/certificate-name", Back: "/maker#training",
		View: "/maker/training/" + enrollmentID + "/certificate", Form: map[string]string{}, Errors: map[string]string{}}
	if coord {
		base := "/coordinator/makers/" + makerID + "/enrollments/" + enrollmentID
		c.Action, c.Back, c.View, c.Coord = base+"/certificate-name", "/coordinator/makers/"+makerID+"#training", base+"/certificate", true
	}
	c.Print = c.View + "?print=1"
	return &c
}

func (s *Site) makerCertificate(c *gin.Context) {
	id := c.Param("enrollment")
	s.certificate(c, certPage{Action: "/maker/training/" + id + "/certificate-name", Back: "/maker#training",
		Print: "/maker/training/" + id + "/certificate?print=1"})
}

func (s *Site) coordCertificate(c *gin.Context) {
	makerID, e, ok := s.coordEnrollment(c)
	if !ok {
		return
	}
	base := "/coordinator/makers/" + makerID + "/enrollments/" + e.ID
	s.certificate(c, certPage{Action: base + "/certificate-name", Back: "/coordinator/makers/" + makerID + "#training",
		Print: base + "/certificate?print=1", Coord: true})
}

// certificate shows an enrolment's certificate in the reader's language, or with ?print=1 the
// printable certificate (the one an employer is given) on its own page.
func (s *Site) certificate(c *gin.Context, p certPage) {
	st := stateOf(c)
	d, err := s.Training.EnrollmentCertificate(c.Request.Context(), st.Actor, c.Param("enrollment"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	if c.Query("print") == "1" {
		s.printCertificate(c, d)
		return
	}
	p.C = d
	s.renderCertificate(c, http.StatusOK, p)
}

func (s *Site) renderCertificate(c *gin.Context, status int, d certPage) {
	st := stateOf(c)
	if d.Form == nil {
		d.Form, d.Errors = map[string]string{}, map[string]string{}
	}
	p := s.page(c, st.L.T("cert_title"))
	p.Maker = !d.Coord
	p.D = d
	s.render(c, status, "training_certificate", p)
}

// printCertificate writes the training service's printable certificate; its one style block is
// allowed by a nonce of its own.
func (s *Site) printCertificate(c *gin.Context, d training.CertificateDetail) {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	var buf bytes.Buffer
	if err := training.WriteCertificateHTML(&buf, d, nonce); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	s.write(c, http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Site) makerCertificateName(c *gin.Context) {
	id := c.Param("enrollment")
	s.certificateName(c, certPage{Action: "/maker/training/" + id + "/certificate-name", Back: "/maker#training",
		Print: "/maker/training/" + id + "/certificate?print=1"})
}

func (s *Site) coordCertificateName(c *gin.Context) {
	makerID, e, ok := s.coordEnrollment(c)
	if !ok {
		return
	}
	base := "/coordinator/makers/" + makerID + "/enrollments/" + e.ID
	s.certificateName(c, certPage{Action: base + "/certificate-name", Back: "/coordinator/makers/" + makerID + "#training",
		Print: base + "/certificate?print=1", Coord: true})
}

// certificateName sets the name printed on a certificate: her shop name (the service's default,
// which is no name without her consent to a public profile) or another name she chooses. A
// coordinator does it only when the maker asked, and says so. A mistake comes back on the
// certificate's page, which holds the same form.
func (s *Site) certificateName(c *gin.Context, p certPage) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	id := c.Param("enrollment")
	form := map[string]string{"choice": c.PostForm("choice"), "name": strings.Join(strings.Fields(c.PostForm("name")), " "),
		"asked": c.PostForm("asked")}
	errs := map[string]string{}
	in := training.CertificateNameInput{}
	switch form["choice"] {
	case "chosen":
		if in.Name = form["name"]; in.Name == "" {
			errs["name"] = l.T("ferr_required")
		}
	case "default":
	default:
		errs["choice"] = l.T("ferr_required")
	}
	if p.Coord && form["asked"] != "yes" {
		errs["asked"] = l.T("cert_err_asked")
	}
	status := http.StatusBadRequest
	if len(errs) == 0 {
		_, err := s.Training.SetCertificateName(ctx, st.Actor, id, in)
		if err == nil {
			s.redirectFlash(c, p.Back, "cert_name_saved")
			return
		}
		fe, isFault := fault.As(err)
		if !isFault || fe.Kind != fault.Invalid || fe.Fields["name"] == "" {
			s.fail(c, err)
			return
		}
		if strings.HasPrefix(fe.Fields["name"], "may contain letters") {
			errs["name"] = l.T("cert_err_name_chars")
		} else {
			errs["name"] = trainingFieldMsg(l, fe.Fields["name"])
		}
	}
	d, err := s.Training.EnrollmentCertificate(ctx, st.Actor, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	p.C, p.Form, p.Errors = d, form, errs
	s.renderCertificate(c, status, p)
}
