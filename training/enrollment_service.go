package training

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// EnrollInput enrols a maker. EnrolledOn (optional, default today) lets a program bring over
// enrolments from its paper registers.
type EnrollInput struct {
	MakerID    string `json:"makerId" validate:"required,max=40"`
	EnrolledOn string `json:"enrolledOn"`
}

// WithdrawInput ends an enrolment early. Reason is sealed like other notes.
type WithdrawInput struct {
	Date   string `json:"date"`
	Reason string `json:"reason" validate:"max=2000"`
}

// SignOffInput records a milestone as complete. EvidenceID names a photo uploaded beforehand for
// this milestone; a photo can also come with the sign-off itself.
type SignOffInput struct {
	CompletedOn string `json:"completedOn"`
	Notes       string `json:"notes" validate:"max=4000"`
	Score       *int   `json:"score" validate:"omitempty,gte=0,lte=100"`
	EvidenceID  string `json:"evidenceId" validate:"max=40"`
}

// UndoInput reverses a sign-off; the reason is kept in the enrolment's history.
type UndoInput struct {
	Reason string `json:"reason" validate:"required,min=3,max=2000"`
}

// coordinate loads an enrolment for a change only coordinators make: a maker reading their own
// record gets ErrForbidden, anyone else ErrEnrollmentNotFound.
func (s *Service) coordinate(ctx context.Context, actor accounts.Actor, id string) (Enrollment, error) {
	e, err := s.enrollment(ctx, actor, id)
	if err != nil {
		return Enrollment{}, err
	}
	if !actor.Coordinates(e.ProgramID) {
		return Enrollment{}, ErrForbidden
	}
	return e, nil
}

// Enroll puts a maker of the track's program on the track's current version (its coordinators).
func (s *Service) Enroll(ctx context.Context, actor accounts.Actor, trackID string, in EnrollInput) (Enrollment, error) {
	t, err := s.track(ctx, actor, trackID)
	if err != nil {
		return Enrollment{}, err
	}
	if !actor.Coordinates(t.ProgramID) {
		return Enrollment{}, ErrForbidden
	}
	in.MakerID = strings.TrimSpace(in.MakerID)
	if err := fault.Check(in); err != nil {
		return Enrollment{}, err
	}
	now := s.now()
	fields := map[string]string{}
	on := dayField(fields, "enrolledOn", in.EnrolledOn, now)
	if err := fault.Fields(fields); err != nil {
		return Enrollment{}, err
	}
	m, err := s.programs.Maker(ctx, in.MakerID)
	if err != nil {
		return Enrollment{}, err
	}
	if m.ProgramID != t.ProgramID || m.Status != "active" {
		return Enrollment{}, programs.ErrMakerNotFound
	}
	e := Enrollment{ID: accounts.NewID(), TrackID: t.ID, TrackVersion: t.Version, ProgramID: t.ProgramID,
		MakerID: m.ID, Status: StatusActive, ActiveKey: activeKey(t.ID, m.ID), EnrolledOn: on,
		EnrolledBy: actor.UserID, Milestones: map[string]Completion{},
		History:   []Event{{At: now, By: actor.UserID, Action: actionEnrolled}},
		CreatedAt: now, UpdatedAt: now}
	if err := s.store.InsertEnrollment(ctx, e); err != nil {
		return Enrollment{}, err
	}
	if err := s.record(ctx, actor, "training.enroll", m.ID, t.ProgramID, "enrolment "+e.ID+" in track "+t.ID+" v"+strconv.Itoa(t.Version)); err != nil {
		return Enrollment{}, err
	}
	return e, nil
}

// Withdraw ends an active enrolment early, keeping everything recorded so far.
func (s *Service) Withdraw(ctx context.Context, actor accounts.Actor, id string, in WithdrawInput) (EnrollmentProgress, error) {
	cur, err := s.coordinate(ctx, actor, id)
	if err != nil {
		return EnrollmentProgress{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if err := fault.Check(in); err != nil {
		return EnrollmentProgress{}, err
	}
	now := s.now()
	fields := map[string]string{}
	on := dayField(fields, "date", in.Date, now)
	if fields["date"] == "" && on.Before(cur.EnrolledOn) {
		fields["date"] = "cannot be before the enrolment began (" + DayOf(cur.EnrolledOn).String() + ")"
	}
	if err := fault.Fields(fields); err != nil {
		return EnrollmentProgress{}, err
	}
	reason := s.box.Seal(in.Reason)
	e, err := s.mutate(ctx, cur, func(e *Enrollment) error {
		if e.Status != StatusActive {
			return ErrNotActive
		}
		e.Status, e.WithdrawnOn, e.ActiveKey, e.WithdrawReasonSealed = StatusWithdrawn, on, e.ID, reason
		e.History = append(e.History, Event{At: now, By: actor.UserID, Action: actionWithdrawn, ReasonSealed: reason})
		return nil
	})
	if err != nil {
		return EnrollmentProgress{}, err
	}
	if err := s.record(ctx, actor, "training.withdraw", e.MakerID, e.ProgramID, "enrolment "+e.ID); err != nil {
		return EnrollmentProgress{}, err
	}
	return s.progressOf(ctx, e, false)
}

// SignOff records a milestone as complete, signed off by the acting coordinator. A milestone that
// requires evidence needs a photo: photo (uploaded with the sign-off) or in.EvidenceID (uploaded
// before). When it is the last milestone, the enrolment completes and a certificate is issued.
func (s *Service) SignOff(ctx context.Context, actor accounts.Actor, id, milestoneID string, in SignOffInput, photo io.Reader) (EnrollmentProgress, error) {
	e, err := s.coordinate(ctx, actor, id)
	if err != nil {
		return EnrollmentProgress{}, err
	}
	in.Notes, in.EvidenceID = strings.TrimSpace(in.Notes), strings.TrimSpace(in.EvidenceID)
	if err := fault.Check(in); err != nil {
		return EnrollmentProgress{}, err
	}
	now := s.now()
	fields := map[string]string{}
	on := dayField(fields, "completedOn", in.CompletedOn, now)
	if err := fault.Fields(fields); err != nil {
		return EnrollmentProgress{}, err
	}
	t, err := s.store.Track(ctx, e.TrackID)
	if err != nil {
		return EnrollmentProgress{}, err
	}
	version, _ := t.At(e.TrackVersion)
	ms, ok := version.Milestone(milestoneID)
	if !ok {
		return EnrollmentProgress{}, ErrMilestoneNotFound
	}
	if e.Status != StatusActive {
		return EnrollmentProgress{}, ErrNotActive
	}
	if _, done := e.Milestones[milestoneID]; done {
		return EnrollmentProgress{}, ErrAlreadySignedOff
	}
	evidenceID := in.EvidenceID
	switch {
	case photo != nil:
		ev, err := s.saveEvidence(ctx, actor, e, milestoneID, photo)
		if err != nil {
			return EnrollmentProgress{}, err
		}
		evidenceID = ev.ID
	case evidenceID != "":
		ev, err := s.store.Evidence(ctx, evidenceID)
		if err != nil || ev.EnrollmentID != e.ID || ev.MilestoneID != milestoneID {
			return EnrollmentProgress{}, fault.Fields(map[string]string{"evidenceId": "is not a photo uploaded for this milestone of this enrolment"})
		}
	case ms.RequiresEvidence:
		return EnrollmentProgress{}, ErrEvidenceRequired
	}
	p, err := s.programs.Program(ctx, e.ProgramID)
	if err != nil {
		return EnrollmentProgress{}, err
	}
	c := Completion{MilestoneID: milestoneID, CompletedOn: on, NotesSealed: s.box.Seal(in.Notes), Score: in.Score,
		EvidenceID: evidenceID, SignedOffBy: actor.UserID, SignedOffByName: s.userName(ctx, actor.UserID), SignedOffAt: now}
	completed := false
	e, err = s.mutate(ctx, e, func(e *Enrollment) error {
		if e.Status != StatusActive {
			return ErrNotActive
		}
		if _, done := e.Milestones[milestoneID]; done {
			return ErrAlreadySignedOff
		}
		e.Milestones[milestoneID] = c
		e.History = append(e.History, Event{At: now, By: actor.UserID, Action: actionSignedOff, MilestoneID: milestoneID})
		completed = e.progress(version).Completed == len(version.Milestones)
		if completed {
			e.Status, e.CompletedOn, e.ActiveKey = StatusCompleted, e.lastMilestoneDay(), e.ID
			e.Certificate = &IssuedCertificate{Code: newCertificateCode(), TrackName: version.Name,
				Qualification: version.Qualification, ProgramName: p.Name, CompletedOn: e.CompletedOn, IssuedAt: now}
			e.History = append(e.History, Event{At: now, By: actor.UserID, Action: actionCompleted})
		}
		return nil
	})
	if err != nil {
		return EnrollmentProgress{}, err
	}
	if evidenceID != "" {
		if err := s.store.MarkEvidenceAttached(ctx, evidenceID); err != nil {
			return EnrollmentProgress{}, err
		}
	}
	detail := "enrolment " + e.ID + " milestone " + milestoneID
	if err := s.record(ctx, actor, "training.signoff", e.MakerID, e.ProgramID, detail); err != nil {
		return EnrollmentProgress{}, err
	}
	if completed {
		if err := s.record(ctx, actor, "training.complete", e.MakerID, e.ProgramID, "enrolment "+e.ID+" certificate issued"); err != nil {
			return EnrollmentProgress{}, err
		}
	}
	return s.progressWith(ctx, e, t, false)
}

// Undo reverses a sign-off. Nothing is deleted: the completion moves into the enrolment's history
// with the reason. Undoing a milestone of a completed track reopens it and revokes its certificate.
func (s *Service) Undo(ctx context.Context, actor accounts.Actor, id, milestoneID string, in UndoInput) (EnrollmentProgress, error) {
	cur, err := s.coordinate(ctx, actor, id)
	if err != nil {
		return EnrollmentProgress{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if err := fault.Check(in); err != nil {
		return EnrollmentProgress{}, err
	}
	now := s.now()
	reason := s.box.Seal(in.Reason)
	revoked := false
	e, err := s.mutate(ctx, cur, func(e *Enrollment) error {
		c, done := e.Milestones[milestoneID]
		if !done {
			return ErrNotSignedOff
		}
		if e.Status == StatusWithdrawn {
			return ErrNotActive
		}
		delete(e.Milestones, milestoneID)
		e.History = append(e.History, Event{At: now, By: actor.UserID, Action: actionUndone, MilestoneID: milestoneID,
			ReasonSealed: reason, Completion: &c})
		revoked = e.Status == StatusCompleted
		if revoked {
			cert := *e.Certificate
			cert.RevokedAt = now
			e.History = append(e.History, Event{At: now, By: actor.UserID, Action: actionRevoked, Certificate: &cert})
			e.Status, e.CompletedOn, e.ActiveKey, e.Certificate = StatusActive, time.Time{}, activeKey(e.TrackID, e.MakerID), nil
		}
		return nil
	})
	if err != nil {
		return EnrollmentProgress{}, err
	}
	if err := s.record(ctx, actor, "training.undo", e.MakerID, e.ProgramID, "enrolment "+e.ID+" milestone "+milestoneID); err != nil {
		return EnrollmentProgress{}, err
	}
	if revoked {
		if err := s.record(ctx, actor, "training.certificate_revoke", e.MakerID, e.ProgramID, "enrolment "+e.ID); err != nil {
			return EnrollmentProgress{}, err
		}
	}
	return s.progressOf(ctx, e, false)
}

// EnrollmentDetail returns an enrolment with its notes and history to the maker or a coordinator
// of their program, auditing the read.
func (s *Service) EnrollmentDetail(ctx context.Context, actor accounts.Actor, id string) (EnrollmentProgress, error) {
	e, err := s.enrollment(ctx, actor, id)
	if err != nil {
		return EnrollmentProgress{}, err
	}
	if err := s.record(ctx, actor, "training.read_notes", e.MakerID, e.ProgramID, "enrolment "+e.ID); err != nil {
		return EnrollmentProgress{}, err
	}
	return s.progressOf(ctx, e, true)
}

// MakerProgress lists a maker's enrolments with progress and attendance, without notes, for the
// maker's own page and their coordinators. The read is audited.
func (s *Service) MakerProgress(ctx context.Context, actor accounts.Actor, makerID string) ([]EnrollmentProgress, error) {
	m, err := s.maker(ctx, actor, makerID)
	if err != nil {
		return nil, err
	}
	es, err := s.store.Enrollments(ctx, EnrollmentsQuery{MakerID: m.ID})
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, actor, "training.read", m.ID, m.ProgramID, "enrolments"); err != nil {
		return nil, err
	}
	// One read each of the program's tracks and sessions serves every enrolment.
	tracks, err := s.store.Tracks(ctx, m.ProgramID)
	if err != nil {
		return nil, err
	}
	byID := map[string]Track{}
	for _, t := range tracks {
		byID[t.ID] = t
	}
	sessions, err := s.store.Sessions(ctx, m.ProgramID, "")
	if err != nil {
		return nil, err
	}
	out := make([]EnrollmentProgress, 0, len(es))
	for _, e := range es {
		t, ok := byID[e.TrackID]
		if !ok {
			return nil, fmt.Errorf("enrolment %s: %w", e.ID, ErrTrackNotFound)
		}
		p, err := s.buildProgress(e, t, sessions, false)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
