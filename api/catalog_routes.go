package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
)

// ctxRawBody is where limitBody may keep the request body as it was before the JSON cap, so an
// upload route can apply its own larger cap (http.MaxBytesReader nests: the inner cap wins).
const ctxRawBody = "rawBody"

// uploadSlack covers the multipart framing around the photo itself.
const uploadSlack = 1 << 20

// catalogRoutes lists the catalog endpoints: the public storefront, and the product lifecycle
// for makers and coordinators.
func (s *Server) catalogRoutes(g *gin.RouterGroup) {
	auth := requireLogin
	g.GET("/products", s.searchProducts)
	g.GET("/products/:id", s.getProduct)
	g.GET("/categories", s.listCategories)
	g.GET("/images/:id/:width", s.getImage)

	g.POST("/products", auth, s.createProduct)
	g.GET("/products/:id/private", auth, s.getProductPrivate)
	g.PATCH("/products/:id", auth, s.updateProduct)
	g.DELETE("/products/:id", auth, s.archiveProduct)
	g.POST("/products/:id/images", auth, s.uploadLimit.limit(), s.uploadProductImage)
	g.DELETE("/products/:id/images/:imageId", auth, s.deleteProductImage)
	g.POST("/products/:id/submit", auth, s.submitProduct)
	g.POST("/products/:id/approve", auth, s.approveProduct)
	g.POST("/products/:id/reject", auth, s.rejectProduct)
	g.POST("/products/:id/wage-exception", auth, s.grantWageException)
	g.GET("/makers/:id/products", auth, s.listMakerProducts)
	g.GET("/programs/:id/review-queue", auth, s.reviewQueue)
}

const jsonContentType = "application/json; charset=utf-8"

// searchProducts serves the storefront from the catalog's read model, already encoded.
func (s *Server) searchProducts(c *gin.Context) {
	raw := c.Request.URL.RawQuery
	if b, ok := s.Catalog.CachedPage(raw); ok {
		c.Data(http.StatusOK, jsonContentType, b)
		return
	}
	bad := map[string]string{}
	num := func(name string) int64 {
		v := c.Query(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad[name] = "must be a whole number"
		}
		return n
	}
	q := catalog.Query{Q: c.Query("q"), Category: c.Query("category"), ProgramID: c.Query("program"),
		MinPrice: num("minPrice"), MaxPrice: num("maxPrice"), Sort: c.Query("sort"),
		Page: int(min(max(num("page"), -1), 1<<30)), PerPage: int(min(max(num("perPage"), -1), 1<<30))}
	if err := fault.Fields(bad); err != nil {
		Fail(c, err)
		return
	}
	b, err := s.Catalog.SearchJSON(c.Request.Context(), q, raw)
	if err != nil {
		Fail(c, err)
		return
	}
	c.Data(http.StatusOK, jsonContentType, b)
}

func (s *Server) getProduct(c *gin.Context) {
	b, err := s.Catalog.PublicProductJSON(c.Request.Context(), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.Data(http.StatusOK, jsonContentType, b)
}

func (s *Server) listCategories(c *gin.Context) {
	cats, err := s.Catalog.Categories(c.Request.Context())
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, itemsBody(cats))
}

// getImage serves one rendition: public ones cacheable for catalog.PublicPhotoMaxAge and then
// revalidated by ETag (a withdrawn consent or a removed photo must leave caches within a day),
// private ones (a draft's photos, to its maker) uncached by shared caches.
func (s *Server) getImage(c *gin.Context) {
	width, err := strconv.Atoi(c.Param("width"))
	if err != nil {
		Fail(c, catalog.ErrImageNotFound)
		return
	}
	f, err := s.Catalog.Image(c.Request.Context(), ActorOf(c), c.Param("id"), width)
	if err != nil {
		Fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("ETag", f.ETag)
	if f.Public {
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(catalog.PublicPhotoMaxAge.Seconds()))+", must-revalidate")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	if match := c.GetHeader("If-None-Match"); match != "" && (match == f.ETag || match == "W/"+f.ETag || match == "*") {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "image/jpeg", f.Data)
}

// view answers a product with its fair-wage figures, as its maker and coordinators see it.
func (s *Server) view(c *gin.Context, status int, p catalog.Product, err error) {
	if err != nil {
		Fail(c, err)
		return
	}
	v, err := s.Catalog.View(c.Request.Context(), p)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(status, v)
}

func (s *Server) views(c *gin.Context, ps []catalog.Product, err error) {
	if err != nil {
		Fail(c, err)
		return
	}
	vs, err := s.Catalog.Views(c.Request.Context(), ps)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, itemsBody(vs))
}

func (s *Server) createProduct(c *gin.Context) {
	var in catalog.CreateInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.Catalog.Create(c.Request.Context(), ActorOf(c), in)
	s.view(c, http.StatusCreated, p, err)
}

func (s *Server) getProductPrivate(c *gin.Context) {
	p, err := s.Catalog.Product(c.Request.Context(), ActorOf(c), c.Param("id"))
	s.view(c, http.StatusOK, p, err)
}

func (s *Server) updateProduct(c *gin.Context) {
	var in catalog.UpdateInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.Catalog.Update(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	s.view(c, http.StatusOK, p, err)
}

func (s *Server) archiveProduct(c *gin.Context) {
	p, err := s.Catalog.Archive(c.Request.Context(), ActorOf(c), c.Param("id"))
	s.view(c, http.StatusOK, p, err)
}

func (s *Server) submitProduct(c *gin.Context) {
	p, err := s.Catalog.Submit(c.Request.Context(), ActorOf(c), c.Param("id"))
	s.view(c, http.StatusOK, p, err)
}

func (s *Server) approveProduct(c *gin.Context) {
	var in catalog.ReviewInput
	if !bindOptionalJSON(c, &in) {
		return
	}
	p, err := s.Catalog.Approve(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	s.view(c, http.StatusOK, p, err)
}

func (s *Server) rejectProduct(c *gin.Context) {
	var in catalog.ReviewInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.Catalog.Reject(c.Request.Context(), ActorOf(c), c.Param("id"), in.Reason)
	s.view(c, http.StatusOK, p, err)
}

func (s *Server) grantWageException(c *gin.Context) {
	var in catalog.ReviewInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.Catalog.GrantWageException(c.Request.Context(), ActorOf(c), c.Param("id"), in.Reason)
	s.view(c, http.StatusOK, p, err)
}

func (s *Server) listMakerProducts(c *gin.Context) {
	ps, err := s.Catalog.MakerProducts(c.Request.Context(), ActorOf(c), c.Param("id"))
	s.views(c, ps, err)
}

func (s *Server) reviewQueue(c *gin.Context) {
	ps, err := s.Catalog.ReviewQueue(c.Request.Context(), ActorOf(c), c.Param("id"))
	s.views(c, ps, err)
}

var (
	errNotMultipart = fault.New(fault.Invalid, "not_multipart", "send the photo as multipart/form-data in a field named image")
	errNoImageField = fault.New(fault.Invalid, "image_missing", "no photo found: send it in a multipart field named image")
)

// imageHint says how to send a product photo, for an upload that cannot be read.
const imageHint = "send a multipart/form-data form with the photo as a file in the field named image"

// uploadProductImage streams the multipart field "image" into the catalog, which re-encodes it
// (EXIF and GPS gone) before anything is stored. The upload gets its own cap of 10 MB plus
// framing instead of the JSON cap.
func (s *Server) uploadProductImage(c *gin.Context) {
	body := c.Request.Body
	if raw, ok := c.Get(ctxRawBody); ok {
		if rc, ok := raw.(io.ReadCloser); ok && rc != nil {
			body = rc
		}
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, body, catalog.MaxImageBytes+uploadSlack)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		Fail(c, errNotMultipart)
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF { // the form's proper end (a body cut short is a wrapped EOF)
			Fail(c, errNoImageField)
			return
		}
		if err != nil {
			Fail(c, uploadReadError(err, imageHint))
			return
		}
		if part.FormName() != "image" {
			_ = part.Close()
			continue
		}
		photo := &bodyReadTracker{r: part}
		img, err := s.Catalog.AddImage(c.Request.Context(), ActorOf(c), c.Param("id"), photo)
		if err = photo.readFailure(err, imageHint); err != nil {
			Fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, img)
		return
	}
}

func (s *Server) deleteProductImage(c *gin.Context) {
	p, err := s.Catalog.RemoveImage(c.Request.Context(), ActorOf(c), c.Param("id"), c.Param("imageId"))
	s.view(c, http.StatusOK, p, err)
}
