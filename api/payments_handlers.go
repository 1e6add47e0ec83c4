package api

import (
	"html/template"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
)

func (s *Server) checkout(c *gin.Context) {
	var in payments.CheckoutInput
	if !bindJSON(c, &in) {
		return
	}
	res, err := s.Payments.Checkout(c.Request.Context(), ActorOf(c), in)
	if err != nil {
		outcome := "error"
		if fe, ok := fault.As(err); ok {
			outcome = fe.Code
		}
		s.Metrics.Count("checkout", outcome, 1)
		Fail(c, err)
		return
	}
	s.Metrics.Count("checkout", "created", 1)
	c.JSON(http.StatusCreated, res)
}

// stripeWebhook verifies and processes a Stripe event. Anything but 2xx makes Stripe deliver
// it again later, which is what a failed or premature event needs.
func (s *Server) stripeWebhook(c *gin.Context) {
	payload, err := io.ReadAll(c.Request.Body)
	if err != nil {
		Fail(c, jsonError(err))
		return
	}
	res, err := s.Payments.HandleWebhook(c.Request.Context(), payload, c.GetHeader("Stripe-Signature"))
	if err != nil {
		s.Metrics.Count("webhook", "refused", 1)
		Fail(c, err)
		return
	}
	outcome := "processed"
	if res.Duplicate {
		outcome = "duplicate"
	}
	s.Metrics.Count("webhook", outcome, 1)
	if !res.Created.IsZero() {
		s.Metrics.Set("webhook_lag_seconds", time.Since(res.Created).Seconds())
	}
	c.JSON(http.StatusOK, gin.H{"received": true, "duplicate": res.Duplicate})
}

// orderStatuses are the values ?status= may take on the order list.
var orderStatuses = []string{payments.StatusPendingPayment, payments.StatusPaid, payments.StatusPartlyShipped, payments.StatusShipped,
	payments.StatusDelivered, payments.StatusCancelled, payments.StatusRefunded}

// Paging of the order list.
const (
	defaultOrderLimit = 50
	maxOrderLimit     = 200
)

func (s *Server) listOrders(c *gin.Context) {
	bad := map[string]string{}
	q := payments.OrderQuery{
		Status: queryOneOf(c, "status", "", orderStatuses, bad),
		Limit:  queryInt(c, "limit", defaultOrderLimit, 1, maxOrderLimit, bad),
		Offset: queryInt(c, "offset", 0, 0, math.MaxInt64, bad),
	}
	if err := fault.Fields(bad); err != nil {
		Fail(c, err)
		return
	}
	items, err := s.Payments.Orders(c.Request.Context(), ActorOf(c), q)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, itemsBody(items))
}

func (s *Server) getOrder(c *gin.Context) {
	o, err := s.Payments.Order(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

// orderByToken serves a guest's order link as JSON; the token is the only credential.
func (s *Server) orderByToken(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	o, err := s.Payments.OrderByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

func (s *Server) shipOrder(c *gin.Context) {
	var in payments.ShipInput
	if !bindOptionalJSON(c, &in) {
		return
	}
	o, err := s.Payments.Ship(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	respondOrder(c, o, err)
}

func (s *Server) deliverOrder(c *gin.Context) {
	o, err := s.Payments.Deliver(c.Request.Context(), ActorOf(c), c.Param("id"))
	respondOrder(c, o, err)
}

func (s *Server) cancelOrder(c *gin.Context) {
	var in payments.CancelInput
	if !bindOptionalJSON(c, &in) {
		return
	}
	o, err := s.Payments.Cancel(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	respondOrder(c, o, err)
}

func (s *Server) refundOrder(c *gin.Context) {
	var in payments.RefundInput
	if !bindOptionalJSON(c, &in) {
		return
	}
	o, err := s.Payments.Refund(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	respondOrder(c, o, err)
}

func respondOrder(c *gin.Context, o payments.Order, err error) {
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

func (s *Server) onboardMaker(c *gin.Context) {
	o, err := s.Payments.OnboardMaker(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

// refreshMakerOnboarding is Stripe's refresh_url: the link expired or was used, so make a new
// one and send the browser on to it.
func (s *Server) refreshMakerOnboarding(c *gin.Context) {
	o, err := s.Payments.OnboardMaker(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	continueToStripe(c, o.URL)
}

func (s *Server) onboardProgram(c *gin.Context) {
	o, err := s.Payments.OnboardProgram(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

func (s *Server) refreshProgramOnboarding(c *gin.Context) {
	o, err := s.Payments.OnboardProgram(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	continueToStripe(c, o.URL)
}

var continueTemplate = template.Must(template.New("continue").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0;url={{.}}"><title>Continue to Stripe</title></head>
<body><main><h1>Set up payouts</h1><p><a href="{{.}}">Continue to Stripe</a> to finish setting up payouts.</p></main></body></html>
`))

// continueToStripe sends the browser to a fresh onboarding link with a page that moves on by
// itself (meta refresh, no script) and offers the link, so nothing follows a redirect off-site
// without a page of ours in between.
func continueToStripe(c *gin.Context, url string) {
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	if err := continueTemplate.Execute(c.Writer, url); err != nil {
		logger(c).Error("render onboarding page", "err", err.Error())
	}
}

func (s *Server) makerEarnings(c *gin.Context) {
	e, err := s.Payments.Earnings(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, e)
}

// parseDay reads a date (YYYY-MM-DD) or an RFC 3339 time. A date as the end of a range means
// the whole day.
func parseDay(v string, end bool) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	// A date whose UTC form falls outside years 0–9999 cannot be written back as JSON: refuse it
	// rather than answer an empty 200 (found by fuzzing).
	sane := func(t time.Time) bool { y := t.UTC().Year(); return y >= 0 && y <= 9999 }
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, sane(t)
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil && sane(t.UTC()) {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// programPayouts reports each maker's wages over ?from=&to= (dates, inclusive), as JSON or,
// with ?format=csv, as a spreadsheet download.
func (s *Server) programPayouts(c *gin.Context) {
	from, ok1 := parseDay(c.Query("from"), false)
	to, ok2 := parseDay(c.Query("to"), true)
	bad := map[string]string{}
	if !ok1 {
		bad["from"] = "must be a date like 2025-01-31 (years 0 to 9999)"
	}
	if !ok2 {
		bad["to"] = "must be a date like 2025-01-31 (years 0 to 9999)"
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" {
		bad["format"] = "must be one of: json, csv"
	}
	if err := fault.Fields(bad); err != nil {
		Fail(c, err)
		return
	}
	rep, err := s.Payments.Payouts(c.Request.Context(), ActorOf(c), c.Param("id"), from, to)
	if err != nil {
		Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	if format == "json" {
		c.JSON(http.StatusOK, rep)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="payouts-`+rep.ProgramID+`.csv"`)
	c.Status(http.StatusOK)
	if err := rep.WriteCSV(c.Writer); err != nil {
		logger(c).Warn("send payout CSV", "err", err.Error())
	}
}

func (s *Server) recordDisbursement(c *gin.Context) {
	var in payments.DisbursementInput
	if !bindJSON(c, &in) {
		return
	}
	d, err := s.Payments.RecordDisbursement(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, d)
}

func (s *Server) listDisbursements(c *gin.Context) {
	ds, err := s.Payments.Disbursements(c.Request.Context(), ActorOf(c), c.Param("id"), c.Query("makerId"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, itemsBody(ds))
}

func (s *Server) offlineSale(c *gin.Context) {
	var in payments.OfflineSaleInput
	if !bindJSON(c, &in) {
		return
	}
	o, err := s.Payments.OfflineSale(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, o)
}
