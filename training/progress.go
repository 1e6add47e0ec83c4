package training

import (
	"context"
	"time"
)

// EvidencePath is where an evidence photo is fetched (by its id), for the maker and coordinators.
const EvidencePath = "/api/v1/evidence/"

// EnrollmentProgress is one enrolment as the maker and their coordinators see it: where they
// are, what was signed off by whom, how often they came, and whether they need attention.
type EnrollmentProgress struct {
	ID               string              `json:"id"`
	TrackID          string              `json:"trackId"`
	TrackName        string              `json:"trackName"`
	TrackVersion     int                 `json:"trackVersion"`
	Qualification    string              `json:"qualification,omitempty"`
	ProgramID        string              `json:"programId"`
	MakerID          string              `json:"makerId"`
	Status           string              `json:"status"`
	EnrolledOn       Day                 `json:"enrolledOn"`
	CompletedOn      Day                 `json:"completedOn"`
	WithdrawnOn      Day                 `json:"withdrawnOn"`
	Progress         Progress            `json:"progress"`
	Milestones       []MilestoneProgress `json:"milestones"`
	AttendanceRate   *float64            `json:"attendanceRate"`
	SessionsAttended int                 `json:"sessionsAttended"`
	SessionsHeld     int                 `json:"sessionsHeld"`
	LastActivity     Day                 `json:"lastActivity"`
	NeedsAttention   bool                `json:"needsAttention"`
	Certificate      *CertificateLink    `json:"certificate,omitempty"`
	// WithdrawReason and History are filled only for reads that include notes.
	WithdrawReason string         `json:"withdrawReason,omitempty"`
	History        []HistoryEntry `json:"history,omitempty"`
}

// MilestoneProgress is one milestone of the enrolled version and whether it is done.
type MilestoneProgress struct {
	ID               string  `json:"id"`
	Title            string  `json:"title"`
	Description      string  `json:"description,omitempty"`
	RequiresEvidence bool    `json:"requiresEvidence"`
	Hours            float64 `json:"hours,omitempty"`
	Done             bool    `json:"done"`
	CompletedOn      Day     `json:"completedOn"`
	SignedOffBy      *string `json:"signedOffBy"`
	SignedOffByName  string  `json:"signedOffByName,omitempty"`
	Score            *int    `json:"score,omitempty"`
	Notes            string  `json:"notes,omitempty"`
	EvidenceID       string  `json:"evidenceId,omitempty"`
	EvidenceURL      string  `json:"evidenceUrl,omitempty"`
}

// HistoryEntry is one event of an enrolment's history, with its reason opened.
type HistoryEntry struct {
	At          time.Time `json:"at"`
	By          string    `json:"by"`
	Action      string    `json:"action"`
	MilestoneID string    `json:"milestoneId,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	CompletedOn Day       `json:"completedOn"`
	Certificate string    `json:"certificate,omitempty"`
}

// CertificateLink points at an enrolment's certificate.
type CertificateLink struct {
	Code      string `json:"code"`
	VerifyURL string `json:"verifyUrl"`
}

// progressOf loads what an enrolment's view needs (its track and sessions) and builds it.
func (s *Service) progressOf(ctx context.Context, e Enrollment, withNotes bool) (EnrollmentProgress, error) {
	t, err := s.store.Track(ctx, e.TrackID)
	if err != nil {
		return EnrollmentProgress{}, err
	}
	return s.progressWith(ctx, e, t, withNotes)
}

// progressWith is progressOf for a caller that has the track already.
func (s *Service) progressWith(ctx context.Context, e Enrollment, t Track, withNotes bool) (EnrollmentProgress, error) {
	sessions, err := s.store.Sessions(ctx, "", e.TrackID)
	if err != nil {
		return EnrollmentProgress{}, err
	}
	return s.buildProgress(e, t, sessions, withNotes)
}

// buildProgress assembles an enrolment's view from loaded records; notes are opened only when
// withNotes is set (the caller has audited the read).
func (s *Service) buildProgress(e Enrollment, t Track, sessions []Session, withNotes bool) (EnrollmentProgress, error) {
	v, _ := t.At(e.TrackVersion)
	attended, held, lastSession := attendance(sessions, e.ID)
	last := latest(e.EnrolledOn, e.lastMilestoneDay(), lastSession)
	p := EnrollmentProgress{ID: e.ID, TrackID: e.TrackID, TrackName: v.Name, TrackVersion: e.TrackVersion,
		Qualification: v.Qualification, ProgramID: e.ProgramID, MakerID: e.MakerID, Status: e.Status,
		EnrolledOn: DayOf(e.EnrolledOn), CompletedOn: DayOf(e.CompletedOn), WithdrawnOn: DayOf(e.WithdrawnOn),
		Progress: e.progress(v), Milestones: make([]MilestoneProgress, 0, len(v.Milestones)),
		AttendanceRate: rate(attended, held), SessionsAttended: attended, SessionsHeld: held,
		LastActivity: DayOf(last), NeedsAttention: needsAttention(e, last, s.now())}
	for _, m := range v.Milestones {
		mp := MilestoneProgress{ID: m.ID, Title: m.Title, Description: m.Description,
			RequiresEvidence: m.RequiresEvidence, Hours: m.Hours}
		if c, ok := e.Milestones[m.ID]; ok {
			by := c.SignedOffBy
			mp.Done, mp.CompletedOn, mp.SignedOffBy, mp.SignedOffByName, mp.Score = true, DayOf(c.CompletedOn), &by, c.SignedOffByName, c.Score
			if c.EvidenceID != "" {
				mp.EvidenceID, mp.EvidenceURL = c.EvidenceID, EvidencePath+c.EvidenceID
			}
			if withNotes {
				notes, err := s.open(c.NotesSealed)
				if err != nil {
					return EnrollmentProgress{}, err
				}
				mp.Notes = notes
			}
		}
		p.Milestones = append(p.Milestones, mp)
	}
	if e.Certificate != nil {
		p.Certificate = &CertificateLink{Code: formatCode(e.Certificate.Code), VerifyURL: s.verifyURL(e.Certificate.Code)}
	}
	if withNotes {
		reason, err := s.open(e.WithdrawReasonSealed)
		if err != nil {
			return EnrollmentProgress{}, err
		}
		p.WithdrawReason = reason
		for _, ev := range e.History {
			h := HistoryEntry{At: ev.At, By: ev.By, Action: ev.Action, MilestoneID: ev.MilestoneID}
			if h.Reason, err = s.open(ev.ReasonSealed); err != nil {
				return EnrollmentProgress{}, err
			}
			if ev.Completion != nil {
				h.CompletedOn = DayOf(ev.Completion.CompletedOn)
			}
			if ev.Certificate != nil {
				h.Certificate = formatCode(ev.Certificate.Code)
			}
			p.History = append(p.History, h)
		}
	}
	return p, nil
}

// needsAttention flags an active enrolment with no signed-off milestone and no attended session
// (nor the enrolment itself) in the last NeedsAttentionAfter.
func needsAttention(e Enrollment, lastActivity, now time.Time) bool {
	return e.Status == StatusActive && now.Sub(lastActivity) > NeedsAttentionAfter
}
