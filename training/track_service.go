package training

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// ErrForbidden answers a maker who tries what only a coordinator may do on their own record.
var ErrForbidden = fault.New(fault.Forbidden, "forbidden", "only a coordinator of the program can do this")

// CreateTrack adds a track of milestones to a program (its coordinators).
func (s *Service) CreateTrack(ctx context.Context, actor accounts.Actor, programID string, in TrackInput) (TrackView, error) {
	if _, err := s.program(ctx, actor, programID); err != nil {
		return TrackView{}, err
	}
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	in.Qualification = strings.TrimSpace(in.Qualification)
	cleanMilestones(in.Milestones)
	if err := fault.Check(in); err != nil {
		return TrackView{}, err
	}
	fields := map[string]string{}
	checkQualification(fields, in.Qualification)
	for i, m := range in.Milestones {
		if m.ID != "" {
			fields["milestones["+strconv.Itoa(i)+"].id"] = "leave it out: a new track's milestones get new ids"
		}
	}
	if err := fault.Fields(fields); err != nil {
		return TrackView{}, err
	}
	ms, err := buildMilestones(in.Milestones, nil, accounts.NewID)
	if err != nil {
		return TrackView{}, err
	}
	now := s.now()
	t := Track{ID: accounts.NewID(), ProgramID: programID, Version: 1, CreatedAt: now, UpdatedAt: now,
		Versions: []TrackVersion{{Version: 1, Name: in.Name, Description: in.Description, Qualification: in.Qualification,
			Milestones: ms, CreatedAt: now, CreatedBy: actor.UserID}}}
	if err := s.store.InsertTrack(ctx, t); err != nil {
		return TrackView{}, err
	}
	if err := s.audit.Record(ctx, actor, "training.track_create", "track", t.ID, programID, in.Name); err != nil {
		return TrackView{}, err
	}
	v, _ := t.View(0)
	return v, nil
}

// Tracks lists a program's tracks at their current versions, for its coordinators and makers.
func (s *Service) Tracks(ctx context.Context, actor accounts.Actor, programID string) ([]TrackView, error) {
	if !actor.Coordinates(programID) && !s.belongsTo(ctx, actor, programID) {
		return nil, programs.ErrNotFound
	}
	ts, err := s.store.Tracks(ctx, programID)
	if err != nil {
		return nil, err
	}
	out := make([]TrackView, 0, len(ts))
	for _, t := range ts {
		v, _ := t.View(0)
		out = append(out, v)
	}
	return out, nil
}

// Track returns version v of a track (0: the current one).
func (s *Service) Track(ctx context.Context, actor accounts.Actor, id string, v int) (TrackView, error) {
	t, err := s.track(ctx, actor, id)
	if err != nil {
		return TrackView{}, err
	}
	view, ok := t.View(v)
	if !ok {
		return TrackView{}, fault.New(fault.NotFound, "version_not_found", "this track has no version %d", v)
	}
	return view, nil
}

// EditTrack makes a new version of a track. People already enrolled keep the version they
// enrolled in; milestones kept by id keep their completions; new enrolments get the new version.
func (s *Service) EditTrack(ctx context.Context, actor accounts.Actor, id string, in TrackEdit) (TrackView, error) {
	t, err := s.store.Track(ctx, id)
	if err != nil {
		return TrackView{}, err
	}
	if !actor.Coordinates(t.ProgramID) {
		return TrackView{}, ErrTrackNotFound
	}
	cleanMilestones(in.Milestones)
	if err := fault.Check(in); err != nil {
		return TrackView{}, err
	}
	if in.Milestones != nil && len(in.Milestones) == 0 {
		// omitempty lets an empty list through the tags: a track must keep at least one step.
		return TrackView{}, fault.Fields(map[string]string{"milestones": "must have at least 1 entries"})
	}
	if in.Name == nil && in.Description == nil && in.Qualification == nil && in.Milestones == nil {
		return TrackView{}, fault.New(fault.Invalid, "nothing_to_change", "send at least one of name, description, qualification, milestones")
	}
	for range 5 {
		cur := t.Current()
		next := cur
		next.Version = t.Version + 1
		next.CreatedAt, next.CreatedBy = s.now(), actor.UserID
		var changed []string
		if in.Name != nil {
			next.Name = strings.TrimSpace(*in.Name)
			changed = append(changed, "name")
		}
		if in.Description != nil {
			next.Description = strings.TrimSpace(*in.Description)
			changed = append(changed, "description")
		}
		if in.Qualification != nil {
			next.Qualification = strings.TrimSpace(*in.Qualification)
			fields := map[string]string{}
			checkQualification(fields, next.Qualification)
			if err := fault.Fields(fields); err != nil {
				return TrackView{}, err
			}
			changed = append(changed, "qualification")
		}
		if in.Milestones != nil {
			ms, err := buildMilestones(in.Milestones, cur.Milestones, accounts.NewID)
			if err != nil {
				return TrackView{}, err
			}
			next.Milestones = ms
			changed = append(changed, "milestones")
		}
		err := s.store.AddTrackVersion(ctx, id, next)
		if errors.Is(err, errStale) {
			if t, err = s.store.Track(ctx, id); err != nil {
				return TrackView{}, err
			}
			continue
		}
		if err != nil {
			return TrackView{}, err
		}
		if err := s.audit.Record(ctx, actor, "training.track_edit", "track", id, t.ProgramID,
			"version "+strconv.Itoa(next.Version)+": "+strings.Join(changed, ",")); err != nil {
			return TrackView{}, err
		}
		t.Versions = append(t.Versions, next)
		t.Version, t.UpdatedAt = next.Version, next.CreatedAt
		v, _ := t.View(0)
		return v, nil
	}
	return TrackView{}, ErrBusy
}
