package frontend

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/money"
)

// Editing a listing after it is made: every field the catalog lets change (the maker her own, a
// coordinator their program's), removing a photo, and archiving. Another maker or another
// program's coordinator gets the 404 page from every route: the catalog answers ErrNotFound.

// editProductForm is the product form filled for editing prod; base is "/maker/products/" or
// "/coordinator/products/".
func (s *Site) editProductForm(c *gin.Context, prod catalog.Product, base string) (productForm, error) {
	st := stateOf(c)
	m, prog, err := s.Programs.Maker(c.Request.Context(), st.Actor, prod.MakerID)
	if err != nil {
		return productForm{}, err
	}
	forMaker := ""
	if !st.Actor.IsMaker(prod.MakerID) {
		forMaker = m.DisplayName
	}
	f := s.newProductForm(prog, base+prod.ID+"/edit", base+prod.ID, forMaker)
	f.Edit, f.Status, f.Reason = true, prod.Status, prod.RejectReason
	if prod.Category != "" && !slices.Contains(f.Categories, prod.Category) {
		f.Categories = append(slices.Clone(f.Categories), prod.Category) // a category set through the API
	}
	return f, nil
}

// productFormValues is a stored product as the form's fields.
func productFormValues(p catalog.Product) map[string]string {
	f := map[string]string{"title": p.Title, "description": p.Description, "category": p.Category,
		"price": money.Input(p.Price, p.Currency), "stock": strconv.Itoa(p.Stock),
		"hours": strconv.FormatFloat(p.HoursOfWork, 'f', -1, 64), "materials": money.Input(p.MaterialsCost, p.Currency)}
	if p.MadeToOrder {
		f["madeToOrder"], f["leadTimeDays"] = "1", strconv.Itoa(p.LeadTimeDays)
	}
	return f
}

// editPage starts the edit form's page for the product named in the path, or fails with the
// 404 page when the reader may not edit it.
func (s *Site) editPage(c *gin.Context, base string) (*Page, catalog.Product, bool) {
	st := stateOf(c)
	prod, err := s.Catalog.Product(c.Request.Context(), st.Actor, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return nil, prod, false
	}
	form, err := s.editProductForm(c, prod, base)
	if err != nil {
		s.fail(c, err)
		return nil, prod, false
	}
	p := s.page(c, st.L.T("listing_edit_title", "Title", prod.Title))
	p.Maker = st.User.Role == accounts.RoleMaker
	p.D = form
	return p, prod, true
}

func (s *Site) productEditForm(c *gin.Context, base string) {
	p, prod, ok := s.editPage(c, base)
	if !ok {
		return
	}
	if prod.Status == catalog.StatusArchived {
		c.Redirect(http.StatusSeeOther, base+prod.ID)
		return
	}
	p.Form = productFormValues(prod)
	p.Form["stockWas"] = p.Form["stock"]
	s.render(c, http.StatusOK, "product_form", p)
}

// productEdit saves every field of the form. A mistake re-renders the form with what was typed
// and the message next to the field; a draft may be sent for review in the same step.
func (s *Site) productEdit(c *gin.Context, base string) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	p, prod, ok := s.editPage(c, base)
	if !ok {
		return
	}
	v := readProductForm(c, l, p, prod.Currency)
	p.Form["stockWas"] = c.PostForm("stockWas")
	if len(p.Errors) > 0 {
		p.Errors["_"] = l.T("error_fix_fields")
		s.render(c, http.StatusBadRequest, "product_form", p)
		return
	}
	in := catalog.UpdateInput{Title: &v.Title, Description: &v.Description, Category: &v.Category, Price: &v.Price,
		HoursOfWork: &v.Hours, MaterialsCost: &v.Materials, MadeToOrder: &v.MadeToOrder, LeadTimeDays: &v.LeadTimeDays}
	if p.Form["stock"] != p.Form["stockWas"] {
		in.Stock = &v.Stock // unchanged stock is left alone: a sale since the form opened keeps its count
	}
	next, err := s.Catalog.Update(ctx, st.Actor, prod.ID, in)
	if err != nil {
		if k := fault.KindOf(err); k == fault.Invalid || k == fault.Unprocessable || k == fault.Conflict {
			s.productFieldErrors(l, p, err)
			s.render(c, http.StatusUnprocessableEntity, "product_form", p)
			return
		}
		s.fail(c, err)
		return
	}
	view := base + prod.ID
	if c.PostForm("action") == "submit" && next.Status == catalog.StatusDraft {
		if problem := s.submitProblem(ctx, st.Actor, prod.ID); problem != "" {
			c.Redirect(http.StatusSeeOther, view+"?problem="+problem)
			return
		}
		s.redirectFlash(c, view, "product_submitted")
		return
	}
	if prod.Status == catalog.StatusPublished && next.Status == catalog.StatusPendingReview {
		s.redirectFlash(c, view, "listing_back_in_review")
		return
	}
	s.redirectFlash(c, view, "product_saved")
}

func (s *Site) makerProductEditForm(c *gin.Context) { s.productEditForm(c, "/maker/products/") }
func (s *Site) coordProductEditForm(c *gin.Context) { s.productEditForm(c, "/coordinator/products/") }
func (s *Site) makerProductEdit(c *gin.Context)     { s.productEdit(c, "/maker/products/") }
func (s *Site) coordProductEdit(c *gin.Context)     { s.productEdit(c, "/coordinator/products/") }

// productPhotoRemove deletes one photo: from the product, the shop and its address at once.
func (s *Site) productPhotoRemove(c *gin.Context, base string) {
	st := stateOf(c)
	id := c.Param("id")
	if _, err := s.Catalog.RemoveImage(c.Request.Context(), st.Actor, id, c.Param("imageId")); err != nil {
		s.fail(c, err)
		return
	}
	s.redirectFlash(c, base+id, "photo_removed")
}

func (s *Site) makerPhotoRemove(c *gin.Context) { s.productPhotoRemove(c, "/maker/products/") }
func (s *Site) coordPhotoRemove(c *gin.Context) { s.productPhotoRemove(c, "/coordinator/products/") }

// productArchive takes a product off sale for good and goes back to the list it was on.
func (s *Site) productArchive(c *gin.Context) {
	st := stateOf(c)
	prod, err := s.Catalog.Archive(c.Request.Context(), st.Actor, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if st.Actor.IsMaker(prod.MakerID) {
		s.redirectFlash(c, "/maker", "product_archived")
		return
	}
	s.redirectFlash(c, "/coordinator/makers/"+prod.MakerID, "product_archived")
}

// privatePage starts a product's own page, its quick-change form filled from the product.
func (s *Site) privatePage(c *gin.Context, d privateProduct) *Page {
	st := stateOf(c)
	p := s.page(c, d.V.Title)
	p.Maker = st.User.Role == accounts.RoleMaker
	p.D = d
	for k, v := range productFormValues(d.V.Product) {
		if k == "price" || k == "stock" || k == "madeToOrder" || k == "leadTimeDays" {
			p.Form[k] = v
		}
	}
	p.Form["stockWas"] = p.Form["stock"]
	return p
}

// wholeMoney writes an amount rounded up to whole units of its currency ("₹104"), for hints
// where paise only get in the way.
func wholeMoney(minor int64, currency string) string {
	unit := int64(1)
	for range money.Digits(currency) {
		unit *= 10
	}
	whole := (minor + unit - 1) / unit * unit
	s := money.Format(whole, currency)
	if d := money.Digits(currency); d > 0 {
		s = strings.TrimSuffix(s, "."+strings.Repeat("0", d))
	}
	return s
}
