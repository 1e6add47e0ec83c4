package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/fairhands/marketplace/training"
)

// TestTrainingConcurrentSignOffs: the embedded store has no transactions, so each enrolment is
// one document changed by compare-and-set. Racing sign-offs of one milestone give one winner;
// racing sign-offs of different milestones all land, and the track completes exactly once.
func TestTrainingConcurrentSignOffs(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	e := w.e
	trackID, ms := w.createTrack(w.p1, w.c1, map[string]any{"name": "Financial skills", "milestones": []map[string]any{
		{"title": "Opening a bank account"}, {"title": "Keeping a cash book"}, {"title": "Pricing your work"},
		{"title": "Saving for tools"}, {"title": "Reading a payslip"}}})

	t.Run("the same milestone: one winner", func(t *testing.T) {
		en := w.enroll(trackID, w.m1, w.c1)
		statuses := make([]int, 8)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = e.Do("POST", "/api/v1/enrollments/"+en+"/milestones/"+ms[0]+"/complete", w.c1, map[string]any{}).Status
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[http.StatusOK] != 1 || count[http.StatusConflict] != 7 {
			t.Fatalf("statuses: %v", count)
		}
	})
	t.Run("different milestones: all land, one completion", func(t *testing.T) {
		en := w.enroll(trackID, w.m2, w.c1)
		statuses := make([]int, len(ms))
		var wg sync.WaitGroup
		for i, m := range ms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = e.Do("POST", "/api/v1/enrollments/"+en+"/milestones/"+m+"/complete", w.c1, map[string]any{}).Status
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusOK {
				t.Fatalf("milestone %d: status %d", i, s)
			}
		}
		d := e.Must(http.StatusOK, "GET", "/api/v1/enrollments/"+en, w.c1, nil)
		if d.Str("status") != "completed" || trObj(d.JSON, "progress", "completed") != 5.0 {
			t.Fatalf("after racing sign-offs: %s", d.Body)
		}
		completions := 0
		for _, h := range d.JSON["history"].([]any) {
			if h.(map[string]any)["action"] == "completed" {
				completions++
			}
		}
		if completions != 1 {
			t.Fatalf("%d completions recorded", completions)
		}
	})
}

type trEarnings map[string]int64

func (f trEarnings) EarnedByMaker(_ context.Context, ids []string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, id := range ids {
		if v, ok := f[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

// TestTrainingReportIncome: the report puts marketplace income beside each maker's outcome (a
// fixed stand-in here, so the figures are exact; the payments flow tests cover real earnings).
func TestTrainingReportIncome(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	ctx := context.Background()
	trackID, ms := w.createTrack(w.p1, w.c1, map[string]any{"name": "Literacy and numeracy", "milestones": []map[string]any{{"title": "Reading a price tag"}}})
	en := w.enroll(trackID, w.m1, w.c1)
	w.signOff(en, ms[0], w.c1, map[string]any{"completedOn": trDay(-100)})

	// A training service on the same records, with a fixed source of earnings.
	svc, err := training.New(ctx, w.e.DB, training.Deps{Programs: w.e.App.Programs.Registry(), Accounts: w.e.App.Accounts,
		Audit: w.e.App.Audit, Box: w.e.App.Box, Earnings: trEarnings{w.m1: 1234500}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.ProgramReport(ctx, w.e.Actor(w.c1ID), w.p1)
	if err != nil {
		t.Fatal(err)
	}
	income := map[string]int64{}
	for _, m := range r.Makers {
		income[m.MakerID] = *m.MarketplaceIncome
	}
	if !r.IncomeKnown || income[w.m1] != 1234500 || income[w.m2] != 0 || len(r.FollowUps) != 3 || *r.FollowUps[0].MarketplaceIncome != 1234500 {
		t.Fatalf("income: %v, follow-ups %+v", income, r.FollowUps)
	}
	if r.FollowUps[0].Status != "due" {
		t.Fatalf("3-month follow-up of a completion 100 days ago: %s", r.FollowUps[0].Status)
	}
}
