package training

import (
	"context"
	"sort"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/programs"
)

// Report is a program's training at a glance: per track and per maker where people are, how
// often they come, who needs attention; follow-ups due after completion; and what people are
// doing now, with what they earned through the marketplace beside it. It carries no notes.
type Report struct {
	ProgramID   string        `json:"programId"`
	ProgramName string        `json:"programName"`
	Currency    string        `json:"currency"`
	GeneratedAt time.Time     `json:"generatedAt"`
	Summary     Summary       `json:"summary"`
	Tracks      []TrackReport `json:"tracks"`
	FollowUps   []FollowUp    `json:"followUps"`
	Makers      []MakerReport `json:"makers"`
	// IncomeKnown is false when marketplace income could not be included (no payments wired).
	IncomeKnown bool `json:"incomeKnown"`
}

// Summary counts enrolments across the program.
type Summary struct {
	Enrolled       int `json:"enrolled"`
	Active         int `json:"active"`
	Completed      int `json:"completed"`
	Withdrawn      int `json:"withdrawn"`
	NeedsAttention int `json:"needsAttention"`
	FollowUpsDue   int `json:"followUpsDue"`
}

// TrackReport is one track with a row per enrolment.
type TrackReport struct {
	TrackID       string      `json:"trackId"`
	Name          string      `json:"name"`
	Qualification string      `json:"qualification,omitempty"`
	Version       int         `json:"version"`
	Milestones    int         `json:"milestones"`
	Sessions      int         `json:"sessions"`
	Summary       Summary     `json:"summary"`
	Rows          []ReportRow `json:"makers"`
}

// ReportRow is one maker's enrolment in a track.
type ReportRow struct {
	EnrollmentID     string   `json:"enrollmentId"`
	MakerID          string   `json:"makerId"`
	DisplayName      string   `json:"displayName"`
	Status           string   `json:"status"`
	TrackVersion     int      `json:"trackVersion"`
	Progress         Progress `json:"progress"`
	AttendanceRate   *float64 `json:"attendanceRate"`
	SessionsAttended int      `json:"sessionsAttended"`
	SessionsHeld     int      `json:"sessionsHeld"`
	LastActivity     Day      `json:"lastActivity"`
	NeedsAttention   bool     `json:"needsAttention"`
	EnrolledOn       Day      `json:"enrolledOn"`
	CompletedOn      Day      `json:"completedOn"`
	WithdrawnOn      Day      `json:"withdrawnOn"`
}

// Follow-up states.
const (
	FollowUpUpcoming = "upcoming" // more than a month away
	FollowUpDue      = "due"      // within a month either side of the due date
	FollowUpOverdue  = "overdue"  // over a month late and no outcome recorded
	FollowUpDone     = "done"     // an outcome was recorded in its window
)

// followUpWindow is how far either side of a due date an outcome counts for that follow-up.
const followUpWindow = 30 * 24 * time.Hour

// FollowUp is an outcome check owed at 3, 6 or 12 months after a completion.
type FollowUp struct {
	MakerID           string       `json:"makerId"`
	DisplayName       string       `json:"displayName"`
	EnrollmentID      string       `json:"enrollmentId"`
	TrackName         string       `json:"trackName"`
	CompletedOn       Day          `json:"completedOn"`
	Months            int          `json:"months"`
	Due               Day          `json:"due"`
	Status            string       `json:"status"`
	Outcome           *OutcomeView `json:"outcome,omitempty"`
	MarketplaceIncome *int64       `json:"marketplaceIncome,omitempty"`
}

// Window is the first and last day an outcome may be dated to settle this follow-up.
func (f FollowUp) Window() (from, to Day) {
	return DayOf(f.Due.Add(-followUpWindow)), DayOf(f.Due.Add(followUpWindow))
}

// MakerReport is a maker's latest outcome beside their marketplace income.
type MakerReport struct {
	MakerID           string       `json:"makerId"`
	DisplayName       string       `json:"displayName"`
	Status            string       `json:"status"`
	Enrollments       int          `json:"enrollments"`
	Completed         int          `json:"completed"`
	LatestOutcome     *OutcomeView `json:"latestOutcome,omitempty"`
	MarketplaceIncome *int64       `json:"marketplaceIncome,omitempty"`
}

// ProgramReport builds the report of a program for its coordinators; the read is audited.
func (s *Service) ProgramReport(ctx context.Context, actor accounts.Actor, programID string) (Report, error) {
	p, err := s.program(ctx, actor, programID)
	if err != nil {
		return Report{}, err
	}
	r, err := s.buildReport(ctx, p)
	if err != nil {
		return Report{}, err
	}
	if err := s.audit.Record(ctx, actor, "training.report", "program", programID, programID, ""); err != nil {
		return Report{}, err
	}
	return r, nil
}

func (s *Service) buildReport(ctx context.Context, p programs.Program) (Report, error) {
	now := s.now()
	tracks, err := s.store.Tracks(ctx, p.ID)
	if err != nil {
		return Report{}, err
	}
	enrolments, err := s.store.Enrollments(ctx, EnrollmentsQuery{ProgramID: p.ID})
	if err != nil {
		return Report{}, err
	}
	sessions, err := s.store.Sessions(ctx, p.ID, "")
	if err != nil {
		return Report{}, err
	}
	outcomes, err := s.store.Outcomes(ctx, p.ID, "")
	if err != nil {
		return Report{}, err
	}
	makers, err := s.programs.Makers(ctx, []string{p.ID})
	if err != nil {
		return Report{}, err
	}
	names := map[string]string{}
	makerIDs := make([]string, 0, len(makers))
	for _, m := range makers {
		names[m.ID] = m.DisplayName
		makerIDs = append(makerIDs, m.ID)
	}
	var income map[string]int64
	if income, err = s.earnings.EarnedByMaker(ctx, makerIDs); err != nil {
		return Report{}, err
	}
	incomeOf := func(makerID string) *int64 {
		if income == nil {
			return nil
		}
		v := income[makerID]
		return &v
	}
	byMakerOutcomes := map[string][]Outcome{} // by date ascending
	for _, o := range outcomes {
		byMakerOutcomes[o.MakerID] = append(byMakerOutcomes[o.MakerID], o)
	}
	sessionsByTrack := map[string][]Session{}
	for _, x := range sessions {
		sessionsByTrack[x.TrackID] = append(sessionsByTrack[x.TrackID], x)
	}
	byTrack := map[string][]Enrollment{}
	for _, e := range enrolments {
		byTrack[e.TrackID] = append(byTrack[e.TrackID], e)
	}

	r := Report{ProgramID: p.ID, ProgramName: p.Name, Currency: p.Currency, GeneratedAt: now,
		Tracks: []TrackReport{}, FollowUps: []FollowUp{}, Makers: []MakerReport{}, IncomeKnown: income != nil}
	perMaker := map[string]*MakerReport{}
	for _, m := range makers {
		mr := &MakerReport{MakerID: m.ID, DisplayName: m.DisplayName, Status: m.Status, MarketplaceIncome: incomeOf(m.ID)}
		if os := byMakerOutcomes[m.ID]; len(os) > 0 {
			v := os[len(os)-1].view("")
			mr.LatestOutcome = &v
		}
		perMaker[m.ID] = mr
	}
	for _, t := range tracks {
		cur := t.Current()
		tr := TrackReport{TrackID: t.ID, Name: cur.Name, Qualification: cur.Qualification, Version: t.Version,
			Milestones: len(cur.Milestones), Sessions: len(sessionsByTrack[t.ID]), Rows: []ReportRow{}}
		for _, e := range byTrack[t.ID] {
			ep, err := s.buildProgress(e, t, sessionsByTrack[t.ID], false)
			if err != nil {
				return Report{}, err
			}
			tr.Rows = append(tr.Rows, ReportRow{EnrollmentID: e.ID, MakerID: e.MakerID, DisplayName: names[e.MakerID],
				Status: e.Status, TrackVersion: e.TrackVersion, Progress: ep.Progress, AttendanceRate: ep.AttendanceRate,
				SessionsAttended: ep.SessionsAttended, SessionsHeld: ep.SessionsHeld, LastActivity: ep.LastActivity,
				NeedsAttention: ep.NeedsAttention, EnrolledOn: ep.EnrolledOn, CompletedOn: ep.CompletedOn, WithdrawnOn: ep.WithdrawnOn})
			tr.Summary.count(e.Status, ep.NeedsAttention)
			r.Summary.count(e.Status, ep.NeedsAttention)
			if mr := perMaker[e.MakerID]; mr != nil {
				mr.Enrollments++
				if e.Status == StatusCompleted {
					mr.Completed++
				}
			}
			if e.Status == StatusCompleted {
				for _, f := range followUps(e, ep.TrackName, byMakerOutcomes[e.MakerID], now) {
					f.DisplayName, f.MarketplaceIncome = names[e.MakerID], incomeOf(e.MakerID)
					if f.Status == FollowUpDue || f.Status == FollowUpOverdue {
						r.Summary.FollowUpsDue++
					}
					r.FollowUps = append(r.FollowUps, f)
				}
			}
		}
		// Who needs attention first, then the furthest behind.
		sort.SliceStable(tr.Rows, func(i, j int) bool {
			a, b := tr.Rows[i], tr.Rows[j]
			if a.NeedsAttention != b.NeedsAttention {
				return a.NeedsAttention
			}
			if (a.Status == StatusActive) != (b.Status == StatusActive) {
				return a.Status == StatusActive
			}
			return a.Progress.Percent < b.Progress.Percent
		})
		r.Tracks = append(r.Tracks, tr)
	}
	sort.SliceStable(r.FollowUps, func(i, j int) bool { return r.FollowUps[i].Due.Before(r.FollowUps[j].Due.Time) })
	for _, m := range makers {
		r.Makers = append(r.Makers, *perMaker[m.ID])
	}
	return r, nil
}

func (sm *Summary) count(status string, attention bool) {
	sm.Enrolled++
	switch status {
	case StatusActive:
		sm.Active++
	case StatusCompleted:
		sm.Completed++
	case StatusWithdrawn:
		sm.Withdrawn++
	}
	if attention {
		sm.NeedsAttention++
	}
}

// followUps lists the 3-, 6- and 12-month follow-ups of a completed enrolment. An outcome dated
// within a month either side of a due date settles that follow-up.
func followUps(e Enrollment, trackName string, outcomes []Outcome, now time.Time) []FollowUp {
	out := make([]FollowUp, 0, len(FollowUpMonths))
	for _, months := range FollowUpMonths {
		due := e.CompletedOn.AddDate(0, months, 0)
		f := FollowUp{MakerID: e.MakerID, EnrollmentID: e.ID, TrackName: trackName, CompletedOn: DayOf(e.CompletedOn),
			Months: months, Due: DayOf(due)}
		for i := len(outcomes) - 1; i >= 0; i-- {
			o := outcomes[i]
			if !o.Date.Before(due.Add(-followUpWindow)) && !o.Date.After(due.Add(followUpWindow)) {
				v := o.view("")
				f.Outcome = &v
				break
			}
		}
		switch {
		case f.Outcome != nil:
			f.Status = FollowUpDone
		case now.Before(due.Add(-followUpWindow)):
			f.Status = FollowUpUpcoming
		case now.After(due.Add(followUpWindow)):
			f.Status = FollowUpOverdue
		default:
			f.Status = FollowUpDue
		}
		out = append(out, f)
	}
	return out
}

// Completions counts completed enrolments per program id, for the public impact page (which
// must show small counts as "fewer than 11").
func (s *Service) Completions(ctx context.Context) (map[string]int, error) {
	return s.store.CompletionsByProgram(ctx)
}
