package api

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/httpserver"
	"github.com/fairhands/marketplace/money"
	"github.com/fairhands/marketplace/payments"
)

// MountTestPayment adds the test-payment page on the engine's root (not under /api/v1): when the
// app runs without STRIPE_SECRET_KEY, checkout sends the buyer to /checkout/test/<order id>
// ?token=<order token>, a plain, clearly labelled page whose "Pay (test)" button completes the
// order through the same function Stripe's checkout.session.completed event calls. It works
// without JavaScript; the form posts back to the same origin, which the app's cross-origin
// protection guards against CSRF. With Stripe configured the page does not exist (404).
func (s *Server) MountTestPayment(r gin.IRoutes) {
	r.GET("/checkout/test/:orderId", s.testPaymentPage)
	r.POST("/checkout/test/:orderId", s.testPaymentPay)
}

type testPayForm struct {
	Token string `form:"token" binding:"required,max=64"`
}

var testPayTemplate = template.Must(template.New("testpay").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>TEST payment (no real money)</title>
</head>
<body>
<main>
<p role="alert"><strong>TEST PAYMENT: no real money moves.</strong>
This marketplace is running without Stripe (demo mode). The button below marks the order as paid,
exactly as a real payment would, but nobody is charged and no maker is paid.</p>
<h1>Pay for your order (test)</h1>
{{if .Message}}<p role="status"><strong>{{.Message}}</strong></p>{{end}}
<table>
<caption>Your order</caption>
<thead><tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col">Price</th></tr></thead>
<tbody>
{{range .Items}}<tr><td>{{.Title}}</td><td>{{.Quantity}}</td><td>{{.Total}}</td></tr>
{{end}}{{range .Shipping}}<tr><td>{{.Title}}</td><td></td><td>{{.Total}}</td></tr>
{{end}}</tbody>
<tfoot><tr><th scope="row" colspan="2">Total</th><td><strong>{{.Total}}</strong></td></tr></tfoot>
</table>
{{if .Payable}}
<form method="post" action="/checkout/test/{{.OrderID}}">
<input type="hidden" name="token" value="{{.Token}}">
<button type="submit">Pay (test)</button>
</form>
{{else}}
<p>This order is <strong>{{.Status}}</strong>.{{if .OrderURL}} <a href="{{.OrderURL}}">See your order</a>.{{end}}</p>
{{end}}
</main>
</body>
</html>
`))

type testPayLine struct {
	Title    string
	Quantity int
	Total    string
}

type testPayPage struct {
	OrderID  string
	Token    string
	Items    []testPayLine
	Shipping []testPayLine
	Total    string
	Status   string
	Payable  bool
	Message  string
	OrderURL string
}

func (s *Server) renderTestPay(c *gin.Context, status int, o payments.Order, token, msg string) {
	p := testPayPage{OrderID: o.ID, Token: token, Total: money.Format(o.Total, o.Currency),
		Status: strings.ReplaceAll(o.Status, "_", " "), Payable: o.Status == payments.StatusPendingPayment, Message: msg}
	if !p.Payable {
		p.OrderURL = s.Payments.OrderURL(token)
	}
	for _, it := range o.Items {
		p.Items = append(p.Items, testPayLine{Title: it.Title, Quantity: it.Quantity, Total: money.Format(it.Total, o.Currency)})
	}
	fs := o.Packages()
	for k, f := range fs {
		if f.Shipping <= 0 {
			continue
		}
		title := "Shipping"
		if len(fs) > 1 {
			title = fmt.Sprintf("Shipping, package %d of %d (sent within %d days)", k+1, len(fs), f.DispatchDays)
		}
		p.Shipping = append(p.Shipping, testPayLine{Title: title, Total: money.Format(f.Shipping, o.Currency)})
	}
	c.Header("Cache-Control", "no-store")
	c.Header("X-Robots-Tag", "noindex")
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := testPayTemplate.Execute(c.Writer, p); err != nil {
		logger(c).Error("render test-payment page", "err", err.Error())
	}
}

func (s *Server) testPaymentPage(c *gin.Context) {
	token := c.Query("token")
	o, err := s.Payments.TestPaymentOrder(c.Request.Context(), c.Param("orderId"), token)
	if err != nil {
		s.testPayFail(c, err)
		return
	}
	s.renderTestPay(c, http.StatusOK, o, token, "")
}

func (s *Server) testPaymentPay(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 4<<10)
	var f testPayForm
	if err := c.ShouldBind(&f); err != nil {
		s.testPayFail(c, fault.New(fault.Invalid, "invalid_form", "the payment form is incomplete: open the payment page again"))
		return
	}
	o, err := s.Payments.PayTestOrder(c.Request.Context(), c.Param("orderId"), f.Token)
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) && fe.Kind == fault.Conflict {
			if cur, lerr := s.Payments.TestPaymentOrder(c.Request.Context(), c.Param("orderId"), f.Token); lerr == nil {
				s.renderTestPay(c, http.StatusConflict, cur, f.Token, fe.Message)
				return
			}
		}
		s.testPayFail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, s.Payments.OrderURL(f.Token)+"?paid="+o.ID)
}

// testPayFail answers a plain-text error page: these are browser pages, not JSON.
func (s *Server) testPayFail(c *gin.Context, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong on our side; please try again."
	if st, fe, ok := httpserver.Classify(err); ok && st < 500 {
		status, msg = st, fe.Message
	}
	if status == http.StatusNotFound {
		msg = "This payment page does not exist or its link is not complete."
	}
	if status >= 500 {
		logger(c).Error("test payment", "err", err.Error())
	}
	c.Header("Cache-Control", "no-store")
	c.String(status, "%s\n", msg)
}
