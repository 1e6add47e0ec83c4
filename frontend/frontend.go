// Package frontend is the HTML face of the marketplace: server-rendered pages for buyers, makers,
// coordinators and admins, in English, Hindi and Bengali. Every core task works without
// JavaScript (forms post and redirect); templates, styles and the one small script are embedded
// and served by the app itself, so no visitor's address leaks to a third party and the strict
// Content-Security-Policy holds (no inline styles or scripts anywhere).
package frontend

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/makerdata"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
	"github.com/fairhands/marketplace/ratelimit"
	"github.com/fairhands/marketplace/training"
)

// Deps are the services and settings the pages use; the app wires them.
type Deps struct {
	Logger   *slog.Logger
	Accounts *accounts.Service
	Programs *programs.Service
	Audit    *audit.Log
	Catalog  *catalog.Service
	Training *training.Service
	Payments *payments.Service
	// BaseURL is the public address, for invitation links and canonical URLs.
	BaseURL string
	// SessionSecret signs the guest cart cookie.
	SessionSecret string
	// RateLimitScale multiplies the login rate limit (0 means 1), as for the API.
	RateLimitScale float64
	// MakerData builds a maker's data export: the same exporter the API uses, so the download
	// from the pages and from the API never differ.
	MakerData *makerdata.Exporter
}

// Site serves the pages. Build it with New and mount it with Mount.
type Site struct {
	Deps
	tr        *translator
	pages     map[string]*pageTemplate
	static    map[string]*asset
	secure    bool
	loginRate *ratelimit.Keyed
}

// New parses the templates and loads the catalogues and static files once, so a mistake in any of
// them stops start-up instead of failing a visitor.
func New(d Deps) (*Site, error) {
	if len(d.SessionSecret) < 16 {
		return nil, fmt.Errorf("frontend: session secret too short")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	tr, err := newTranslator()
	if err != nil {
		return nil, fmt.Errorf("frontend translations: %w", err)
	}
	s := &Site{Deps: d, tr: tr, secure: strings.HasPrefix(d.BaseURL, "https://")}
	if s.static, err = loadStatic(); err != nil {
		return nil, fmt.Errorf("frontend static files: %w", err)
	}
	if s.pages, err = parseTemplates(s); err != nil {
		return nil, fmt.Errorf("frontend templates: %w", err)
	}
	scale := d.RateLimitScale
	if scale <= 0 {
		scale = 1
	}
	s.loginRate = ratelimit.New(10*scale, int(10*scale))
	return s, nil
}

// capForms bounds every page's request body: small for ordinary forms, and for multipart forms
// just above the photo upload's own cap (those handlers narrow it further), so no form can make
// the server read without end (found by the hostile-input tests: a 64 MB form to /login).
func capForms(c *gin.Context) {
	if c.Request.Body != nil && c.Request.Method != http.MethodGet {
		limit := int64(256 << 10)
		if strings.HasPrefix(c.GetHeader("Content-Type"), "multipart/") {
			limit = 11<<20 + 64<<10
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}

// Mount registers the pages on the engine. Every route is explicit: for any other web path the
// HTTP shell calls ErrorPage, so a reader gets the site's 404 in her language.
func (s *Site) Mount(r *gin.Engine) {
	r.GET("/static/:name", s.serveStatic)
	r.GET("/favicon.ico", s.favicon)
	r.GET("/robots.txt", s.robots)

	g := r.Group("", capForms, s.begin)
	// Buyers and everyone.
	g.GET("/", s.home)
	g.GET("/products", s.products)
	g.GET("/products/:id", s.product)
	g.GET("/makers/:id", s.makerPage)
	g.GET("/cart", s.cart)
	g.POST("/cart", s.cartUpdate)
	g.POST("/checkout", s.checkout)
	g.GET("/orders/:token", s.order)
	g.GET("/impact", s.impact)
	g.GET("/verify", s.verifyForm)
	g.GET("/verify/:code", s.verify)
	g.GET("/login", s.loginForm)
	g.POST("/login", s.login)
	g.GET("/login/code", s.loginCodeForm)
	g.POST("/login/code", s.loginCode)
	g.POST("/logout", s.logout)
	g.GET("/invite/:token", s.inviteForm)
	g.POST("/invite/:token", s.inviteAccept)
	g.GET("/register", s.registerForm)
	g.POST("/register", s.register)
	g.GET("/account/orders", s.need(), s.myOrders)
	g.GET("/account/orders/:id", s.need(), s.myOrder)
	g.GET("/account", s.need(), s.account)
	g.POST("/account/language", s.need(), s.setLanguage)
	g.POST("/account/logout-everywhere", s.need(), s.logoutEverywhere)
	tf := g.Group("/account/two-factor", s.need(accounts.RoleCoordinator, accounts.RoleAdmin))
	tf.GET("", s.twoFactorPage)
	tf.POST("/start", s.twoFactorStart)
	tf.POST("/confirm", s.twoFactorConfirm)
	tf.POST("/disable", s.twoFactorDisable)

	// Makers.
	m := g.Group("/maker", s.need(accounts.RoleMaker))
	m.GET("", s.makerHome)
	m.GET("/products/new", s.makerProductForm)
	m.POST("/products", s.makerProductCreate)
	m.GET("/products/:id", s.makerProductView)
	m.POST("/products/:id", s.makerProductUpdate)
	m.POST("/products/:id/photos", s.makerProductPhoto)
	m.POST("/products/:id/submit", s.makerProductSubmit)
	m.POST("/payouts", s.makerPayouts)
	m.GET("/data", s.makerData)
	m.POST("/data/consent", s.makerConsent)
	m.GET("/data/export", s.makerExportDownload)
	m.GET("/data/erase", s.makerEraseConfirm)
	m.POST("/data/erase", s.makerEraseDo)

	// Coordinators (admins may use these pages too).
	co := g.Group("/coordinator", s.need(accounts.RoleCoordinator, accounts.RoleAdmin))
	co.GET("", s.coordHome)
	co.GET("/programs/:id", s.coordDashboard)
	co.POST("/programs/:id/settings", s.coordSettings)
	co.GET("/programs/:id/shipping", s.coordShippingForm)
	co.POST("/programs/:id/shipping", s.coordShipping)
	co.POST("/programs/:id/payouts", s.coordProgramPayouts)
	co.GET("/programs/:id/makers/new", s.coordMakerForm)
	co.POST("/programs/:id/makers", s.coordMakerCreate)
	co.GET("/programs/:id/review", s.coordReviewQueue)
	co.GET("/programs/:id/training", s.coordTraining)
	co.POST("/programs/:id/attendance", s.coordAttendance)
	co.GET("/programs/:id/reports", s.coordReports)
	co.GET("/programs/:id/reports/:kind", s.coordReportCSV)
	co.GET("/programs/:id/gates", s.coordGates)
	co.POST("/programs/:id/gates", s.coordGatesChange)
	co.GET("/programs/:id/audit", s.coordAudit)
	co.GET("/programs/:id/audit.csv", s.coordAuditCSV)
	co.GET("/programs/:id/sales/new", s.coordSaleForm)
	co.POST("/programs/:id/sales", s.coordSale)
	co.GET("/programs/:id/disbursements", s.coordDisbursements)
	co.POST("/programs/:id/disbursements", s.coordDisburse)
	co.GET("/programs/:id/desk", s.coordDesk)
	co.GET("/fulfilments/:id/slip", s.coordSlip)
	co.POST("/fulfilments/:id/send", s.coordFulfilSend)
	co.POST("/fulfilments/:id/deliver", s.coordFulfilDeliver)
	co.POST("/fulfilments/:id/cancel", s.coordFulfilCancel)
	co.POST("/fulfilments/:id/refund", s.coordFulfilRefund)
	co.POST("/orders/:id/ship", s.coordShip)
	co.GET("/makers/:id", s.coordMaker)
	co.POST("/makers/:id/private", s.coordMakerPrivate)
	co.POST("/makers/:id/invite", s.coordMakerReinvite)
	co.POST("/makers/:id/invite/revoke", s.coordMakerRevokeInvite)
	co.GET("/makers/:id/products/new", s.coordProductForm)
	co.POST("/makers/:id/products", s.coordProductCreate)
	co.POST("/makers/:id/milestones", s.coordMilestone)
	co.POST("/makers/:id/milestones/undo", s.coordMilestoneUndo)
	// Training tasks: tracks made and edited, makers enrolled, follow-ups recorded.
	co.GET("/programs/:id/tracks/new", s.coordTrackNew)
	co.POST("/programs/:id/tracks", s.coordTrackCreate)
	co.GET("/tracks/:id", s.coordTrackEdit)
	co.POST("/tracks/:id", s.coordTrackUpdate)
	co.GET("/makers/:id/enrol", s.coordEnrolForm)
	co.POST("/makers/:id/enrol", s.coordEnrol)
	co.POST("/makers/:id/outcomes", s.coordOutcome)
	co.POST("/makers/:id/consent", s.coordConsent)
	co.GET("/makers/:id/export", s.coordExportDownload)
	co.GET("/makers/:id/erase", s.coordEraseConfirm)
	co.POST("/makers/:id/erase", s.coordEraseDo)
	co.GET("/products/:id", s.coordProduct)
	co.POST("/products/:id", s.coordProductUpdate)
	co.POST("/products/:id/photos", s.coordProductPhoto)
	co.POST("/products/:id/submit", s.coordProductSubmit)
	co.POST("/products/:id/approve", s.coordApprove)
	co.POST("/products/:id/reject", s.coordReject)

	// Listing editing (frontend/listing.go): every field, removing a photo, archiving.
	m.GET("/products/:id/edit", s.makerProductEditForm)
	m.POST("/products/:id/edit", s.makerProductEdit)
	m.POST("/products/:id/photos/:imageId/delete", s.makerPhotoRemove)
	m.POST("/products/:id/archive", s.productArchive)
	co.GET("/products/:id/edit", s.coordProductEditForm)
	co.POST("/products/:id/edit", s.coordProductEdit)
	co.POST("/products/:id/photos/:imageId/delete", s.coordPhotoRemove)
	co.POST("/products/:id/archive", s.productArchive)

	// Training records (frontend/training_records.go): withdrawing an enrolment, certificates
	// and the name printed on them (evidence photos come with the sign-off above).
	co.POST("/makers/:id/enrollments/:enrollment/withdraw", s.coordWithdraw)
	co.GET("/makers/:id/enrollments/:enrollment/certificate", s.coordCertificate)
	co.POST("/makers/:id/enrollments/:enrollment/certificate-name", s.coordCertificateName)
	m.GET("/training/:enrollment/certificate", s.makerCertificate)
	m.POST("/training/:enrollment/certificate-name", s.makerCertificateName)

	// Admin.
	ad := g.Group("/admin", s.need(accounts.RoleAdmin))
	ad.GET("", s.adminHome)
	ad.POST("/security", s.adminSecurity)
	ad.POST("/programs", s.adminCreateProgram)
	ad.GET("/programs/:id", s.adminProgram)
	ad.POST("/programs/:id/coordinators", s.adminAddCoordinator)
	ad.POST("/programs/:id/two-factor/reset", s.adminResetTwoFactor)
}
