package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
)

var fulfilmentStatuses = []string{payments.FulfilToPrepare, payments.FulfilSent, payments.FulfilDelivered, payments.FulfilCancelled, payments.FulfilRefunded}

// fulfilmentRoutes lists the package endpoints: a program's packages to prepare and send, and
// each package's send, deliver, cancel and refund.
func (s *Server) fulfilmentRoutes(g *gin.RouterGroup) {
	auth := requireLogin
	g.GET("/programs/:id/fulfilments", auth, s.listFulfilments)
	g.GET("/fulfilments/:id", auth, s.getFulfilment)
	g.POST("/fulfilments/:id/send", auth, s.sendFulfilment)
	g.POST("/fulfilments/:id/deliver", auth, s.deliverFulfilment)
	g.POST("/fulfilments/:id/cancel", auth, s.cancelFulfilment)
	g.POST("/fulfilments/:id/refund", auth, s.refundFulfilment)
}

func (s *Server) listFulfilments(c *gin.Context) {
	bad := map[string]string{}
	q := payments.FulfilmentQuery{
		Status:    queryOneOf(c, "status", "", fulfilmentStatuses, bad),
		Reference: c.Query("reference"),
		Limit:     int(queryInt(c, "limit", 100, 1, 200, bad)),
	}
	if len(q.Reference) > 40 {
		bad["reference"] = "must be at most 40 characters"
	}
	if err := fault.Fields(bad); err != nil {
		Fail(c, err)
		return
	}
	items, err := s.Payments.Fulfilments(c.Request.Context(), ActorOf(c), c.Param("id"), q)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, itemsBody(items))
}

func (s *Server) getFulfilment(c *gin.Context) {
	f, err := s.Payments.Fulfilment(c.Request.Context(), ActorOf(c), c.Param("id"))
	respondFulfilment(c, f, err)
}

func (s *Server) sendFulfilment(c *gin.Context) {
	var in payments.ShipInput
	if !bindOptionalJSON(c, &in) {
		return
	}
	f, err := s.Payments.SendFulfilment(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	respondFulfilment(c, f, err)
}

func (s *Server) deliverFulfilment(c *gin.Context) {
	f, err := s.Payments.DeliverFulfilment(c.Request.Context(), ActorOf(c), c.Param("id"))
	respondFulfilment(c, f, err)
}

func (s *Server) cancelFulfilment(c *gin.Context) {
	var in payments.CancelInput
	if !bindOptionalJSON(c, &in) {
		return
	}
	f, err := s.Payments.CancelFulfilment(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	respondFulfilment(c, f, err)
}

func (s *Server) refundFulfilment(c *gin.Context) {
	var in payments.RefundInput
	if !bindOptionalJSON(c, &in) {
		return
	}
	f, err := s.Payments.RefundFulfilment(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	respondFulfilment(c, f, err)
}

func respondFulfilment(c *gin.Context, f payments.FulfilmentView, err error) {
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, f)
}
