package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/programs"
)

// MakerDataSource returns one domain's part of everything stored about a maker, for the maker's
// data export; name is the key it appears under.
type MakerDataSource struct {
	Name string
	Load func(ctx context.Context, makerID string) (any, error)
}

func (s *Server) setConsent(c *gin.Context) {
	var in programs.ConsentInput
	if !bindJSON(c, &in) {
		return
	}
	consents, err := s.Programs.SetConsent(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"consent": consents})
}

func (s *Server) eraseMaker(c *gin.Context) {
	var in programs.EraseInput
	if !bindJSON(c, &in) {
		return
	}
	if err := s.Programs.Erase(c.Request.Context(), ActorOf(c), c.Param("id"), in); err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "erased"})
}

// exportMaker gives the maker (or their coordinator, audited) everything stored about them, as
// one JSON download.
func (s *Server) exportMaker(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	profile, err := s.Programs.MakerPrivate(ctx, ActorOf(c), id) // scope check and audit
	if err != nil {
		Fail(c, err)
		return
	}
	out := gin.H{"exportedAt": time.Now().UTC(), "profile": profile}
	for _, src := range s.MakerData {
		v, err := src.Load(ctx, id)
		if err != nil {
			Fail(c, fmt.Errorf("export %s: %w", src.Name, err))
			return
		}
		out[src.Name] = v
	}
	trail, err := s.Audit.List(ctx, audit.Query{RecordID: id, Limit: 1000})
	if err != nil {
		Fail(c, err)
		return
	}
	out["whoLookedAtMyRecord"] = audit.AsSeenByMaker(trail)
	if err := s.Audit.Record(ctx, ActorOf(c), "maker.export", "maker", id, profile.ProgramID, ""); err != nil {
		Fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="my-data.json"`)
	c.JSON(http.StatusOK, out)
}
