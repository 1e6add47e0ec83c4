package training_test

import (
	"context"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/training"
)

// TestEditTrackKeepsAStep: an edit that sends an empty list of milestones is refused (the
// validator's omitempty would let it through and leave a track with nothing to sign off), and
// the track keeps its version and its steps.
func TestEditTrackKeepsAStep(t *testing.T) {
	e := apptest.New(t)
	pid := e.Program("Kolkata Beads")
	coordID, _ := e.Coordinator(pid)
	coord := e.Actor(coordID)
	ctx := context.Background()
	tr, err := e.App.Training.CreateTrack(ctx, coord, pid, training.TrackInput{Name: "Bead work",
		Milestones: []training.MilestoneInput{{Title: "Stringing"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.App.Training.EditTrack(ctx, coord, tr.ID, training.TrackEdit{Milestones: []training.MilestoneInput{}})
	if fe, ok := fault.As(err); !ok || fe.Kind != fault.Invalid || fe.Fields["milestones"] == "" {
		t.Fatalf("an empty list of milestones: %v", err)
	}
	v, err := e.App.Training.Track(ctx, coord, tr.ID, 0)
	if err != nil || v.Version != 1 || len(v.Milestones) != 1 {
		t.Fatalf("after the refused edit: %+v, %v", v, err)
	}
}
