package training

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/fairhands/marketplace/fault"
)

// Milestone is one step of a track that a coordinator signs off. Its id stays the same across
// versions of the track, so a completion recorded against it stays valid when the track is edited.
type Milestone struct {
	ID               string  `bson:"id" json:"id"`
	Title            string  `bson:"title" json:"title"`
	Description      string  `bson:"description" json:"description"`
	RequiresEvidence bool    `bson:"requiresEvidence" json:"requiresEvidence"`
	Hours            float64 `bson:"hours,omitempty" json:"hours,omitempty"`
}

// TrackVersion is a track as it stood from one edit to the next. Enrolments keep the version they
// enrolled in, so editing a track never rewrites the history of people already enrolled.
type TrackVersion struct {
	Version       int         `bson:"version" json:"version"`
	Name          string      `bson:"name" json:"name"`
	Description   string      `bson:"description" json:"description"`
	Qualification string      `bson:"qualification,omitempty" json:"qualification,omitempty"`
	Milestones    []Milestone `bson:"milestones" json:"milestones"`
	CreatedAt     time.Time   `bson:"createdAt" json:"createdAt"`
	CreatedBy     string      `bson:"createdBy" json:"createdBy"`
}

// Track is a course of training in a program, with every version it has had. All versions live in
// the one document, so an edit is a single compare-and-set update.
type Track struct {
	ID        string         `bson:"_id"`
	ProgramID string         `bson:"programId"`
	Version   int            `bson:"version"` // the current version
	Versions  []TrackVersion `bson:"versions"`
	CreatedAt time.Time      `bson:"createdAt"`
	UpdatedAt time.Time      `bson:"updatedAt"`
}

// Current returns the version new enrolments get.
func (t Track) Current() TrackVersion {
	v, _ := t.At(t.Version)
	return v
}

// At returns version v of the track.
func (t Track) At(v int) (TrackVersion, bool) {
	for _, tv := range t.Versions {
		if tv.Version == v {
			return tv, true
		}
	}
	return TrackVersion{}, false
}

// Milestone returns the milestone with id in this version.
func (v TrackVersion) Milestone(id string) (Milestone, bool) {
	for _, m := range v.Milestones {
		if m.ID == id {
			return m, true
		}
	}
	return Milestone{}, false
}

// TrackView is a track version as the API shows it.
type TrackView struct {
	ID            string      `json:"id"`
	ProgramID     string      `json:"programId"`
	Version       int         `json:"version"`
	Versions      int         `json:"versions"`
	Name          string      `json:"name"`
	Description   string      `json:"description"`
	Qualification string      `json:"qualification,omitempty"`
	Milestones    []Milestone `json:"milestones"`
	MilestoneIDs  []string    `json:"milestoneIds"`
	CreatedAt     time.Time   `json:"createdAt"`
	UpdatedAt     time.Time   `json:"updatedAt"`
}

// View returns version v of the track (its current version when v is 0).
func (t Track) View(v int) (TrackView, bool) {
	if v == 0 {
		v = t.Version
	}
	tv, ok := t.At(v)
	if !ok {
		return TrackView{}, false
	}
	ids := make([]string, len(tv.Milestones))
	for i, m := range tv.Milestones {
		ids[i] = m.ID
	}
	return TrackView{ID: t.ID, ProgramID: t.ProgramID, Version: tv.Version, Versions: len(t.Versions),
		Name: tv.Name, Description: tv.Description, Qualification: tv.Qualification,
		Milestones: tv.Milestones, MilestoneIDs: ids, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}, true
}

// MilestoneInput is one milestone of a new or edited track. ID names an existing milestone to
// keep (with its completions) when a track is edited; it is empty for a new milestone.
type MilestoneInput struct {
	ID               string   `json:"id" validate:"omitempty,max=40"`
	Title            string   `json:"title" validate:"required,min=2,max=120"`
	Description      string   `json:"description" validate:"max=2000"`
	RequiresEvidence bool     `json:"requiresEvidence"`
	Hours            *float64 `json:"hours" validate:"omitempty,gt=0,lte=2000"`
}

// TrackInput creates a track.
type TrackInput struct {
	Name          string           `json:"name" validate:"required,min=2,max=120"`
	Description   string           `json:"description" validate:"max=2000"`
	Qualification string           `json:"qualification" validate:"max=40"`
	Milestones    []MilestoneInput `json:"milestones" validate:"required,min=1,max=60,dive"`
}

// TrackEdit changes a track, making a new version; nil fields stay as they are. Milestones, when
// given, is the whole new list: entries with an id keep that milestone, entries without one are new.
type TrackEdit struct {
	Name          *string          `json:"name" validate:"omitempty,min=2,max=120"`
	Description   *string          `json:"description" validate:"omitempty,max=2000"`
	Qualification *string          `json:"qualification" validate:"omitempty,max=40"`
	Milestones    []MilestoneInput `json:"milestones" validate:"omitempty,min=1,max=60,dive"`
}

// qualificationRE admits Qualification Pack codes such as "G&J/Q0603" or "AMH/Q0301" and other
// short scheme codes, but nothing that could smuggle markup into certificates.
var qualificationRE = regexp.MustCompile(`^[A-Za-z0-9&/ ._-]*$`)

func cleanMilestones(in []MilestoneInput) {
	for i := range in {
		in[i].ID = strings.TrimSpace(in[i].ID)
		in[i].Title = strings.TrimSpace(in[i].Title)
		in[i].Description = strings.TrimSpace(in[i].Description)
	}
}

func checkQualification(fields map[string]string, q string) {
	if !qualificationRE.MatchString(q) {
		fields["qualification"] = "may contain only letters, digits, spaces and & / . _ - (e.g. G&J/Q0603)"
	}
}

// buildMilestones turns input into milestones, keeping the ids of existing ones (from prev) and
// giving new ones fresh ids. Unknown or repeated ids are named as bad fields.
func buildMilestones(in []MilestoneInput, prev []Milestone, newID func() string) ([]Milestone, error) {
	known := map[string]bool{}
	for _, m := range prev {
		known[m.ID] = true
	}
	seen := map[string]bool{}
	fields := map[string]string{}
	out := make([]Milestone, 0, len(in))
	for i, mi := range in {
		m := Milestone{ID: mi.ID, Title: mi.Title, Description: mi.Description, RequiresEvidence: mi.RequiresEvidence}
		if mi.Hours != nil {
			m.Hours = *mi.Hours
		}
		switch {
		case m.ID == "":
			m.ID = newID()
		case !known[m.ID]:
			fields[fmt.Sprintf("milestones[%d].id", i)] = "is not a milestone of this track: leave it out for a new milestone"
		case seen[m.ID]:
			fields[fmt.Sprintf("milestones[%d].id", i)] = "appears twice"
		}
		seen[m.ID] = true
		out = append(out, m)
	}
	if err := fault.Fields(fields); err != nil {
		return nil, err
	}
	return out, nil
}
