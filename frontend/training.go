package frontend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/training"
)

// progressView is a maker's training: milestones done out of all, and each enrolment.
type progressView struct {
	Done, Total int
	Enrollments []training.EnrollmentProgress
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
	v := &progressView{Enrollments: eps}
	for _, e := range eps {
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

// coordMilestone signs off one milestone of a maker's enrolment (a photo may come with it when
// the milestone needs evidence).
func (s *Site) coordMilestone(c *gin.Context) {
	st := stateOf(c)
	ctx := c.Request.Context()
	m, _, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 11<<20)
	in := training.SignOffInput{CompletedOn: strings.TrimSpace(c.PostForm("completedOn")), Notes: strings.TrimSpace(c.PostForm("notes"))}
	if in.CompletedOn == "" {
		in.CompletedOn = s.now().Format("2006-01-02")
	}
	var photo io.Reader
	if f, _, err := c.Request.FormFile("photo"); err == nil {
		defer f.Close()
		photo = f
	}
	if _, err := s.Training.SignOff(ctx, st.Actor, c.PostForm("enrollment"), c.PostForm("milestone"), in, photo); err != nil {
		if k := fault.KindOf(err); k == fault.NotFound || k == fault.Internal {
			s.fail(c, err)
			return
		}
		s.renderCoordMaker(c, http.StatusUnprocessableEntity, func(d *coordMakerData) { d.Error = s.errText(st.L, err) })
		return
	}
	s.redirectFlash(c, "/coordinator/makers/"+m.ID+"#training", "milestone_signed")
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

// renderTraining draws the training page with the attendance forms for day ("" is today).
func (s *Site) renderTraining(c *gin.Context, prog programs.Program, r training.Report, day string, errs map[string]string, status int) {
	st := stateOf(c)
	today := s.now().Format("2006-01-02")
	if _, err := time.Parse("2006-01-02", day); err != nil || day > today {
		day = today
	}
	d := trainingPage{Program: prog, Report: r, Today: today, Day: day, Errors: errs,
		Saved: map[string]*training.SessionView{}, Recent: map[string][]training.SessionView{}}
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
	p := s.page(c, st.L.T("coord_training"))
	p.D = d
	s.render(c, status, "coord_training", p)
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
			s.renderTraining(c, prog, r, in.Date, map[string]string{c.PostForm("track"): msg}, http.StatusBadRequest)
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
