package training

import (
	"context"
	"io"
	"strconv"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/csvout"
)

// csvHeader names the columns of the report's CSV, one row per enrolment, for funders and
// spreadsheets.
var csvHeader = []string{
	"program", "track", "qualification", "track_version", "maker_id", "maker", "status",
	"enrolled_on", "completed_on", "withdrawn_on", "milestones_done", "milestones_total", "percent",
	"sessions_attended", "sessions_held", "attendance_rate", "last_activity", "needs_attention",
	"next_follow_up_months", "next_follow_up_due", "next_follow_up_status",
	"latest_outcome", "latest_outcome_date", "latest_outcome_verification", "latest_outcome_monthly_income",
	"marketplace_income", "currency",
}

// WriteCSV writes the report as CSV. Cells a spreadsheet would run as a formula (a maker-chosen
// name starting with "=") are defused (see csvout.Defuse).
func (r Report) WriteCSV(w io.Writer) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	makers := map[string]MakerReport{}
	for _, m := range r.Makers {
		makers[m.MakerID] = m
	}
	next := map[string]FollowUp{} // enrolment → first follow-up not yet done
	for _, f := range r.FollowUps {
		if _, seen := next[f.EnrollmentID]; !seen && f.Status != FollowUpDone {
			next[f.EnrollmentID] = f
		}
	}
	for _, t := range r.Tracks {
		for _, row := range t.Rows {
			m := makers[row.MakerID]
			rec := []string{r.ProgramName, t.Name, t.Qualification, strconv.Itoa(row.TrackVersion), row.MakerID,
				row.DisplayName, row.Status, row.EnrolledOn.String(), row.CompletedOn.String(), row.WithdrawnOn.String(),
				strconv.Itoa(row.Progress.Completed), strconv.Itoa(row.Progress.Total), strconv.Itoa(row.Progress.Percent),
				strconv.Itoa(row.SessionsAttended), strconv.Itoa(row.SessionsHeld), floatCell(row.AttendanceRate),
				row.LastActivity.String(), strconv.FormatBool(row.NeedsAttention)}
			if f, ok := next[row.EnrollmentID]; ok {
				rec = append(rec, strconv.Itoa(f.Months), f.Due.String(), f.Status)
			} else {
				rec = append(rec, "", "", "")
			}
			if o := m.LatestOutcome; o != nil {
				rec = append(rec, o.Status, o.Date.String(), o.Verification, intCell(o.MonthlyIncome))
			} else {
				rec = append(rec, "", "", "", "")
			}
			rec = append(rec, intCell(m.MarketplaceIncome), r.Currency)
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	return cw.Flush()
}

func floatCell(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', 2, 64)
}

func intCell(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

// ExportReport writes a program's report as CSV for its coordinators. An export leaves the
// system, so it is audited as an export of its own.
func (s *Service) ExportReport(ctx context.Context, actor accounts.Actor, programID string, w io.Writer) error {
	p, err := s.program(ctx, actor, programID)
	if err != nil {
		return err
	}
	r, err := s.buildReport(ctx, p)
	if err != nil {
		return err
	}
	if err := s.audit.Record(ctx, actor, "training.report_export", "program", programID, programID, "csv"); err != nil {
		return err
	}
	return r.WriteCSV(w)
}
