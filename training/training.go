// Package training runs the vocational training programs give makers — goldsmithing, stone
// setting, tailoring, literacy and numeracy, financial skills — as tracks of milestones. A
// coordinator enrols makers, signs milestones off (with a photo of the work where the milestone
// asks for one), takes attendance, and follows up on what happened to people after they left; a
// finished track earns a certificate anyone can verify by its code.
//
// Training notes are about vulnerable people: they are sealed at rest, only the maker and the
// coordinators of their program read them, and every read and every change is audited. Nothing
// here is public except a certificate's verification, which shows the certificate and nothing else.
//
// The embedded store has no transactions, so each enrolment is one document: completed milestones
// are embedded and keyed by milestone id, reversals are appended to its history, and every change
// is a single compare-and-set replacement of that document.
package training

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fairhands/marketplace/fault"
)

// Errors the training operations return. A record outside the caller's scope is reported as not
// found, so nothing tells an outsider that it exists.
var (
	ErrTrackNotFound       = fault.New(fault.NotFound, "track_not_found", "training track not found")
	ErrEnrollmentNotFound  = fault.New(fault.NotFound, "enrollment_not_found", "enrolment not found")
	ErrMilestoneNotFound   = fault.New(fault.NotFound, "milestone_not_found", "this milestone is not part of the track version the maker is enrolled in")
	ErrCertificateNotFound = fault.New(fault.NotFound, "certificate_not_found", "no valid certificate has that code")
	ErrNoCertificate       = fault.New(fault.NotFound, "certificate_not_ready", "the certificate is ready when every milestone of the track is signed off")
	ErrEvidenceNotFound    = fault.New(fault.NotFound, "evidence_not_found", "evidence photo not found")
	ErrOutcomeNotFound     = fault.New(fault.NotFound, "outcome_not_found", "outcome not found")
	ErrAlreadyEnrolled     = fault.New(fault.Conflict, "already_enrolled", "this maker already has an active enrolment in this track")
	ErrNotActive           = fault.New(fault.Conflict, "enrollment_not_active", "this enrolment is no longer active (withdrawn or completed)")
	ErrAlreadySignedOff    = fault.New(fault.Conflict, "already_signed_off", "this milestone is already signed off; undo it first to record it again")
	ErrNotSignedOff        = fault.New(fault.Conflict, "not_signed_off", "this milestone is not signed off, so there is nothing to undo")
	ErrBusy                = fault.New(fault.Conflict, "edit_conflict", "someone else changed this record at the same moment: please try again")
	ErrEvidenceRequired    = fault.New(fault.Unprocessable, "evidence_required", "this milestone needs a photo of the work: upload one with the sign-off")
	ErrUploadsBusy         = fault.New(fault.Unavailable, "uploads_busy", "the server is processing other photos: please try again in a moment")
)

// Enrolment states.
const (
	StatusActive    = "active"
	StatusWithdrawn = "withdrawn"
	StatusCompleted = "completed"
)

// Outcome statuses after training, as placement-linked schemes record them.
const (
	OutcomeEmployed     = "employed"
	OutcomeSelfEmployed = "self_employed"
	OutcomeInTraining   = "in_training"
	OutcomeSeeking      = "seeking"
	OutcomeUnknown      = "unknown"
)

// How an outcome was verified: claimed by the person, or checked against a document (offer
// letter, pay slip) or by a visit, as India's placement-linked schemes require for 12 months.
const (
	VerifyClaimed  = "claimed"
	VerifyDocument = "verified_document"
	VerifyVisit    = "verified_visit"
)

// NeedsAttentionAfter is how long an active enrolment may go without a signed-off milestone or an
// attended session before the report flags it.
const NeedsAttentionAfter = 30 * 24 * time.Hour

// FollowUpMonths are the months after completion at which outcomes are followed up.
var FollowUpMonths = []int{3, 6, 12}

// Day is a calendar date with no time of day, written "2006-01-02" in JSON, as coordinators
// write dates on paper registers. The zero Day is null.
type Day struct{ time.Time }

// DayOf truncates t to its UTC date.
func DayOf(t time.Time) Day {
	if t.IsZero() {
		return Day{}
	}
	y, m, d := t.UTC().Date()
	return Day{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// String is the date as "2006-01-02", or "" for the zero Day.
func (d Day) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// MarshalJSON writes the date or null.
func (d Day) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// parseDay reads a date as "2006-01-02" or RFC 3339 (whose date part is kept, in UTC).
func parseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return DayOf(t).Time, nil
	}
	return time.Time{}, fmt.Errorf("must be a date like 2025-03-14")
}

// dayField parses an optional date field: empty means today. Dates before 2000 or after
// tomorrow (a coordinator a time zone ahead) are refused.
func dayField(fields map[string]string, name, value string, now time.Time) time.Time {
	if strings.TrimSpace(value) == "" {
		return DayOf(now).Time
	}
	t, err := parseDay(value)
	if err != nil {
		fields[name] = err.Error()
		return time.Time{}
	}
	if t.After(DayOf(now).AddDate(0, 0, 1)) {
		fields[name] = "cannot be in the future"
	} else if t.Year() < 2000 {
		fields[name] = "must be after the year 2000"
	}
	return t
}

// Progress counts the signed-off milestones of an enrolment's track version.
type Progress struct {
	Completed int `json:"completed"`
	Total     int `json:"total"`
	Percent   int `json:"percent"`
}

func progressOf(done, total int) Progress {
	p := Progress{Completed: done, Total: total}
	if total > 0 {
		p.Percent = done * 100 / total
	}
	return p
}
