package frontend

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/csvout"
)

// auditRow is one line of a program's audit trail as its coordinators read it.
type auditRow struct {
	At               time.Time
	Who, Role        string
	Action, Record   string
	Detail, ForMaker string
}

// auditGroups are the filters of the audit page: an action prefix and its label key.
var auditGroups = []struct{ Prefix, Key string }{
	{"", "audit_all"}, {"maker.", "audit_makers"}, {"product.", "audit_products"}, {"order.", "audit_orders"},
	{"fulfilment.", "audit_packages"}, {"ledger.", "audit_money"}, {"enrollment.", "audit_training"}, {"export.", "audit_exports"},
}

// programAudit reads a program's trail, newest first, keeping the entries whose action starts
// with prefix and, when given, whose record is record.
func (s *Site) programAudit(ctx context.Context, programID, prefix, record string) ([]auditRow, error) {
	entries, err := s.Audit.List(ctx, audit.Query{ProgramIDs: []string{programID}, RecordID: record, Limit: 1000})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := ""
		if u, err := s.Accounts.User(ctx, id); err == nil && u.Role != "maker" {
			n = u.Name // staff by name; makers are never named here beyond their record id
		}
		names[id] = n
		return n
	}
	out := []auditRow{}
	for _, e := range entries {
		if prefix != "" && !strings.HasPrefix(e.Action, prefix) {
			continue
		}
		out = append(out, auditRow{At: e.At, Who: name(e.ActorID), Role: e.ActorRole, Action: e.Action,
			Record: e.RecordType + " " + e.RecordID, Detail: e.Detail, ForMaker: e.ForMakerID})
	}
	return out, nil
}

// coordAudit is a program's audit trail: who did what to which record and when, filterable by
// kind, newest first (the last 1,000 entries), with a CSV download.
func (s *Site) coordAudit(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	prefix := c.Query("kind")
	known := false
	for _, g := range auditGroups {
		known = known || g.Prefix == prefix
	}
	if !known {
		prefix = ""
	}
	record := strings.TrimSpace(c.Query("record"))
	if len(record) > 64 {
		record = record[:64]
	}
	rows, err := s.programAudit(c.Request.Context(), prog.ID, prefix, record)
	if err != nil {
		s.fail(c, err)
		return
	}
	shown := rows
	if len(shown) > 200 {
		shown = shown[:200]
	}
	type filter struct {
		Label, Href string
		Current     bool
	}
	var fs []filter
	for _, g := range auditGroups {
		q := url.Values{}
		if g.Prefix != "" {
			q.Set("kind", g.Prefix)
		}
		href := "/coordinator/programs/" + prog.ID + "/audit"
		if len(q) > 0 {
			href += "?" + q.Encode()
		}
		fs = append(fs, filter{Label: st.L.T(g.Key), Href: href, Current: g.Prefix == prefix})
	}
	p := s.page(c, st.L.T("audit_title")+" · "+prog.Name)
	p.Form["record"] = record
	p.D = map[string]any{"Program": prog, "Rows": shown, "Total": len(rows), "Filters": fs, "Kind": prefix}
	c.Header("Cache-Control", "no-store")
	s.render(c, http.StatusOK, "coord_audit", p)
}

// coordAuditCSV downloads the program's trail as CSV (formula cells defused); the download is
// itself recorded.
func (s *Site) coordAuditCSV(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	rows, err := s.programAudit(c.Request.Context(), prog.ID, "", "")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Audit.Record(c.Request.Context(), st.Actor, "export.audit_csv", "program", prog.ID, prog.ID, "audit trail"); err != nil {
		s.fail(c, err)
		return
	}
	var b strings.Builder
	w := csvout.NewWriter(&b)
	_ = w.Write([]string{"at", "who", "role", "action", "record", "forMakerId", "detail"})
	for _, r := range rows {
		_ = w.Write([]string{r.At.UTC().Format(time.RFC3339), r.Who, r.Role, r.Action, r.Record, r.ForMaker, r.Detail})
	}
	w.Flush()
	name := "audit-" + s.now().Format("2006-01-02") + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	s.write(c, http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}
