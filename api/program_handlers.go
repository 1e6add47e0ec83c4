package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/csvout"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

func faultFields(f map[string]string) error { return fault.Fields(f) }

func (s *Server) createProgram(c *gin.Context) {
	var in programs.CreateInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.Programs.CreateProgram(c.Request.Context(), ActorOf(c), in)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (s *Server) listPrograms(c *gin.Context) {
	ps, err := s.Programs.Programs(c.Request.Context(), ActorOf(c))
	if err != nil {
		Fail(c, err)
		return
	}
	if ps == nil { // buyers and visitors: the public directory
		dir, err := s.Programs.Directory(c.Request.Context())
		if err != nil {
			Fail(c, err)
			return
		}
		c.JSON(http.StatusOK, itemsBody(dir))
		return
	}
	c.JSON(http.StatusOK, itemsBody(ps))
}

func (s *Server) getProgram(c *gin.Context) {
	p, err := s.Programs.Program(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) updateProgram(c *gin.Context) {
	var in programs.SettingsInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.Programs.UpdateSettings(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) addCoordinator(c *gin.Context) {
	var in programs.AddCoordinatorInput
	if !bindJSON(c, &in) {
		return
	}
	id, token, err := s.Programs.AddCoordinator(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	if err != nil {
		Fail(c, err)
		return
	}
	body := gin.H{"id": id, "inviteToken": token}
	if token == "" {
		body["inviteToken"] = nil
		body["alreadyActive"] = true
	}
	c.JSON(http.StatusCreated, body)
}

func (s *Server) createMaker(c *gin.Context) {
	var in programs.CreateMakerInput
	if !bindJSON(c, &in) {
		return
	}
	id, token, err := s.Programs.CreateMaker(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": id, "inviteToken": token})
}

type makerSummary struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	Status         string `json:"status"`
	PayoutsEnabled bool   `json:"payoutsEnabled"`
}

func (s *Server) listMakers(c *gin.Context) {
	ms, err := s.Programs.Makers(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	out := make([]makerSummary, 0, len(ms))
	for _, m := range ms {
		out = append(out, makerSummary{ID: m.ID, DisplayName: m.DisplayName, Status: m.Status, PayoutsEnabled: m.PayoutsEnabled})
	}
	c.JSON(http.StatusOK, itemsBody(out))
}

func (s *Server) getMaker(c *gin.Context) {
	m, err := s.Programs.MakerPrivate(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) getMakerPublic(c *gin.Context) {
	m, err := s.Programs.PublicMaker(c.Request.Context(), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": m.ID, "displayName": m.DisplayName, "program": m.Program, "story": m.Story,
		"products": s.Catalog.MakerPublicProducts(c.Request.Context(), m.ID)})
}

func (s *Server) programAudit(c *gin.Context) {
	a := ActorOf(c)
	id := c.Param("id")
	if !a.Coordinates(id) {
		Fail(c, programs.ErrNotFound)
		return
	}
	bad := map[string]string{}
	format := queryOneOf(c, "format", "json", []string{"json", "csv"}, bad)
	if err := fault.Fields(bad); err != nil {
		Fail(c, err)
		return
	}
	entries, err := s.Audit.List(c.Request.Context(), audit.Query{ProgramIDs: []string{id}, Limit: 1000})
	if err != nil {
		Fail(c, err)
		return
	}
	if format == "csv" {
		rows := [][]string{{"at", "actorId", "actorRole", "action", "recordType", "recordId", "forMakerId", "ip", "detail"}}
		for _, e := range entries {
			rows = append(rows, []string{e.At.Format(time.RFC3339), e.ActorID, e.ActorRole, e.Action, e.RecordType, e.RecordID, e.ForMakerID, e.IP, e.Detail})
		}
		writeCSV(c, "audit-"+id+".csv", rows)
		return
	}
	c.JSON(http.StatusOK, itemsBody(entries))
}

// writeCSV sends rows as a CSV download, formula cells defused (see csvout.Defuse).
func writeCSV(c *gin.Context, filename string, rows [][]string) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Status(http.StatusOK)
	w := csvout.NewWriter(c.Writer)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			break
		}
	}
	if err := w.Flush(); err != nil {
		logger(c).Warn("send CSV", "file", filename, "err", err.Error())
	}
}

// revokeMakerInvite withdraws a maker's pending invitation links (her coordinators, admin).
func (s *Server) revokeMakerInvite(c *gin.Context) {
	n, err := s.Programs.RevokeMakerInvites(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "revoked", "revoked": n})
}
