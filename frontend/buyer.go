package frontend

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/payments"
)

// registerForm is the buyers' sign-up page.
func (s *Site) registerForm(c *gin.Context) {
	st := stateOf(c)
	if st.LoggedIn {
		c.Redirect(http.StatusSeeOther, homeFor(st.User.Role))
		return
	}
	s.render(c, http.StatusOK, "register", s.page(c, st.L.T("register_title")))
}

// register creates a buyer account. Whether the e-mail already had one is never told (the
// service answers the same either way): both go on to the sign-in page with the same message.
func (s *Site) register(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	p := s.page(c, l.T("register_title"))
	in := accounts.RegisterInput{Name: strings.TrimSpace(c.PostForm("name")), Email: strings.TrimSpace(c.PostForm("email")),
		Password: c.PostForm("password")}
	p.Form["name"], p.Form["email"] = in.Name, in.Email
	if in.Name == "" {
		p.Errors["name"] = l.T("ferr_required")
	}
	if in.Email == "" {
		p.Errors["email"] = l.T("ferr_required")
	}
	if in.Password == "" {
		p.Errors["password"] = l.T("login_need_password")
	} else if msg := passwordError(l, accounts.RoleBuyer, in.Password); msg != "" {
		p.Errors["password"] = msg
	} else if in.Password != c.PostForm("password2") {
		p.Errors["password2"] = l.T("register_password_mismatch")
	}
	if len(p.Errors) > 0 {
		p.Errors["_"] = l.T("error_fix_fields")
		s.render(c, http.StatusBadRequest, "register", p)
		return
	}
	if !s.loginRate.Allow("register:" + c.ClientIP()) {
		c.Header("Retry-After", "60")
		p.Errors["_"] = l.T("err_rate_limited")
		s.render(c, http.StatusTooManyRequests, "register", p)
		return
	}
	if _, err := s.Accounts.Register(c.Request.Context(), in); err != nil {
		if fault.KindOf(err) == fault.Internal {
			s.fail(c, err)
			return
		}
		s.fieldErrors(l, p, err)
		s.render(c, http.StatusBadRequest, "register", p)
		return
	}
	s.redirectFlash(c, "/login", "registered")
}

// myOrders lists a signed-in buyer's orders, newest first.
func (s *Site) myOrders(c *gin.Context) {
	st := stateOf(c)
	v, err := s.Payments.Orders(c.Request.Context(), st.Actor, payments.OrderQuery{Limit: 100})
	if err != nil {
		s.fail(c, err)
		return
	}
	os, _ := v.([]payments.BuyerView)
	p := s.page(c, st.L.T("my_orders_title"))
	p.D = map[string]any{"Orders": os}
	c.Header("Cache-Control", "no-store")
	s.render(c, http.StatusOK, "my_orders", p)
}

// myOrder is one of the signed-in buyer's orders (as on its private link).
func (s *Site) myOrder(c *gin.Context) {
	st := stateOf(c)
	v, err := s.Payments.Order(c.Request.Context(), st.Actor, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	o, ok := v.(payments.BuyerView)
	if !ok { // staff looking at an order: their own pages show it
		s.notFound(c)
		return
	}
	c.Header("X-Robots-Tag", "noindex")
	c.Header("Cache-Control", "no-store")
	p := s.page(c, st.L.T("order_title", "Ref", shortRef(o.ID)))
	p.D = map[string]any{"O": o, "Ref": shortRef(o.ID)}
	s.render(c, http.StatusOK, "order", p)
}
