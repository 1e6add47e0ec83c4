package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/programs"
)

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
	out, err := s.MakerData.Export(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="my-data.json"`)
	c.JSON(http.StatusOK, out)
}
