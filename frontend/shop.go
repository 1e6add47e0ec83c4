package frontend

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/programs"
)

// Picture is what a template needs for one responsive, lazy-loaded photo: the smallest
// rendition as src, every rendition in srcset, and the size so the page does not jump.
type Picture struct {
	Src, Srcset string
	W, H        int
}

// picture builds a Picture from a catalog image.
func picture(img catalog.Image) Picture {
	p := Picture{W: img.Width, H: img.Height}
	var set []string
	for _, w := range img.Widths {
		set = append(set, catalog.ImageURL(img.ID, w)+" "+strconv.Itoa(w)+"w")
	}
	p.Srcset = strings.Join(set, ", ")
	if len(img.Widths) > 0 {
		p.Src = catalog.ImageURL(img.ID, img.Widths[0])
	} else {
		p.Src = img.URL
	}
	if p.W == 0 || p.H == 0 {
		p.W, p.H = 640, 640
	}
	return p
}

// WageBar is the fair-wage breakdown drawn as one bar: four segments whose widths are the shares
// of the price, with the amounts written out in the legend (colour is never the only carrier).
type WageBar struct {
	Segs     []WageSeg
	Currency string
	Price    int64
	MakerPct int
}

// WageSeg is one part of the bar.
type WageSeg struct {
	Class  string
	Key    string
	Amount int64
	X, W   string // SVG coordinates on a 0..100 axis
	Pct    int
}

func wageBar(b catalog.WageBreakdown, price int64, currency string) WageBar {
	bar := WageBar{Currency: currency, Price: price}
	if price <= 0 {
		return bar
	}
	parts := []struct {
		class string
		amt   int64
	}{{"maker", b.Maker}, {"materials", b.Materials}, {"program", b.Program}, {"fees", b.Fees}}
	x := 0.0
	for _, p := range parts {
		if p.amt < 0 {
			p.amt = 0
		}
		w := float64(p.amt) * 100 / float64(price)
		bar.Segs = append(bar.Segs, WageSeg{Class: p.class, Key: "wage_" + p.class, Amount: p.amt,
			X: strconv.FormatFloat(x, 'f', 2, 64), W: strconv.FormatFloat(w, 'f', 2, 64), Pct: int(w + 0.5)})
		x += w
	}
	bar.MakerPct = bar.Segs[0].Pct
	return bar
}

// shopData is the data of the storefront pages.
type shopData struct {
	Page       catalog.Page
	Items      []card
	Categories []catalog.CategoryCount
	Programs   []programs.PublicProgram
	Prices     []priceRange
	Sorts      []string
	Q          catalog.Query
	PriceSel   string
	Pages      []pageLink
	Prev, Next string
	From, To   int
}

// card is a product in a grid.
type card struct {
	catalog.PublicProduct
	Pic   *Picture
	Maker string
}

func (s *Site) cards(l *Loc, ps []catalog.PublicProduct) []card {
	out := make([]card, 0, len(ps))
	for _, p := range ps {
		c := card{PublicProduct: p, Maker: makerName(l, p.Maker)}
		if len(p.Images) > 0 {
			pic := picture(p.Images[0])
			c.Pic = &pic
		}
		out = append(out, c)
	}
	return out
}

// makerName is a maker's public name; a maker without a public profile is "A maker" in the
// reader's language.
func makerName(l *Loc, m programs.PublicMaker) string {
	if m.DisplayName == "" || m.DisplayName == programs.AnonymousName {
		return l.T("maker_anonymous")
	}
	return m.DisplayName
}

// priceRange is one choice of the price filter; its value carries the API's minPrice/maxPrice
// (minor units), so the page's addresses use the same parameters as the API.
type priceRange struct {
	Value    string
	Min, Max int64
}

var priceRanges = []priceRange{
	{"0-50000", 0, 50000}, {"50000-100000", 50000, 100000}, {"100000-200000", 100000, 200000}, {"200000-0", 200000, 0},
}

type pageLink struct {
	N       int
	Href    string
	Current bool
}

func (s *Site) home(c *gin.Context) {
	st := stateOf(c)
	// Stripe's onboarding returns here; a maker belongs on their own page.
	if c.Query("stripe_onboarding") != "" && st.User.Role == "maker" {
		s.redirectFlash(c, "/maker", "payouts_returned")
		return
	}
	ctx := c.Request.Context()
	res, err := s.Catalog.Search(ctx, catalog.Query{Sort: catalog.SortNewest, PerPage: 8})
	if err != nil {
		s.fail(c, err)
		return
	}
	cats, err := s.Catalog.Categories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.page(c, "")
	p.Canonical = strings.TrimRight(s.BaseURL, "/") + "/"
	p.D = shopData{Page: res, Items: s.cards(st.L, res.Items), Categories: cats}
	s.render(c, http.StatusOK, "home", p)
}

// products is browse and search, with the API's parameters: q, category, program, minPrice,
// maxPrice (minor units), sort, page, perPage.
func (s *Site) products(c *gin.Context) {
	st := stateOf(c)
	l := st.L
	ctx := c.Request.Context()
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(c.Query(k)), 10, 64)
		return max(n, 0)
	}
	q := catalog.Query{Q: c.Query("q"), Category: c.Query("category"), ProgramID: c.Query("program"),
		MinPrice: num("minPrice"), MaxPrice: num("maxPrice"), Sort: c.Query("sort"),
		Page: int(min(num("page"), 100000)), PerPage: int(min(num("perPage"), catalog.MaxPerPage))}
	// The no-JS filter form sends the price range as one value.
	if pr := c.Query("price"); pr != "" {
		for _, r := range priceRanges {
			if r.Value == pr {
				q.MinPrice, q.MaxPrice = r.Min, r.Max
			}
		}
	}
	if q.MaxPrice > 0 && q.MinPrice > q.MaxPrice {
		q.MinPrice, q.MaxPrice = q.MaxPrice, q.MinPrice
	}
	switch q.Sort {
	case "", catalog.SortRelevance, catalog.SortNewest, catalog.SortPriceAsc, catalog.SortPriceDesc:
	default:
		q.Sort = ""
	}
	if len(q.Q) > 200 {
		q.Q = q.Q[:200]
	}
	res, err := s.Catalog.Search(ctx, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	cats, err := s.Catalog.Categories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := shopData{Page: res, Items: s.cards(l, res.Items), Categories: cats, Programs: s.Catalog.ProgramDirectory(), Prices: priceRanges,
		Sorts: []string{catalog.SortRelevance, catalog.SortNewest, catalog.SortPriceAsc, catalog.SortPriceDesc}, Q: q}
	for _, r := range priceRanges {
		if r.Min == q.MinPrice && r.Max == q.MaxPrice {
			d.PriceSel = r.Value
		}
	}
	if res.Total > 0 {
		d.From = (res.Page-1)*res.PerPage + 1
		d.To = min(res.Page*res.PerPage, res.Total)
	}
	pages := (res.Total + res.PerPage - 1) / max(res.PerPage, 1)
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range c.Request.URL.Query() {
			if k != "page" && k != "lang" && len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/products"
		}
		return "/products?" + v.Encode()
	}
	if pages > 1 {
		for n := max(1, res.Page-2); n <= min(pages, res.Page+2); n++ {
			d.Pages = append(d.Pages, pageLink{N: n, Href: link(n), Current: n == res.Page})
		}
		if res.Page > 1 {
			d.Prev = link(res.Page - 1)
		}
		if res.Page < pages {
			d.Next = link(res.Page + 1)
		}
	}
	title := l.T("shop_title")
	if q.Q != "" {
		title = l.T("shop_results_for", "Q", q.Q)
	}
	p := s.page(c, title)
	p.Canonical = strings.TrimRight(s.BaseURL, "/") + link(res.Page)
	p.D = d
	s.render(c, http.StatusOK, "products", p)
}

// productData is the product page.
type productData struct {
	P        catalog.PublicProduct
	Pics     []Picture
	Maker    string
	Bar      WageBar
	InCart   int
	Qtys     []int
	Gallery  []Picture
	MainLink string
}

func (s *Site) product(c *gin.Context) {
	st := stateOf(c)
	pp, err := s.Catalog.PublicProduct(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	d := productData{P: pp, Maker: makerName(st.L, pp.Maker), Bar: wageBar(pp.WageBreakdown, pp.Price, pp.Currency),
		InCart: s.readCart(c).qty(pp.ID)}
	for _, img := range pp.Images {
		d.Pics = append(d.Pics, picture(img))
	}
	for i := 1; i <= pp.Available(10); i++ {
		d.Qtys = append(d.Qtys, i)
	}
	p := s.page(c, pp.Title)
	p.Description = truncateRunes(pp.Description, 155)
	p.Canonical = strings.TrimRight(s.BaseURL, "/") + "/products/" + pp.ID
	p.D = d
	s.render(c, http.StatusOK, "product", p)
}

func (s *Site) makerPage(c *gin.Context) {
	st := stateOf(c)
	ctx := c.Request.Context()
	m, err := s.Programs.PublicMaker(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	name := makerName(st.L, m)
	p := s.page(c, name)
	p.Canonical = strings.TrimRight(s.BaseURL, "/") + "/makers/" + m.ID
	p.Description = st.L.T("maker_page_desc", "Name", name, "Program", m.Program.Name, "City", m.Program.City)
	p.D = map[string]any{"M": m, "Name": name, "Items": s.cards(st.L, s.Catalog.MakerPublicProducts(ctx, m.ID))}
	s.render(c, http.StatusOK, "maker_public", p)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// cartLineView is a cart line with the product as it is now.
type cartLineView struct {
	P        catalog.PublicProduct
	Pic      *Picture
	Maker    string
	Qty      int
	Qtys     []int
	Subtotal int64
	Short    bool // fewer in stock than wanted
}

// cartData is the cart page: lines, and totals per currency (programs may differ in currency).
type cartData struct {
	Lines  []cartLineView
	Totals []moneyTotal
	Gone   int
	// Packages are the cart split by workshop, each with its shipping to Country and the days
	// it needs before sending: what the buyer will pay, before paying.
	Packages []cartPackage
	Country  string
	// Total is items plus shipping (one currency); zero when it cannot be quoted.
	Total    int64
	Currency string
	NoShip   bool // some workshop does not ship to Country
}

// cartPackage is one workshop's part of the cart.
type cartPackage struct {
	Number, Of int
	Program    programs.PublicProgram
	Titles     []string
	Shipping   int64
	Days       int
	Ships      bool
}

type moneyTotal struct {
	Amount   int64
	Currency string
}

func (s *Site) cartView(c *gin.Context) (cartData, cartItems) {
	st := stateOf(c)
	items := s.readCart(c)
	var d cartData
	kept := cartItems{}
	totals := map[string]int64{}
	var order []string
	for _, it := range items {
		pp, err := s.Catalog.PublicProduct(c.Request.Context(), it.ProductID)
		if err != nil {
			d.Gone++
			continue
		}
		kept = append(kept, it)
		lv := cartLineView{P: pp, Maker: makerName(st.L, pp.Maker), Qty: it.Qty, Subtotal: pp.Price * int64(it.Qty), Short: pp.Available(it.Qty) < it.Qty}
		if len(pp.Images) > 0 {
			pic := picture(pp.Images[0])
			lv.Pic = &pic
		}
		for i := 1; i <= max(pp.Available(maxLineQty), it.Qty); i++ {
			lv.Qtys = append(lv.Qtys, i)
		}
		d.Lines = append(d.Lines, lv)
		if _, ok := totals[pp.Currency]; !ok {
			order = append(order, pp.Currency)
		}
		totals[pp.Currency] += lv.Subtotal
	}
	for _, cur := range order {
		d.Totals = append(d.Totals, moneyTotal{Amount: totals[cur], Currency: cur})
	}
	d.Country = strings.ToUpper(strings.TrimSpace(c.Request.FormValue("country")))
	if !countryRE.MatchString(d.Country) {
		d.Country = "IN"
	}
	if len(order) == 1 && len(kept) > 0 {
		var in []payments.ItemInput
		for _, it := range kept {
			in = append(in, payments.ItemInput{ProductID: it.ProductID, Quantity: it.Qty})
		}
		if q, err := s.Payments.Quote(c.Request.Context(), in, d.Country); err == nil {
			d.Total, d.Currency = q.Total, q.Currency
			for k, qp := range q.Packages {
				cp := cartPackage{Number: k + 1, Of: len(q.Packages), Shipping: qp.Shipping, Days: qp.DispatchDays, Ships: qp.Ships}
				for _, i := range qp.Items {
					if i < len(q.Items) {
						cp.Titles = append(cp.Titles, strconv.Itoa(q.Items[i].Quantity)+" × "+q.Items[i].Title)
					}
				}
				for _, l := range d.Lines {
					if l.P.Maker.Program.ID == qp.ProgramID {
						cp.Program = l.P.Maker.Program
						break
					}
				}
				d.NoShip = d.NoShip || !qp.Ships
				d.Packages = append(d.Packages, cp)
			}
		}
	}
	return d, kept
}

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)

func (s *Site) cart(c *gin.Context) {
	st := stateOf(c)
	d, kept := s.cartView(c)
	if d.Gone > 0 {
		s.writeCart(c, kept)
	}
	p := s.page(c, st.L.T("cart_title"))
	p.CartCount = kept.count()
	p.Form["country"] = d.Country
	if st.LoggedIn {
		p.Form["email"] = st.User.Email
	}
	p.D = d
	s.render(c, http.StatusOK, "cart", p)
}

// cartUpdate adds, changes or removes a line: product, qty, and mode "add" (add to what is there)
// or "set". It answers with a redirect, so the back button and reloads stay harmless.
func (s *Site) cartUpdate(c *gin.Context) {
	id := c.PostForm("product")
	if !productIDRE.MatchString(id) {
		s.fail(c, errBadForm)
		return
	}
	qty, err := strconv.Atoi(c.PostForm("qty"))
	if err != nil || qty < 0 {
		qty = 1
	}
	items := s.readCart(c)
	flash := "cart_updated"
	if c.PostForm("mode") == "add" {
		if _, err := s.Catalog.PublicProduct(c.Request.Context(), id); err != nil {
			s.fail(c, err)
			return
		}
		qty += items.qty(id)
		flash = "added_to_cart"
	}
	if c.PostForm("remove") != "" {
		qty = 0
	}
	s.writeCart(c, items.set(id, qty))
	to := "/cart"
	if r := safeNext(c.PostForm("back")); r != "" {
		to = r
	}
	s.redirectFlash(c, to, flash)
}

func (s *Site) verifyForm(c *gin.Context) {
	st := stateOf(c)
	if code := strings.TrimSpace(c.Query("code")); code != "" {
		c.Redirect(http.StatusSeeOther, "/verify/"+url.PathEscape(code))
		return
	}
	p := s.page(c, st.L.T("verify_title"))
	s.render(c, http.StatusOK, "verify", p)
}
