package api

import "github.com/gin-gonic/gin"

// paymentsRoutes lists the payments endpoints: checkout and Stripe's webhook, orders, makers'
// earnings and payouts, Stripe onboarding, offline sales and wage disbursements.
func (s *Server) paymentsRoutes(g *gin.RouterGroup) {
	auth := requireLogin
	g.POST("/checkout", s.checkoutLimit.limit(), s.checkout)
	g.POST("/stripe/webhook", s.stripeWebhook)

	g.GET("/orders", auth, s.listOrders)
	g.GET("/orders/by-token/:token", s.orderByToken)
	g.GET("/orders/:id", auth, s.getOrder)
	g.POST("/orders/:id/ship", auth, s.shipOrder)
	g.POST("/orders/:id/deliver", auth, s.deliverOrder)
	g.POST("/orders/:id/cancel", auth, s.cancelOrder)
	g.POST("/orders/:id/refund", auth, s.refundOrder)

	g.POST("/makers/:id/stripe/onboarding", auth, s.onboardMaker)
	g.GET("/makers/:id/stripe/onboarding/refresh", auth, s.refreshMakerOnboarding)
	g.GET("/makers/:id/earnings", auth, s.makerEarnings)

	g.POST("/programs/:id/stripe/onboarding", auth, s.onboardProgram)
	g.GET("/programs/:id/stripe/onboarding/refresh", auth, s.refreshProgramOnboarding)
	g.GET("/programs/:id/payouts", auth, s.programPayouts)
	g.POST("/programs/:id/disbursements", auth, s.recordDisbursement)
	g.GET("/programs/:id/disbursements", auth, s.listDisbursements)
	g.POST("/programs/:id/offline-sales", auth, s.offlineSale)
}
