package frontend

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/money"
	"github.com/fairhands/marketplace/programs"
)

// Product categories offered in the form, each named in the maker's language. Categories are
// free text in the catalog; these are the ones the programs make.
var formCategories = []string{"jewellery", "accessories", "bags", "clothing", "home", "stationery", "toys"}

// productRow is a product in a list (maker home, coordinator pages).
type productRow struct {
	ID, Title, Status, Maker string
	Price                    int64
	Currency                 string
	Stock                    int
	MadeToOrder              bool
	LeadTimeDays             int
	UpdatedAt                time.Time
	Rejected                 bool
	Pic                      *Picture
}

// productForm is the add-a-product form, for a maker or a coordinator acting for one.
type productForm struct {
	Action     string
	Back       string
	Program    programs.Program
	Categories []string
	// The fair-price hint: one figure per hour of work, in whole units of the currency, and the
	// inputs the script needs to update it for the hours and materials typed.
	HourPrice string
	Fees      catalog.FeeConfig
	Symbol    string
	ForMaker  string // the maker's name when a coordinator acts for them
	// Edit is set when the form changes an existing product: no photo field (photos are on the
	// product's page), its status (a published one goes back to review when its content changes)
	// and the coordinator's reason when it was sent back.
	Edit   bool
	Status string
	Reason string
}

func (s *Site) newProductForm(prog programs.Program, action, back, forMaker string) productForm {
	return productForm{Action: action, Back: back, Program: prog, Categories: formCategories,
		HourPrice: wholeMoney(catalog.LowestFairPrice(0, 1, prog, s.Catalog.Fees), prog.Currency), Fees: s.Catalog.Fees, Symbol: money.Symbol(prog.Currency), ForMaker: forMaker}
}

// makerProgram loads the program of the signed-in maker.
func (s *Site) makerProgram(c *gin.Context) (programs.Maker, programs.Program, error) {
	st := stateOf(c)
	return s.Programs.Maker(c.Request.Context(), st.Actor, st.User.MakerID)
}

func (s *Site) makerProductForm(c *gin.Context) {
	st := stateOf(c)
	_, prog, err := s.makerProgram(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("product_new_title"))
	p.Maker = true
	p.Form["stock"], p.Form["hours"], p.Form["materials"] = "1", "1", "0"
	p.D = s.newProductForm(prog, "/maker/products", "/maker", "")
	s.render(c, http.StatusOK, "product_form", p)
}

func (s *Site) makerProductCreate(c *gin.Context) {
	_, prog, err := s.makerProgram(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.createProduct(c, prog, "", s.newProductForm(prog, "/maker/products", "/maker", ""), "/maker/products/")
}

func (s *Site) coordProductForm(c *gin.Context) {
	st := stateOf(c)
	m, prog, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("product_new_for", "Name", m.DisplayName))
	p.Form["stock"], p.Form["hours"], p.Form["materials"] = "1", "1", "0"
	p.D = s.newProductForm(prog, "/coordinator/makers/"+m.ID+"/products", "/coordinator/makers/"+m.ID, m.DisplayName)
	s.render(c, http.StatusOK, "product_form", p)
}

func (s *Site) coordProductCreate(c *gin.Context) {
	m, prog, err := s.scopedMaker(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.createProduct(c, prog, m.ID, s.newProductForm(prog, "/coordinator/makers/"+m.ID+"/products", "/coordinator/makers/"+m.ID, m.DisplayName), "/coordinator/products/")
}

// createProduct handles the multipart add-a-product form: it creates the draft, stores the photo
// (the catalog strips its metadata), and sends it for review when asked. Field mistakes re-render
// the form with the input kept; a refusal at submission (price under the living wage, training
// missing) lands on the product's page, which explains it.
func (s *Site) createProduct(c *gin.Context, prog programs.Program, makerID string, form productForm, viewPrefix string) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	p := s.page(c, l.T("product_new_title"))
	p.Maker = st.User.Role == accounts.RoleMaker
	p.D = form
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, catalog.MaxImageBytes+1<<20)
	if err := c.Request.ParseMultipartForm(4 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			p.Errors["photo"] = l.T("err_image_too_large")
			p.Errors["_"] = l.T("error_fix_fields")
			s.render(c, http.StatusRequestEntityTooLarge, "product_form", p)
			return
		}
		s.fail(c, fault.New(fault.Invalid, "bad_form", "the form could not be read: please try again"))
		return
	}
	defer func() {
		if c.Request.MultipartForm != nil {
			_ = c.Request.MultipartForm.RemoveAll()
		}
	}()
	v := readProductForm(c, l, p, prog.Currency)
	in := catalog.CreateInput{MakerID: makerID, Title: v.Title, Description: v.Description, Category: v.Category,
		Currency: prog.Currency, Price: v.Price, MaterialsCost: v.Materials, Stock: v.Stock, HoursOfWork: v.Hours,
		MadeToOrder: v.MadeToOrder, LeadTimeDays: v.LeadTimeDays}
	file, _, ferr := c.Request.FormFile("photo")
	if len(p.Errors) > 0 {
		p.Errors["_"] = l.T("error_fix_fields")
		if ferr == nil {
			p.Errors["photo"] = l.T("photo_choose_again")
			_ = file.Close()
		}
		s.render(c, http.StatusBadRequest, "product_form", p)
		return
	}
	prod, err := s.Catalog.Create(ctx, st.Actor, in)
	if err != nil {
		if ferr == nil {
			_ = file.Close()
		}
		if fault.KindOf(err) == fault.Invalid || fault.KindOf(err) == fault.Unprocessable {
			s.productFieldErrors(l, p, err)
			s.render(c, http.StatusBadRequest, "product_form", p)
			return
		}
		s.fail(c, err)
		return
	}
	view := viewPrefix + prod.ID
	if ferr == nil {
		_, err := s.Catalog.AddImage(ctx, st.Actor, prod.ID, file)
		_ = file.Close()
		if err != nil {
			if fault.KindOf(err) == fault.Internal {
				s.fail(c, err)
				return
			}
			c.Redirect(http.StatusSeeOther, view+"?problem=photo")
			return
		}
	}
	if c.PostForm("action") == "submit" {
		if problem := s.submitProblem(ctx, st.Actor, prod.ID); problem != "" {
			c.Redirect(http.StatusSeeOther, view+"?problem="+problem)
			return
		}
		s.redirectFlash(c, view, "product_submitted")
		return
	}
	s.redirectFlash(c, view, "product_saved")
}

// submitProblem sends a product for review and names what stopped it, if anything: "wage"
// (price under the living wage), "training", or "photo"-less problems as "other".
func (s *Site) submitProblem(ctx context.Context, actor accounts.Actor, id string) string {
	_, err := s.Catalog.Submit(ctx, actor, id)
	if err == nil {
		return ""
	}
	if fe, ok := fault.As(err); ok {
		switch fe.Code {
		case "below_living_wage":
			return "wage"
		case "training_required":
			return "training"
		case "already_submitted", "already_published":
			return ""
		}
	}
	s.Logger.Warn("submit product", "err", err.Error())
	return "other"
}

// leadTime reads the days a made-to-order product takes: a whole number from 1 to
// catalog.MaxLeadTimeDays.
func leadTime(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil && n >= 1 && n <= catalog.MaxLeadTimeDays
}

// productValues are the product form's fields, read and checked.
type productValues struct {
	Title, Description, Category string
	Price, Materials             int64
	Stock, LeadTimeDays          int
	Hours                        float64
	MadeToOrder                  bool
}

// readProductForm reads the product form (adding or editing) into p.Form, as typed, and puts a
// message in the reader's language next to each field that is wrong. The catalog checks again.
func readProductForm(c *gin.Context, l *Loc, p *Page, currency string) productValues {
	for _, k := range []string{"title", "description", "category", "price", "stock", "hours", "materials", "madeToOrder", "leadTimeDays"} {
		p.Form[k] = strings.TrimSpace(c.PostForm(k))
	}
	v := productValues{Title: p.Form["title"], Description: p.Form["description"], Category: p.Form["category"]}
	var err error
	if v.Price, err = money.Parse(p.Form["price"], currency); err != nil || v.Price <= 0 {
		p.Errors["price"] = l.T("err_money")
	}
	if v.Materials, err = money.Parse(p.Form["materials"], currency); err != nil && p.Form["materials"] != "" {
		p.Errors["materials"] = l.T("err_money")
	}
	v.MadeToOrder = p.Form["madeToOrder"] != ""
	if n, err := strconv.Atoi(p.Form["stock"]); (err != nil || n < 0) && !(v.MadeToOrder && p.Form["stock"] == "") {
		p.Errors["stock"] = l.T("err_whole_number")
	} else {
		v.Stock = n
	}
	if v.MadeToOrder {
		if n, ok := leadTime(p.Form["leadTimeDays"]); ok {
			v.LeadTimeDays = n
		} else {
			p.Errors["leadTimeDays"] = l.T("mto_err_days", "Max", catalog.MaxLeadTimeDays)
		}
	}
	if h, err := strconv.ParseFloat(strings.ReplaceAll(p.Form["hours"], ",", "."), 64); err != nil || h <= 0 || h > 2000 {
		p.Errors["hours"] = l.T("err_hours")
	} else {
		v.Hours = h
	}
	if v.Title == "" {
		p.Errors["title"] = l.T("ferr_required")
	}
	if v.Description == "" {
		p.Errors["description"] = l.T("ferr_required")
	}
	if v.Category == "" {
		p.Errors["category"] = l.T("err_choose_category")
	}
	return v
}

// productFieldErrors maps the catalog's field names onto the form's.
func (s *Site) productFieldErrors(l *Loc, p *Page, err error) {
	s.fieldErrors(l, p, err)
	rename := map[string]string{"hoursOfWork": "hours", "materialsCost": "materials"}
	for from, to := range rename {
		if m, ok := p.Errors[from]; ok {
			p.Errors[to] = m
			delete(p.Errors, from)
		}
	}
	if p.Errors["hours"] != "" {
		p.Errors["hours"] = l.T("err_hours")
	}
}

// privateProduct is a product as its maker and coordinators see it.
type privateProduct struct {
	V         catalog.ProductView
	Pics      []privatePic
	Bar       WageBar
	Problem   string
	Fair      bool
	Coord     bool
	MakerName string
	Base      string
}

// privatePic is a photo on the product's own page, with the id its remove button names.
type privatePic struct {
	Picture
	ID string
}

func (s *Site) loadPrivateProduct(c *gin.Context) (privateProduct, error) {
	st := stateOf(c)
	ctx := c.Request.Context()
	prod, err := s.Catalog.Product(ctx, st.Actor, c.Param("id"))
	if err != nil {
		return privateProduct{}, err
	}
	v, err := s.Catalog.View(ctx, prod)
	if err != nil {
		return privateProduct{}, err
	}
	d := privateProduct{V: v, Bar: wageBar(v.Wage.Breakdown, prod.Price, prod.Currency),
		Fair: v.Wage.Fair || prod.WageException != "", Base: "/maker/products/" + prod.ID}
	for _, img := range prod.Images {
		d.Pics = append(d.Pics, privatePic{Picture: picture(img), ID: img.ID})
	}
	switch c.Query("problem") {
	case "wage", "training", "photo", "other":
		d.Problem = c.Query("problem")
	}
	if st.User.Role != accounts.RoleMaker {
		d.Coord = true
		d.Base = "/coordinator/products/" + prod.ID
		if m, _, err := s.Programs.Maker(ctx, st.Actor, prod.MakerID); err == nil {
			d.MakerName = m.DisplayName
		}
	}
	return d, nil
}

func (s *Site) makerProductView(c *gin.Context) {
	d, err := s.loadPrivateProduct(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "product_private", s.privatePage(c, d))
}

func (s *Site) coordProduct(c *gin.Context) {
	d, err := s.loadPrivateProduct(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "product_private", s.privatePage(c, d))
}

// productSubmit sends a draft for review (the maker, or a coordinator for the maker).
func (s *Site) productSubmit(c *gin.Context, base string) {
	st := stateOf(c)
	id := c.Param("id")
	if _, err := s.Catalog.Product(c.Request.Context(), st.Actor, id); err != nil {
		s.fail(c, err)
		return
	}
	if problem := s.submitProblem(c.Request.Context(), st.Actor, id); problem != "" {
		c.Redirect(http.StatusSeeOther, base+id+"?problem="+problem)
		return
	}
	s.redirectFlash(c, base+id, "product_submitted")
}

func (s *Site) makerProductSubmit(c *gin.Context) { s.productSubmit(c, "/maker/products/") }
func (s *Site) coordProductSubmit(c *gin.Context) { s.productSubmit(c, "/coordinator/products/") }

// productUpdate changes price and stock (the changes a maker makes most, e.g. after a refusal),
// and made-to-order. A mistake shows the product's page again with what was typed and the
// message next to the field.
func (s *Site) productUpdate(c *gin.Context, base string) {
	st := stateOf(c)
	l := st.L
	d, err := s.loadPrivateProduct(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	prod := d.V.Product
	p := s.privatePage(c, d)
	var in catalog.UpdateInput
	for _, k := range []string{"price", "stock", "leadTimeDays"} {
		if v, ok := c.GetPostForm(k); ok {
			p.Form[k] = strings.TrimSpace(v)
		}
	}
	if v := p.Form["price"]; c.PostForm("price") != "" {
		// The price is typed in the product's currency, whose minor digits decide what "5.5" is.
		if price, err := money.Parse(v, prod.Currency); err != nil || price <= 0 {
			p.Errors["price"] = l.T("err_money")
		} else {
			in.Price = &price
		}
	}
	if was, ok := c.GetPostForm("stockWas"); ok {
		p.Form["stockWas"] = was
	}
	if v := p.Form["stock"]; c.PostForm("stock") != "" && v != p.Form["stockWas"] {
		// Only a changed count is written: a sale since the page opened keeps its count.
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			p.Errors["stock"] = l.T("err_whole_number")
		} else {
			in.Stock = &n
		}
	}
	if c.PostForm("mtoForm") != "" {
		mto := c.PostForm("madeToOrder") != ""
		in.MadeToOrder = &mto
		delete(p.Form, "madeToOrder")
		if mto {
			p.Form["madeToOrder"] = "1"
			if n, ok := leadTime(p.Form["leadTimeDays"]); ok {
				in.LeadTimeDays = &n
			} else {
				p.Errors["leadTimeDays"] = l.T("mto_err_days", "Max", catalog.MaxLeadTimeDays)
			}
		}
	}
	if len(p.Errors) > 0 {
		p.Errors["_"] = l.T("error_fix_fields")
		s.render(c, http.StatusBadRequest, "product_private", p)
		return
	}
	next, err := s.Catalog.Update(c.Request.Context(), st.Actor, prod.ID, in)
	if err != nil {
		if k := fault.KindOf(err); k == fault.Invalid || k == fault.Unprocessable || k == fault.Conflict {
			s.productFieldErrors(l, p, err)
			s.render(c, http.StatusUnprocessableEntity, "product_private", p)
			return
		}
		s.fail(c, err)
		return
	}
	if prod.Status == catalog.StatusPublished && next.Status == catalog.StatusPendingReview {
		s.redirectFlash(c, base+prod.ID, "listing_back_in_review")
		return
	}
	s.redirectFlash(c, base+prod.ID, "product_saved")
}

func (s *Site) makerProductUpdate(c *gin.Context) { s.productUpdate(c, "/maker/products/") }
func (s *Site) coordProductUpdate(c *gin.Context) { s.productUpdate(c, "/coordinator/products/") }

// productPhoto adds one more photo to a product.
func (s *Site) productPhoto(c *gin.Context, base string) {
	st := stateOf(c)
	id := c.Param("id")
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, catalog.MaxImageBytes+1<<20)
	file, _, err := c.Request.FormFile("photo")
	if err != nil {
		c.Redirect(http.StatusSeeOther, base+id+"?problem=photo")
		return
	}
	defer file.Close()
	if _, err := s.Catalog.AddImage(c.Request.Context(), st.Actor, id, file); err != nil {
		if k := fault.KindOf(err); k == fault.NotFound || k == fault.Internal {
			s.fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, base+id+"?problem=photo")
		return
	}
	s.redirectFlash(c, base+id, "product_saved")
}

func (s *Site) makerProductPhoto(c *gin.Context) { s.productPhoto(c, "/maker/products/") }
func (s *Site) coordProductPhoto(c *gin.Context) { s.productPhoto(c, "/coordinator/products/") }

// reviewRows lists the listings waiting for a coordinator's review, with maker names.
func (s *Site) reviewRows(ctx context.Context, a accounts.Actor, programID string) ([]productRow, error) {
	ps, err := s.Catalog.ReviewQueue(ctx, a, programID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	if ms, err := s.Programs.Makers(ctx, a, programID); err == nil {
		for _, m := range ms {
			names[m.ID] = m.DisplayName
		}
	}
	out := make([]productRow, 0, len(ps))
	for _, p := range ps {
		out = append(out, productRow{ID: p.ID, Title: p.Title, Status: p.Status, Maker: names[p.MakerID],
			Price: p.Price, Currency: p.Currency, UpdatedAt: p.UpdatedAt})
	}
	return out, nil
}

// makerProductRows lists a maker's products for the maker's and the coordinator's pages.
func (s *Site) makerProductRows(ctx context.Context, a accounts.Actor, makerID string) ([]productRow, error) {
	ps, err := s.Catalog.MakerProducts(ctx, a, makerID)
	if err != nil {
		return nil, err
	}
	out := make([]productRow, 0, len(ps))
	for _, p := range ps {
		if p.Status == catalog.StatusArchived {
			continue
		}
		r := productRow{ID: p.ID, Title: p.Title, Status: p.Status, Price: p.Price, Currency: p.Currency,
			Stock: p.Stock, MadeToOrder: p.MadeToOrder, LeadTimeDays: p.LeadTimeDays, UpdatedAt: p.UpdatedAt, Rejected: p.RejectReason != ""}
		if r.Rejected && p.Status == catalog.StatusDraft {
			r.Status = "rejected"
		}
		if len(p.Images) > 0 {
			pic := picture(p.Images[0])
			r.Pic = &pic
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Site) coordReviewQueue(c *gin.Context) {
	st := stateOf(c)
	prog, err := s.program(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	rows, err := s.reviewRows(c.Request.Context(), st.Actor, prog.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, st.L.T("coord_todo_review"))
	p.D = map[string]any{"Program": prog, "Rows": rows}
	s.render(c, http.StatusOK, "coord_review", p)
}

func (s *Site) coordApprove(c *gin.Context) {
	st := stateOf(c)
	id := c.Param("id")
	in := catalog.ReviewInput{WageException: strings.TrimSpace(c.PostForm("wageException"))}
	prod, err := s.Catalog.Approve(c.Request.Context(), st.Actor, id, in)
	if err != nil {
		s.reviewFailed(c, err)
		return
	}
	s.redirectFlash(c, "/coordinator/programs/"+prod.ProgramID+"/review", "approved")
}

func (s *Site) coordReject(c *gin.Context) {
	st := stateOf(c)
	id := c.Param("id")
	prod, err := s.Catalog.Reject(c.Request.Context(), st.Actor, id, strings.TrimSpace(c.PostForm("reason")))
	if err != nil {
		s.reviewFailed(c, err)
		return
	}
	s.redirectFlash(c, "/coordinator/programs/"+prod.ProgramID+"/review", "rejected")
}

// reviewFailed shows the product again with what went wrong next to the decision forms.
func (s *Site) reviewFailed(c *gin.Context, err error) {
	st := stateOf(c)
	if k := fault.KindOf(err); k == fault.NotFound || k == fault.Internal || k == fault.Forbidden {
		s.fail(c, err)
		return
	}
	d, lerr := s.loadPrivateProduct(c)
	if lerr != nil {
		s.fail(c, lerr)
		return
	}
	p := s.privatePage(c, d)
	s.fieldErrors(st.L, p, err)
	p.Form["reason"], p.Form["wageException"] = c.PostForm("reason"), c.PostForm("wageException")
	s.render(c, http.StatusUnprocessableEntity, "product_private", p)
}
