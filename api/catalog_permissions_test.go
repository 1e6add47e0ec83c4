package api_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"testing"
)

// smallJPEG is a tiny photo for upload rows.
func smallJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, nil)
	return buf.Bytes()
}

// matrixProduct makes a product of the maker in program A, moved on to status: "draft",
// "pending_review" or "published" (with a photo).
func matrixProduct(t *testing.T, w *world, status string) (productID, imageID string) {
	t.Helper()
	maker, coord := w.tokens["maker"], w.tokens["coordinator"]
	id := w.e.Must(http.StatusCreated, "POST", "/api/v1/products", maker, map[string]any{
		"title": "Brass earrings", "description": "Hand-hammered brass", "category": "jewellery",
		"price": 20000, "currency": "INR", "stock": 5, "hoursOfWork": 1, "materialsCost": 1000}).Str("id")
	img := send(t, w, "POST", "/api/v1/products/"+id+"/images", maker, multipartFile{"image", "p.jpg", smallJPEG()})
	if img.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", img.Status, img.Body)
	}
	if status != "draft" {
		w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", maker, nil)
	}
	if status == "published" {
		w.e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", coord, nil)
	}
	return id, img.Str("id")
}

// catalogRows are the catalog routes of the permission matrix.
func catalogRows() []row {
	ownerAndStaff := []string{"maker", "coordinator", "admin"}
	product := func(status, suffix string, body any) func(*testing.T, *world, string) (string, any) {
		return func(t *testing.T, w *world, role string) (string, any) {
			id, _ := matrixProduct(t, w, status)
			return "/api/v1/products/" + id + suffix, body
		}
	}
	return []row{
		{method: "GET", route: "/api/v1/products", allow: everyone},
		{method: "GET", route: "/api/v1/products/:id", allow: everyone, setup: product("published", "", nil)},
		{method: "GET", route: "/api/v1/categories", allow: everyone},
		{method: "GET", route: "/api/v1/images/:id/:width", allow: everyone, setup: func(t *testing.T, w *world, role string) (string, any) {
			id, _ := matrixProduct(t, w, "published")
			p := w.e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil)
			return p.JSON["images"].([]any)[0].(map[string]any)["url"].(string), nil
		}},
		{method: "POST", route: "/api/v1/products", allow: []string{"maker", "otherMaker", "coordinator", "admin"}, setup: func(t *testing.T, w *world, role string) (string, any) {
			body := map[string]any{"title": "Tote bag", "description": "Kantha stitch", "category": "bags",
				"price": 20000, "currency": "INR", "stock": 2, "hoursOfWork": 1, "materialsCost": 1000}
			if role != "maker" && role != "otherMaker" {
				body["makerId"] = w.makerID
			}
			return "", body
		}},
		{method: "GET", route: "/api/v1/products/:id/private", allow: ownerAndStaff, setup: product("draft", "/private", nil)},
		{method: "PATCH", route: "/api/v1/products/:id", allow: ownerAndStaff, setup: product("draft", "", map[string]any{"stock": 7})},
		{method: "DELETE", route: "/api/v1/products/:id", allow: ownerAndStaff, setup: product("draft", "", nil)},
		{method: "POST", route: "/api/v1/products/:id/images", allow: ownerAndStaff, setup: func(t *testing.T, w *world, role string) (string, any) {
			id, _ := matrixProduct(t, w, "draft")
			return "/api/v1/products/" + id + "/images", multipartFile{"image", "p.jpg", smallJPEG()}
		}},
		{method: "DELETE", route: "/api/v1/products/:id/images/:imageId", allow: ownerAndStaff, setup: func(t *testing.T, w *world, role string) (string, any) {
			id, img := matrixProduct(t, w, "draft")
			return "/api/v1/products/" + id + "/images/" + img, nil
		}},
		{method: "POST", route: "/api/v1/products/:id/submit", allow: ownerAndStaff, setup: product("draft", "/submit", nil)},
		{method: "POST", route: "/api/v1/products/:id/approve", allow: []string{"coordinator", "admin"}, setup: product("pending_review", "/approve", nil)},
		{method: "POST", route: "/api/v1/products/:id/reject", allow: []string{"coordinator", "admin"}, setup: product("pending_review", "/reject", map[string]string{"reason": "Please add a photo of the clasp"})},
		{method: "POST", route: "/api/v1/products/:id/wage-exception", allow: []string{"coordinator", "admin"}, setup: product("draft", "/wage-exception", map[string]string{"reason": "Sample piece for a fair, agreed with the maker"})},
		{method: "GET", route: "/api/v1/makers/:id/products", allow: ownerAndStaff, setup: makerPath("/products")},
		{method: "GET", route: "/api/v1/programs/:id/review-queue", allow: []string{"coordinator", "admin"}},
	}
}
