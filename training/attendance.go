package training

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
)

// SessionInput records a class and who came. Present lists maker ids; each must be enrolled in
// the track on that date.
type SessionInput struct {
	Date    string   `json:"date"`
	Topic   string   `json:"topic" validate:"required,min=2,max=200"`
	Present []string `json:"present" validate:"max=500"`
}

// SessionView is a recorded session.
type SessionView struct {
	ID       string    `json:"id"`
	TrackID  string    `json:"trackId"`
	Date     Day       `json:"date"`
	Topic    string    `json:"topic"`
	Present  []string  `json:"present"`
	Expected int       `json:"expected"`
	Recorded time.Time `json:"recordedAt"`
}

func (x Session) view() SessionView {
	return SessionView{ID: x.ID, TrackID: x.TrackID, Date: DayOf(x.Date), Topic: x.Topic, Present: x.Present,
		Expected: len(x.Expected), Recorded: x.RecordedAt}
}

// enrolledOn reports whether the enrolment was running on day: enrolled by then, and not yet
// withdrawn or completed before it.
func enrolledOn(e Enrollment, day time.Time) bool {
	if e.EnrolledOn.After(day) {
		return false
	}
	switch e.Status {
	case StatusWithdrawn:
		return !e.WithdrawnOn.Before(day)
	case StatusCompleted:
		return !e.CompletedOn.Before(day)
	}
	return true
}

// RecordSession records a class of a track and who was present (its coordinators). A track has
// one class a day: saving the same date again corrects it (a forgotten maker ticked, a topic
// fixed) instead of adding a second class. A class with nobody ticked is refused: it would count
// as missed by everyone. The people enrolled on that date are remembered with it, so each
// person's attendance rate counts only the sessions they could have come to.
func (s *Service) RecordSession(ctx context.Context, actor accounts.Actor, trackID string, in SessionInput) (SessionView, error) {
	t, err := s.track(ctx, actor, trackID)
	if err != nil {
		return SessionView{}, err
	}
	if !actor.Coordinates(t.ProgramID) {
		return SessionView{}, ErrForbidden
	}
	in.Topic = strings.TrimSpace(in.Topic)
	if err := fault.Check(in); err != nil {
		return SessionView{}, err
	}
	now := s.now()
	fields := map[string]string{}
	day := dayField(fields, "date", in.Date, now)
	if err := fault.Fields(fields); err != nil {
		return SessionView{}, err
	}
	es, err := s.store.Enrollments(ctx, EnrollmentsQuery{TrackID: t.ID})
	if err != nil {
		return SessionView{}, err
	}
	byMaker := map[string]string{} // maker → enrolment running on the day
	var expected []string
	for _, e := range es {
		if enrolledOn(e, day) {
			expected = append(expected, e.ID)
			byMaker[e.MakerID] = e.ID
		}
	}
	var present, attended []string
	for i, id := range in.Present {
		id = strings.TrimSpace(id)
		eid, ok := byMaker[id]
		if !ok {
			fields["present["+strconv.Itoa(i)+"]"] = "is not enrolled in this track on " + DayOf(day).String()
			continue
		}
		if !contains(present, id) {
			present, attended = append(present, id), append(attended, eid)
		}
	}
	if err := fault.Fields(fields); err != nil {
		return SessionView{}, err
	}
	if len(present) == 0 {
		return SessionView{}, fault.Fields(map[string]string{"present": "tick at least one person who came"})
	}
	if expected == nil {
		expected = []string{}
	}
	// The day's class, if it was saved before: the oldest one of that date (classes recorded
	// before there was one a day keep their ids).
	id, action := sessionID(t.ID, day), "training.session"
	existing, err := s.store.Sessions(ctx, "", t.ID)
	if err != nil {
		return SessionView{}, err
	}
	for _, x := range existing {
		if x.Date.Equal(day) {
			id, action = x.ID, "training.session_correct"
			break
		}
	}
	sess := Session{ID: id, TrackID: t.ID, ProgramID: t.ProgramID, Date: day, Topic: in.Topic,
		Present: present, Attended: attended, Expected: expected, RecordedBy: actor.UserID, RecordedAt: now}
	if err := s.store.SaveSession(ctx, sess); err != nil {
		return SessionView{}, err
	}
	if err := s.audit.Record(ctx, actor, action, "track", t.ID, t.ProgramID,
		"session "+sess.ID+": "+strconv.Itoa(len(present))+" of "+strconv.Itoa(len(expected))+" present"); err != nil {
		return SessionView{}, err
	}
	return sess.view(), nil
}

// sessionID is the id of a track's class on a day: one class per track and date.
func sessionID(trackID string, day time.Time) string {
	return trackID + ":" + day.Format("2006-01-02")
}

// Sessions lists a track's sessions for its coordinators.
func (s *Service) Sessions(ctx context.Context, actor accounts.Actor, trackID string) ([]SessionView, error) {
	t, err := s.store.Track(ctx, trackID)
	if err != nil {
		return nil, err
	}
	if !actor.Coordinates(t.ProgramID) {
		return nil, ErrTrackNotFound
	}
	ss, err := s.store.Sessions(ctx, "", t.ID)
	if err != nil {
		return nil, err
	}
	out := make([]SessionView, 0, len(ss))
	for _, x := range ss {
		out = append(out, x.view())
	}
	return out, nil
}
