package training

import (
	"math"
	"sort"
	"time"
)

// Completion is a signed-off milestone. Notes are sealed; SignedOffBy is the coordinator's user id.
type Completion struct {
	MilestoneID     string    `bson:"milestoneId"`
	CompletedOn     time.Time `bson:"completedOn"`
	NotesSealed     string    `bson:"notes,omitempty"`
	Score           *int      `bson:"score,omitempty"`
	EvidenceID      string    `bson:"evidenceId,omitempty"`
	SignedOffBy     string    `bson:"signedOffBy"`
	SignedOffByName string    `bson:"signedOffByName,omitempty"`
	SignedOffAt     time.Time `bson:"signedOffAt"`
}

// Event is one entry of an enrolment's history. Nothing is ever deleted from an enrolment: an
// undone sign-off moves here with the reason, and a revoked certificate stays listed.
type Event struct {
	At           time.Time          `bson:"at"`
	By           string             `bson:"by"`
	Action       string             `bson:"action"` // enrolled, signed_off, undone, withdrawn, completed, certificate_revoked
	MilestoneID  string             `bson:"milestoneId,omitempty"`
	ReasonSealed string             `bson:"reason,omitempty"`
	Completion   *Completion        `bson:"completion,omitempty"`
	Certificate  *IssuedCertificate `bson:"certificate,omitempty"`
}

// History actions.
const (
	actionEnrolled  = "enrolled"
	actionSignedOff = "signed_off"
	actionUndone    = "undone"
	actionWithdrawn = "withdrawn"
	actionCompleted = "completed"
	actionRevoked   = "certificate_revoked"
)

// Enrollment is one maker's place on one version of a track. ActiveKey is unique across
// enrolments: "track:maker" while active and the enrolment's own id otherwise, which gives "one
// active enrolment per maker per track" without partial indexes (the embedded store has none).
type Enrollment struct {
	ID                    string                `bson:"_id"`
	TrackID               string                `bson:"trackId"`
	TrackVersion          int                   `bson:"trackVersion"`
	ProgramID             string                `bson:"programId"`
	MakerID               string                `bson:"makerId"`
	Status                string                `bson:"status"`
	ActiveKey             string                `bson:"activeKey"`
	EnrolledOn            time.Time             `bson:"enrolledOn"`
	EnrolledBy            string                `bson:"enrolledBy"`
	CompletedOn           time.Time             `bson:"completedOn,omitempty"`
	WithdrawnOn           time.Time             `bson:"withdrawnOn,omitempty"`
	WithdrawReasonSealed  string                `bson:"withdrawReason,omitempty"`
	Milestones            map[string]Completion `bson:"milestones"`
	History               []Event               `bson:"history"`
	Certificate           *IssuedCertificate    `bson:"certificate,omitempty"`
	CertificateNameSealed string                `bson:"certificateName,omitempty"`
	Rev                   int64                 `bson:"rev"`
	CreatedAt             time.Time             `bson:"createdAt"`
	UpdatedAt             time.Time             `bson:"updatedAt"`
}

func activeKey(trackID, makerID string) string { return trackID + ":" + makerID }

// progress counts completions of the milestones in version v.
func (e Enrollment) progress(v TrackVersion) Progress {
	done := 0
	for _, m := range v.Milestones {
		if _, ok := e.Milestones[m.ID]; ok {
			done++
		}
	}
	return progressOf(done, len(v.Milestones))
}

// lastMilestoneDay is the latest completedOn among the signed-off milestones.
func (e Enrollment) lastMilestoneDay() time.Time {
	var last time.Time
	for _, c := range e.Milestones {
		if c.CompletedOn.After(last) {
			last = c.CompletedOn
		}
	}
	return last
}

// Session is a class held for a track, with who was there. Expected lists the enrolments that
// were active on the date, so attendance rates count only the sessions each person could attend.
type Session struct {
	ID         string    `bson:"_id"`
	TrackID    string    `bson:"trackId"`
	ProgramID  string    `bson:"programId"`
	Date       time.Time `bson:"date"`
	Topic      string    `bson:"topic"`
	Present    []string  `bson:"present"`    // maker ids
	Attended   []string  `bson:"attended"`   // enrolment ids of those present
	Expected   []string  `bson:"expected"`   // enrolment ids active on the date
	RecordedBy string    `bson:"recordedBy"` // user id
	RecordedAt time.Time `bson:"recordedAt"`
}

// attendance counts, for one enrolment, the sessions it was expected at and those it attended,
// and returns the date of the last one attended.
func attendance(sessions []Session, enrollmentID string) (attended, held int, last time.Time) {
	for _, s := range sessions {
		if !contains(s.Expected, enrollmentID) {
			continue
		}
		held++
		if contains(s.Attended, enrollmentID) {
			attended++
			if s.Date.After(last) {
				last = s.Date
			}
		}
	}
	return attended, held, last
}

// rate is attended/held rounded to two decimals, or nil when no session was held.
func rate(attended, held int) *float64 {
	if held == 0 {
		return nil
	}
	r := math.Round(float64(attended)*100/float64(held)) / 100
	return &r
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

func sortedKeys(m map[string]Completion) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
