package frontend

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/training"
)

// blankMilestoneRows is how many empty milestone rows the track form offers for new steps (the
// form works without JavaScript, so new rows are there already; save and more appear).
const blankMilestoneRows = 3

// milestoneRow is one row of the track form: an existing milestone (ID set) or a new one.
type milestoneRow struct {
	ID, Title, Description, Hours, Order string
	Evidence, Remove                     bool
	// Errors are this row's messages, by field (title, hours, id).
	Errors map[string]string
}

// trackForm is the page that creates or edits a track.
type trackForm struct {
	Program programs.Program
	// Track is the track being edited; nil on the new-track form.
	Track *training.TrackView
	Rows  []milestoneRow
}

// Action is where the form posts.
func (d trackForm) Action() string {
	if d.Track != nil {
		return "/coordinator/tracks/" + d.Track.ID
	}
	return "/coordinator/programs/" + d.Program.ID + "/tracks"
}

// coordTrackNew shows the form for a new track.
func (s *Site) coordTrackNew(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("track_new_title"))
	s.renderTrackForm(c, http.StatusOK, p, trackForm{Program: prog})
}

// coordTrackEdit shows a track's form filled in with its current version.
func (s *Site) coordTrackEdit(c *gin.Context) {
	t, prog, err := s.scopedTrack(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, t.Name)
	p.Form["name"], p.Form["description"], p.Form["qualification"] = t.Name, t.Description, t.Qualification
	d := trackForm{Program: prog, Track: &t}
	for i, m := range t.Milestones {
		r := milestoneRow{ID: m.ID, Title: m.Title, Description: m.Description, Evidence: m.RequiresEvidence, Order: strconv.Itoa(i + 1)}
		if m.Hours > 0 {
			r.Hours = strconv.FormatFloat(m.Hours, 'f', -1, 64)
		}
		d.Rows = append(d.Rows, r)
	}
	s.renderTrackForm(c, http.StatusOK, p, d)
}

// scopedTrack loads the track of the path's :id at its current version, with its program; a
// track of a program the actor does not coordinate is not found.
func (s *Site) scopedTrack(c *gin.Context) (training.TrackView, programs.Program, error) {
	st := stateOf(c)
	t, err := s.Training.Track(c.Request.Context(), st.Actor, c.Param("id"), 0)
	if err != nil {
		return training.TrackView{}, programs.Program{}, err
	}
	prog, err := s.program(c, t.ProgramID)
	if err != nil {
		return training.TrackView{}, programs.Program{}, err
	}
	return t, prog, nil
}

// renderTrackForm adds the blank rows for new milestones and draws the form.
func (s *Site) renderTrackForm(c *gin.Context, status int, p *Page, d trackForm) {
	for range blankMilestoneRows {
		d.Rows = append(d.Rows, milestoneRow{})
	}
	p.D = d
	s.render(c, status, "coord_track", p)
}

// readTrackForm reads the track form: the track's fields into p.Form and the milestone rows,
// then the milestones to save in their new order (removed and blank rows left out). rowOf maps
// each milestone's index to its row, so the service's messages land on the right row.
func readTrackForm(c *gin.Context, l *Loc, p *Page) (rows []milestoneRow, ms []training.MilestoneInput, rowOf []int) {
	for _, k := range []string{"name", "description", "qualification"} {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	n, _ := strconv.Atoi(c.PostForm("rows"))
	n = min(max(n, 0), 60+blankMilestoneRows)
	type kept struct {
		order, row int
	}
	var keep []kept
	for i := range n {
		k := strconv.Itoa(i)
		r := milestoneRow{ID: strings.TrimSpace(c.PostForm("id_" + k)), Title: strings.TrimSpace(c.PostForm("title_" + k)),
			Description: strings.TrimSpace(c.PostForm("desc_" + k)), Hours: strings.TrimSpace(c.PostForm("hours_" + k)),
			Order: strings.TrimSpace(c.PostForm("order_" + k)), Evidence: c.PostForm("evidence_"+k) != "",
			Remove: c.PostForm("remove_"+k) != "", Errors: map[string]string{}}
		if r.ID == "" && r.Title == "" && r.Hours == "" && r.Description == "" || r.Remove {
			if r.ID != "" {
				rows = append(rows, r) // a removed step stays on the form, ticked, if the save fails
			}
			continue
		}
		order, err := strconv.Atoi(r.Order)
		if r.Order == "" {
			order = 1000 + i // new rows without a number go last, in the order written
		} else if err != nil || order < 1 {
			r.Errors["order"] = l.T("err_whole_number")
		}
		if r.Hours != "" {
			if h, err := strconv.ParseFloat(strings.ReplaceAll(r.Hours, ",", "."), 64); err != nil || h <= 0 {
				r.Errors["hours"] = l.T("track_err_hours")
			}
		}
		rows = append(rows, r)
		keep = append(keep, kept{order: order, row: len(rows) - 1})
	}
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].order < keep[j].order })
	for _, k := range keep {
		r := rows[k.row]
		in := training.MilestoneInput{ID: r.ID, Title: r.Title, Description: r.Description, RequiresEvidence: r.Evidence}
		if h, err := strconv.ParseFloat(strings.ReplaceAll(r.Hours, ",", "."), 64); err == nil && h > 0 {
			in.Hours = &h
		}
		ms = append(ms, in)
		rowOf = append(rowOf, k.row)
	}
	return rows, ms, rowOf
}

// milestoneFieldRE reads a service message's field name such as "milestones[2].title".
var milestoneFieldRE = regexp.MustCompile(`^milestones\[(\d+)\]\.(\w+)$`)

// trackErrors puts the service's messages next to their fields: the track's own in p.Errors,
// each milestone's on its row; it reports whether every message found a place.
func trackErrors(l *Loc, p *Page, rows []milestoneRow, rowOf []int, err error) bool {
	fe, ok := fault.As(err)
	if !ok || len(fe.Fields) == 0 {
		return false
	}
	for f, msg := range fe.Fields {
		msg = trainingFieldMsg(l, msg)
		if m := milestoneFieldRE.FindStringSubmatch(f); m != nil {
			if i, _ := strconv.Atoi(m[1]); i < len(rowOf) {
				rows[rowOf[i]].Errors[m[2]] = msg
				continue
			}
		}
		if f == "milestones" {
			msg = l.T("track_err_milestones")
		}
		p.Errors[f] = msg
	}
	p.Errors["_"] = l.T("error_fix_fields")
	return true
}

// rowErrors reports whether any row has a message of the form's own checks.
func rowErrors(rows []milestoneRow) bool {
	for _, r := range rows {
		if len(r.Errors) > 0 {
			return true
		}
	}
	return false
}

// coordTrackCreate saves a new track and opens the program's training page.
func (s *Site) coordTrackCreate(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, l.T("track_new_title"))
	rows, ms, rowOf := readTrackForm(c, l, p)
	d := trackForm{Program: prog, Rows: rows}
	if rowErrors(rows) {
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderTrackForm(c, http.StatusBadRequest, p, d)
		return
	}
	if ms == nil {
		ms = []training.MilestoneInput{} // "add at least one step", said next to the steps
	}
	in := training.TrackInput{Name: p.Form["name"], Description: p.Form["description"], Qualification: p.Form["qualification"], Milestones: ms}
	if _, err := s.Training.CreateTrack(c.Request.Context(), st.Actor, prog.ID, in); err != nil {
		if !trackErrors(l, p, rows, rowOf, err) {
			s.fail(c, err)
			return
		}
		s.renderTrackForm(c, http.StatusBadRequest, p, d)
		return
	}
	s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/training", "track_saved")
}

// coordTrackUpdate saves an edit as the track's next version (people enrolled keep theirs);
// only what changed is sent, and a form saved unchanged makes no new version.
func (s *Site) coordTrackUpdate(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	t, prog, err := s.scopedTrack(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, t.Name)
	rows, ms, rowOf := readTrackForm(c, l, p)
	d := trackForm{Program: prog, Track: &t, Rows: rows}
	if p.Form["name"] == "" {
		p.Errors["name"] = l.T("ferr_required") // an edit may leave a field out, but not empty the name
	}
	if rowErrors(rows) || p.Errors["name"] != "" {
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderTrackForm(c, http.StatusBadRequest, p, d)
		return
	}
	var in training.TrackEdit
	changed := func(now, was string) *string {
		if now == was {
			return nil
		}
		return &now
	}
	in.Name, in.Description = changed(p.Form["name"], t.Name), changed(p.Form["description"], t.Description)
	in.Qualification = changed(p.Form["qualification"], t.Qualification)
	if ms == nil {
		ms = []training.MilestoneInput{}
	}
	if !sameMilestones(ms, t.Milestones) {
		in.Milestones = ms
	}
	if in.Name == nil && in.Description == nil && in.Qualification == nil && in.Milestones == nil {
		s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/training", "track_saved")
		return
	}
	if _, err := s.Training.EditTrack(c.Request.Context(), st.Actor, t.ID, in); err != nil {
		if !trackErrors(l, p, rows, rowOf, err) {
			s.fail(c, err)
			return
		}
		s.renderTrackForm(c, http.StatusBadRequest, p, d)
		return
	}
	s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/training", "track_saved")
}

// sameMilestones reports whether the form's milestones are the track's, unchanged and in order.
func sameMilestones(in []training.MilestoneInput, cur []training.Milestone) bool {
	if len(in) != len(cur) {
		return false
	}
	for i, m := range in {
		c := cur[i]
		h := 0.0
		if m.Hours != nil {
			h = *m.Hours
		}
		if m.ID != c.ID || m.Title != c.Title || m.Description != c.Description || m.RequiresEvidence != c.RequiresEvidence || h != c.Hours {
			return false
		}
	}
	return true
}

// enrolPage is the form that puts a maker on one of her program's tracks.
type enrolPage struct {
	Maker   programs.Maker
	Program programs.Program
	Tracks  []training.TrackView
	Today   string
}

// coordEnrolForm shows the tracks a maker can be enrolled in, with a start date.
func (s *Site) coordEnrolForm(c *gin.Context) {
	m, prog, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	p.Form["enrolledOn"] = s.now().Format("2006-01-02")
	s.renderEnrol(c, http.StatusOK, p, m, prog)
}

func (s *Site) renderEnrol(c *gin.Context, status int, p *Page, m programs.Maker, prog programs.Program) {
	st := stateOf(c)
	tracks, err := s.Training.Tracks(c.Request.Context(), st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Title = st.L.T("enrol_title", "Name", m.DisplayName)
	p.D = enrolPage{Maker: m, Program: prog, Tracks: tracks, Today: s.now().Format("2006-01-02")}
	s.render(c, status, "coord_enrol", p)
}

// coordEnrol enrols the maker; a bad date or a track she is already on is said next to its field.
func (s *Site) coordEnrol(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	m, prog, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	p.Form["track"], p.Form["enrolledOn"] = strings.TrimSpace(c.PostForm("track")), strings.TrimSpace(c.PostForm("enrolledOn"))
	if p.Form["track"] == "" {
		p.Errors["track"] = l.T("ferr_required")
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderEnrol(c, http.StatusBadRequest, p, m, prog)
		return
	}
	_, err = s.Training.Enroll(c.Request.Context(), st.Actor, p.Form["track"], training.EnrollInput{MakerID: m.ID, EnrolledOn: p.Form["enrolledOn"]})
	switch fe, _ := fault.As(err); {
	case err == nil:
		s.redirectFlash(c, "/coordinator/makers/"+m.ID+"#training", "enrolled")
	case fe != nil && fe.Code == training.ErrAlreadyEnrolled.Code:
		p.Errors["track"] = l.T("err_already_enrolled")
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderEnrol(c, http.StatusConflict, p, m, prog)
	case fe != nil && fe.Kind == fault.Invalid && len(fe.Fields) > 0:
		for f, msg := range fe.Fields {
			p.Errors[f] = trainingFieldMsg(l, msg)
		}
		p.Errors["_"] = l.T("error_fix_fields")
		s.renderEnrol(c, http.StatusBadRequest, p, m, prog)
	default:
		s.fail(c, err)
	}
}

// trainingFieldMsg says a training form's field message in the reader's language: the dates
// the training service checks, then the messages every form shares.
func trainingFieldMsg(l *Loc, msg string) string {
	switch {
	case strings.HasPrefix(msg, "must be a date like"):
		return l.T("ferr_date")
	case msg == "cannot be in the future":
		return l.T("ferr_future")
	case strings.HasPrefix(msg, "must be after the year"):
		return l.T("ferr_date")
	case strings.HasPrefix(msg, "must have at least"):
		return l.T("track_err_milestones")
	case strings.HasPrefix(msg, "may contain only letters, digits"):
		return l.T("track_err_qualification")
	}
	return translateFieldMsg(l, msg)
}
