package frontend

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
)

// makerHomeData is the maker's home: few words, big targets, numbers first.
type makerHomeData struct {
	Products      []productRow
	Live, Waiting int
	NeedChanges   int
	// Work is what she has to make or prepare, from packages not yet sent.
	Work           []payments.WorkLine
	Money          *moneyView
	Progress       *progressView
	PayoutsEnabled bool
	MakerID        string
}

func (s *Site) makerHome(c *gin.Context) {
	st := stateOf(c)
	ctx := c.Request.Context()
	m, _, err := s.makerProgram(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := makerHomeData{PayoutsEnabled: m.PayoutsEnabled, MakerID: m.ID}
	if d.Products, err = s.makerProductRows(ctx, st.Actor, m.ID); err != nil {
		s.fail(c, err)
		return
	}
	for _, r := range d.Products {
		switch r.Status {
		case catalog.StatusPublished:
			d.Live++
		case catalog.StatusPendingReview:
			d.Waiting++
		case "rejected":
			d.NeedChanges++
		}
	}
	if d.Work, err = s.Payments.MakerWork(ctx, st.Actor, m.ID); err != nil {
		s.fail(c, err)
		return
	}
	if d.Money, err = s.makerMoney(ctx, st.Actor, m.ID); err != nil {
		s.fail(c, err)
		return
	}
	if d.Progress, err = s.progress(ctx, st.Actor, m.ID); err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("maker_home_title", "Name", m.DisplayName))
	p.Maker = true
	p.D = d
	s.render(c, http.StatusOK, "maker_home", p)
}
