package frontend

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/training"
)

// coordGates shows the program's selling gates: which track a maker must complete before she
// may list goods of a category, with a form to add one and a button to remove each.
func (s *Site) coordGates(c *gin.Context) {
	st := stateOf(c)
	p := s.page(c, st.L.T("gates_title"))
	s.renderGates(c, http.StatusOK, p)
}

func (s *Site) renderGates(c *gin.Context, status int, p *Page) {
	st := stateOf(c)
	ctx := c.Request.Context()
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	gates, err := s.Training.Gates(ctx, st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	tracks, err := s.Training.Tracks(ctx, st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	cats, err := s.Catalog.Categories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Title = st.L.T("gates_title") + " · " + prog.Name
	p.D = map[string]any{"Program": prog, "Gates": gates, "Tracks": tracks, "Categories": cats}
	s.render(c, status, "coord_gates", p)
}

// coordGatesChange adds a gate (category and track) or removes one (remove = its index), and
// saves the whole list through the training service.
func (s *Site) coordGatesChange(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	gates, err := s.Training.Gates(ctx, st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	in := training.GatesInput{}
	for _, g := range gates {
		in.Gates = append(in.Gates, training.GateInput{Category: g.Category, TrackID: g.TrackID})
	}
	p := s.page(c, l.T("gates_title"))
	flash := "gate_added"
	if rm := c.PostForm("remove"); rm != "" {
		// The index names the gate; its track must still match, so a list that changed in
		// another tab never loses the wrong gate.
		i, err := strconv.Atoi(rm)
		if err != nil || i < 0 || i >= len(in.Gates) || in.Gates[i].TrackID != c.PostForm("track") {
			s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/gates", "")
			return
		}
		in.Gates, flash = append(in.Gates[:i:i], in.Gates[i+1:]...), "gate_removed"
	} else {
		cat, track := strings.TrimSpace(c.PostForm("category")), strings.TrimSpace(c.PostForm("trackId"))
		p.Form["category"], p.Form["trackId"] = cat, track
		if cat == "" {
			p.Errors["category"] = l.T("ferr_required")
		}
		if track == "" {
			p.Errors["trackId"] = l.T("gates_choose_track")
		}
		if len(p.Errors) > 0 {
			p.Errors["_"] = l.T("error_fix_fields")
			s.renderGates(c, http.StatusBadRequest, p)
			return
		}
		in.Gates = append(in.Gates, training.GateInput{Category: cat, TrackID: track})
	}
	if _, err := s.Training.SetGates(ctx, st.Actor, prog.ID, in); err != nil {
		if fault.KindOf(err) == fault.Internal {
			s.fail(c, err)
			return
		}
		s.fieldErrors(l, p, err)
		for k, v := range p.Errors {
			switch {
			case strings.HasSuffix(k, ".category"):
				p.Errors["category"] = v
			case strings.HasSuffix(k, ".trackId"):
				p.Errors["trackId"] = v
			}
		}
		s.renderGates(c, http.StatusBadRequest, p)
		return
	}
	s.redirectFlash(c, "/coordinator/programs/"+prog.ID+"/gates", flash)
}
