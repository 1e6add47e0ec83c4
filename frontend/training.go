package frontend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/httpserver"
	"github.com/fairhands/marketplace/money"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/training"
)

// progressView is a maker's training: milestones done out of all, and each enrolment.
type progressView struct {
	Done, Total int
	Enrollments []training.EnrollmentProgress
	// Certs holds each completed enrolment's certificate (the name on it and where it comes
	// from), by enrolment id.
	Certs map[string]training.CertificateDetail
	// Errors and Form are a sent-back form's messages and what was typed, by the form's key
	// (formKey) and field; the form with a message opens by itself.
	Errors map[string]map[string]string
	Form   map[string]map[string]string
}

// formKey names one form of the training section: an enrolment's milestone sign-off, its
// withdrawal ("withdraw") or its certificate's name ("name").
func formKey(enrollmentID, what string) string { return enrollmentID + "/" + what }

// Err is the message for field of the form key (enrolment id and what), "" when none.
func (p *progressView) Err(enrollmentID, what, field string) string {
	return p.Errors[formKey(enrollmentID, what)][field]
}

// Sent reports whether the form came back with a message, so it is shown open.
func (p *progressView) Sent(enrollmentID, what string) bool {
	return len(p.Errors[formKey(enrollmentID, what)]) > 0
}

// Typed is what was typed in field of a sent-back form.
func (p *progressView) Typed(enrollmentID, what, field string) string {
	return p.Form[formKey(enrollmentID, what)][field]
}

// Cert is the certificate of a completed enrolment, nil for others.
func (p *progressView) Cert(enrollmentID string) *training.CertificateDetail {
	if d, ok := p.Certs[enrollmentID]; ok {
		return &d
	}
	return nil
}

// sendBack puts a form's messages and input on the view.
func (p *progressView) sendBack(key string, errs, form map[string]string) {
	if p.Errors == nil {
		p.Errors, p.Form = map[string]map[string]string{}, map[string]map[string]string{}
	}
	p.Errors[key], p.Form[key] = errs, form
}

// enrollmentOf returns the maker's enrolment with id from the view, or ErrEnrollmentNotFound:
// a form on one maker's page never changes another maker's record.
func (p *progressView) enrollmentOf(id string) (training.EnrollmentProgress, error) {
	if p != nil {
		for _, e := range p.Enrollments {
			if e.ID == id {
				return e, nil
			}
		}
	}
	return training.EnrollmentProgress{}, training.ErrEnrollmentNotFound
}

// Pct is the share done, for the progress bar.
func (p progressView) Pct() int {
	if p.Total == 0 {
		return 0
	}
	return p.Done * 100 / p.Total
}

func (s *Site) progress(ctx context.Context, a accounts.Actor, makerID string) (*progressView, error) {
	eps, err := s.Training.MakerProgress(ctx, a, makerID)
	if err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return nil, nil
		}
		return nil, err
	}
	if len(eps) == 0 {
		return nil, nil
	}
	v := &progressView{Enrollments: eps, Certs: map[string]training.CertificateDetail{}}
	for _, e := range eps {
		if e.Certificate != nil {
			d, err := s.Training.EnrollmentCertificate(ctx, a, e.ID)
			if err != nil {
				return nil, err
			}
			v.Certs[e.ID] = d
		}
		if e.Status == training.StatusWithdrawn {
			continue
		}
		v.Done += e.Progress.Completed
		v.Total += e.Progress.Total
	}
	return v, nil
}

// followUpsDue counts the outcome checks owed now, for the dashboard.
func (s *Site) followUpsDue(ctx context.Context, a accounts.Actor, programID string) (int, error) {
	r, err := s.Training.ProgramReport(ctx, a, programID)
	if err != nil {
		return 0, err
	}
	return r.Summary.FollowUpsDue, nil
}

// coordMilestone signs off one milestone of a maker's enrolment, with a photo of the work when
// one is attached (a milestone that requires evidence needs one). The service's refusal is said
// next to the field it is about, on the same form, opened.
func (s *Site) coordMilestone(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	m, _, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, training.MaxEvidenceBytes+1<<20)
	if err := c.Request.ParseMultipartForm(4 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			s.fail(c, errBadForm)
			return
		}
		// Nothing of the form could be read, so the message goes at the top of the page.
		s.renderCoordMaker(c, http.StatusRequestEntityTooLarge, func(d *coordMakerData) { d.Error = l.T("err_image_too_large") })
		return
	}
	defer func() {
		if c.Request.MultipartForm != nil {
			_ = c.Request.MultipartForm.RemoveAll()
		}
	}()
	pv, err := s.progress(ctx, st.Actor, m.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	enr, err := pv.enrollmentOf(c.PostForm("enrollment"))
	if err != nil {
		s.fail(c, err)
		return
	}
	milestone := c.PostForm("milestone")
	form := map[string]string{"completedOn": strings.TrimSpace(c.PostForm("completedOn"))}
	in := training.SignOffInput{CompletedOn: form["completedOn"], Notes: strings.TrimSpace(c.PostForm("notes"))}
	if in.CompletedOn == "" {
		in.CompletedOn = s.now().Format("2006-01-02")
	}
	var photo io.Reader
	f, _, ferr := c.Request.FormFile("photo")
	if ferr == nil {
		defer f.Close()
		photo = f
	}
	_, err = s.Training.SignOff(ctx, st.Actor, enr.ID, milestone, in, photo)
	if err == nil {
		s.redirectFlash(c, "/coordinator/makers/"+m.ID+"#training", "milestone_signed")
		return
	}
	if k := fault.KindOf(err); k == fault.NotFound || k == fault.Internal || k == fault.Unavailable {
		s.fail(c, err)
		return
	}
	errs := signOffErrors(l, s.errText(l, err), err)
	if ferr == nil && errs["photo"] == "" {
		errs["photo"] = l.T("photo_choose_again")
	}
	status, _, _ := httpserver.Classify(err)
	s.renderCoordMaker(c, status, func(d *coordMakerData) {
		if d.Progress != nil {
			d.Progress.sendBack(formKey(enr.ID, milestone), errs, form)
		}
	})
}

// signOffErrors places a refused sign-off's message: the photo's own refusals (missing, too
// large, unreadable) next to the photo, a bad date next to the date, anything else on the form.
func signOffErrors(l *Loc, text string, err error) map[string]string {
	errs := map[string]string{}
	fe, _ := fault.As(err)
	if fe == nil {
		errs["_"] = text
		return errs
	}
	switch fe.Code {
	case "evidence_required":
		errs["photo"] = l.T("err_evidence_required")
	case "photo_too_large":
		errs["photo"] = l.T("err_image_too_large")
	case "photo_unsupported":
		errs["photo"] = l.T("err_unsupported_image")
	case "photo_unreadable":
		errs["photo"] = l.T("err_undecodable_image")
	default:
		if msg := fe.Fields["completedOn"]; msg != "" {
			errs["completedOn"] = trainingFieldMsg(l, msg)
		} else {
			errs["_"] = text
		}
	}
	return errs
}

// coordMilestoneUndo reverses a sign-off made by mistake, with the reason (kept in the record).
func (s *Site) coordMilestoneUndo(c *gin.Context) {
	st := stateOf(c)
	m, _, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	in := training.UndoInput{Reason: strings.TrimSpace(c.PostForm("reason"))}
	if _, err := s.Training.Undo(c.Request.Context(), st.Actor, c.PostForm("enrollment"), c.PostForm("milestone"), in); err != nil {
		if k := fault.KindOf(err); k == fault.NotFound || k == fault.Internal {
			s.fail(c, err)
			return
		}
		s.renderCoordMaker(c, http.StatusUnprocessableEntity, func(d *coordMakerData) { d.Error = s.errText(st.L, err) })
		return
	}
	s.redirectFlash(c, "/coordinator/makers/"+m.ID+"#training", "milestone_undone")
}

// trainingPage is the coordinator's training page: tracks with who is where, attendance in a few
// taps, and the follow-ups due.
type trainingPage struct {
	Program   any
	Report    training.Report
	Today     string
	Attention []training.ReportRow
	// Day is the date the attendance forms are for (today, or ?date= to correct an earlier
	// class); Saved holds each track's class of that day when it was saved already, and Recent
	// each track's last classes, to open one and correct it.
	Day    string
	Saved  map[string]*training.SessionView
	Recent map[string][]training.SessionView
	// Errors are the attendance form's messages, by track.
	Errors map[string]string
	// Due are the follow-ups owed now (due or overdue), each with its form; the tile counts them.
	Due []followUpForm
}

// followUpForm is one due follow-up with the form that records its outcome. Form and Errors
// hold what was typed and what to fix, on the form that was sent back.
type followUpForm struct {
	training.FollowUp
	Key, From, To, Date string
	Form, Errors        map[string]string
}

// outcomeStatuses and outcomeVerifications are the choices the outcome form offers, as the
// training service names them (training.OutcomeInput).
var (
	outcomeStatuses      = []string{"employed", "self_employed", "in_training", "seeking", "unknown"}
	outcomeVerifications = []string{training.VerifyClaimed, training.VerifyDocument, training.VerifyVisit}
)

// Statuses and Verifications list the outcome form's choices for the template.
func (followUpForm) Statuses() []string      { return outcomeStatuses }
func (followUpForm) Verifications() []string { return outcomeVerifications }

func followUpKey(enrollmentID string, months int) string {
	return enrollmentID + "-" + strconv.Itoa(months)
}

// Present reports whether maker was ticked in the saved class of track.
func (d trainingPage) Present(trackID, makerID string) bool {
	if x := d.Saved[trackID]; x != nil {
		return slices.Contains(x.Present, makerID)
	}
	return false
}

func (s *Site) coordTraining(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.Training.ProgramReport(c.Request.Context(), st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderTraining(c, prog, r, c.Query("date"), nil, http.StatusOK)
}

// renderTraining draws the training page with the attendance forms for day ("" is today);
// modify, when given, puts a sent-back form's messages on the page.
func (s *Site) renderTraining(c *gin.Context, prog programs.Program, r training.Report, day string, modify func(*trainingPage), status int) {
	st := stateOf(c)
	today := s.now().Format("2006-01-02")
	if _, err := time.Parse("2006-01-02", day); err != nil || day > today {
		day = today
	}
	d := trainingPage{Program: prog, Report: r, Today: today, Day: day,
		Saved: map[string]*training.SessionView{}, Recent: map[string][]training.SessionView{}}
	// Only the follow-ups owed now are listed, so the list and its tile always agree (the
	// report also lists upcoming and settled ones: listing those under a tile of 0 was the bug).
	for _, f := range r.FollowUps {
		if f.Status != training.FollowUpDue && f.Status != training.FollowUpOverdue {
			continue
		}
		from, to := f.Window()
		// The form offers today, or for an overdue one the window's last day (what she was
		// doing then), so the outcome settles this follow-up.
		last := min(to.String(), today)
		d.Due = append(d.Due, followUpForm{FollowUp: f, Key: followUpKey(f.EnrollmentID, f.Months), From: from.String(),
			To: last, Date: last, Form: map[string]string{}, Errors: map[string]string{}})
	}
	for _, t := range r.Tracks {
		for _, row := range t.Rows {
			if row.NeedsAttention {
				d.Attention = append(d.Attention, row)
			}
		}
		sessions, err := s.Training.Sessions(c.Request.Context(), st.Actor, t.TrackID)
		if err != nil {
			s.fail(c, err)
			return
		}
		for i := len(sessions) - 1; i >= 0 && len(d.Recent[t.TrackID]) < 5; i-- {
			d.Recent[t.TrackID] = append(d.Recent[t.TrackID], sessions[i])
		}
		for i := range sessions {
			if sessions[i].Date.Format("2006-01-02") == day {
				d.Saved[t.TrackID] = &sessions[i]
			}
		}
	}
	if modify != nil {
		modify(&d)
	}
	p := s.page(c, st.L.T("coord_training"))
	p.D = d
	s.render(c, status, "coord_training", p)
}

// coordOutcome records the outcome of a due follow-up (what she is doing, income, how it was
// checked, notes) and goes back to the training page, where that follow-up is no longer due. A
// bad entry comes back on that follow-up's own form, with what was typed.
func (s *Site) coordOutcome(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	m, prog, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	form := map[string]string{}
	for _, k := range []string{"enrollment", "months", "date", "status", "income", "verification", "notes"} {
		form[k] = strings.TrimSpace(c.PostForm(k))
	}
	months, _ := strconv.Atoi(form["months"])
	key := followUpKey(form["enrollment"], months)
	r, err := s.Training.ProgramReport(ctx, st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	var due *training.FollowUp
	for i, f := range r.FollowUps {
		if f.MakerID == m.ID && followUpKey(f.EnrollmentID, f.Months) == key {
			due = &r.FollowUps[i]
		}
	}
	switch {
	case due == nil || due.Status == training.FollowUpUpcoming:
		s.notFound(c)
		return
	case due.Status == training.FollowUpDone: // a second tap: it was recorded already
		s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/training", "outcome_saved")
		return
	}
	errs := map[string]string{}
	if form["status"] == "" { // said with the other fields' messages, not after them
		errs["status"] = l.T("ferr_required")
	}
	in := training.OutcomeInput{Date: form["date"], Status: form["status"], Notes: form["notes"], Verification: form["verification"]}
	if form["income"] != "" {
		if v, err := money.Parse(form["income"], prog.Currency); err == nil && v >= 0 {
			in.MonthlyIncome = &v
		} else {
			errs["income"] = l.T("err_money")
		}
	}
	from, to := due.Window()
	if in.Date == "" { // as the form offers it: today, or the window's last day when that is past
		in.Date = min(s.now().Format("2006-01-02"), to.String())
	}
	if in.Date < from.String() || in.Date > to.String() {
		if _, perr := time.Parse("2006-01-02", in.Date); perr != nil {
			errs["date"] = l.T("ferr_date")
		} else {
			errs["date"] = l.T("followup_err_window", "From", l.Date(from.Time), "To", l.Date(to.Time))
		}
	}
	if len(errs) == 0 {
		_, err = s.Training.RecordOutcome(ctx, st.Actor, m.ID, in)
		if err == nil {
			s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/training", "outcome_saved")
			return
		}
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Invalid || len(fe.Fields) == 0 {
			s.fail(c, err)
			return
		}
		for f, msg := range fe.Fields {
			if f == "monthlyIncome" {
				f = "income"
			}
			errs[f] = trainingFieldMsg(l, msg)
		}
	}
	s.renderTraining(c, prog, r, "", func(d *trainingPage) {
		for i := range d.Due {
			if d.Due[i].Key == key {
				d.Due[i].Form, d.Due[i].Errors = form, errs
				d.Due[i].Date = form["date"]
			}
		}
	}, http.StatusBadRequest)
}

// coordAttendance records a class: the track, the date, a topic, and a ticked box per person there.
func (s *Site) coordAttendance(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		s.fail(c, errBadForm)
		return
	}
	in := training.SessionInput{Date: strings.TrimSpace(c.PostForm("date")), Topic: strings.TrimSpace(c.PostForm("topic")),
		Present: c.PostFormArray("present")}
	if in.Present == nil {
		in.Present = []string{}
	}
	if in.Topic == "" {
		in.Topic = st.L.T("attendance_default_topic")
	}
	if _, err := s.Training.RecordSession(c.Request.Context(), st.Actor, c.PostForm("track"), in); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			// Shown on the track's own form, in the reader's language.
			r, rerr := s.Training.ProgramReport(c.Request.Context(), st.Actor, prog.ID)
			if rerr != nil {
				s.fail(c, rerr)
				return
			}
			msg := s.errText(st.L, err)
			if fe.Fields["present"] != "" {
				msg = st.L.T("attendance_nobody")
			}
			s.renderTraining(c, prog, r, in.Date, func(d *trainingPage) { d.Errors = map[string]string{c.PostForm("track"): msg} }, http.StatusBadRequest)
			return
		}
		s.fail(c, err)
		return
	}
	s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/training?date="+url.QueryEscape(in.Date), "attendance_saved")
}

func (s *Site) coordReports(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.Training.ProgramReport(c.Request.Context(), st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	sales, err := s.programSales(c.Request.Context(), st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("coord_reports"))
	p.D = map[string]any{"Program": prog, "Report": r, "Sales": sales}
	s.render(c, http.StatusOK, "coord_reports", p)
}

// coordReportCSV downloads a report as CSV (the export is audited by the domain).
func (s *Site) coordReportCSV(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	switch c.Param("kind") {
	case "training.csv":
		err = s.Training.ExportReport(c.Request.Context(), st.Actor, prog.ID, &buf)
	case "sales.csv":
		err = s.exportSales(c.Request.Context(), st.Actor, prog.ID, &buf)
	default:
		s.notFound(c)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	name := strings.ToLower(strings.ReplaceAll(prog.Name, " ", "-")) + "-" + strings.TrimSuffix(c.Param("kind"), ".csv") + "-" + s.now().Format("2006-01-02") + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+url.PathEscape(name)+`"`)
	c.Header("Cache-Control", "no-store")
	s.write(c, http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// certView is a checked certificate.
type certView struct {
	Found, Valid                       bool
	Track, Holder, Program, Date, Code string
}

func (s *Site) verify(c *gin.Context) {
	st := stateOf(c)
	code := strings.TrimSpace(c.Param("code"))
	p := s.page(c, st.L.T("verify_title"))
	p.Form["code"] = code
	cert, err := s.Training.VerifyCertificate(c.Request.Context(), code)
	status := http.StatusOK
	switch {
	case err == nil:
		track := cert.TrackName
		if cert.Qualification != "" {
			track += " (" + cert.Qualification + ")"
		}
		p.D = certView{Found: true, Valid: true, Track: track, Holder: cert.Name, Program: cert.ProgramName,
			Date: st.L.Date(cert.CompletedOn.Time), Code: cert.Code}
	case errors.Is(err, training.ErrCertificateNotFound) || fault.KindOf(err) == fault.NotFound || fault.KindOf(err) == fault.Invalid:
		p.D = certView{Code: code}
		status = http.StatusNotFound
	default:
		s.fail(c, err)
		return
	}
	c.Header("X-Robots-Tag", "noindex")
	s.render(c, status, "verify", p)
}
