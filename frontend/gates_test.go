package frontend_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/training"
)

// TestSellingGatesPage: a coordinator adds and removes a "training before selling" rule; a
// missing track is said next to the field with the category kept; another program's
// coordinator gets 404.
func TestSellingGatesPage(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	tr, err := s.e.App.Training.CreateTrack(ctx, s.coord, s.programID, training.TrackInput{Name: "Soldering basics",
		Milestones: []training.MilestoneInput{{Title: "Solder a jump ring"}}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.e.App.Accounts.User(ctx, s.coord.UserID)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, s.e)
	w.login(u.Login, apptest.Password)
	base := "/coordinator/programs/" + s.programID + "/gates"
	must(t, w.get("/coordinator/programs/"+s.programID+"/training?lang=en"), http.StatusOK, `href="`+base+`"`)
	must(t, w.get(base+"?lang=en"), http.StatusOK, "Training before selling", "No rule yet", "Soldering basics", `<option value="jewellery">`)
	must(t, w.post(base, url.Values{"category": {"jewellery"}}), http.StatusBadRequest, "Choose a track", `value="jewellery"`)
	must(t, w.post(base, url.Values{"category": {"jewellery"}, "trackId": {tr.ID}}), http.StatusOK, "Rule added.", "Needs the track “Soldering basics” completed")
	gs, err := s.e.App.Training.Gates(ctx, s.coord, s.programID)
	if err != nil || len(gs) != 1 || gs[0].TrackID != tr.ID {
		t.Fatalf("gates: %+v %v", gs, err)
	}
	must(t, w.get(base+"?lang=hi"), http.StatusOK, "बेचने से पहले प्रशिक्षण")
	must(t, w.post(base, url.Values{"remove": {"0"}, "track": {tr.ID}}), http.StatusOK, "नियम हट गया।")
	if gs, _ := s.e.App.Training.Gates(ctx, s.coord, s.programID); len(gs) != 0 {
		t.Fatalf("gate not removed: %+v", gs)
	}

	other := s.e.Program("Mumbai Stitches")
	oid, _ := s.e.Coordinator(other)
	ou, err := s.e.App.Accounts.User(ctx, oid)
	if err != nil {
		t.Fatal(err)
	}
	ow := newWeb(t, s.e)
	ow.login(ou.Login, apptest.Password)
	must(t, ow.get(base), http.StatusNotFound)
	must(t, ow.post(base, url.Values{"category": {"jewellery"}, "trackId": {tr.ID}}), http.StatusNotFound)
}
