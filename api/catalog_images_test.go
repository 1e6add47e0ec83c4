package api_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app/apptest"
)

// gpsRationals are the coordinates written into the test photo's EXIF (22°34'12.34"N,
// 88°21'45.67"E), as little-endian RATIONALs: the bytes that must never come out again.
var (
	gpsLat = rationalsLE([3][2]uint32{{22, 1}, {34, 1}, {1234, 100}})
	gpsLon = rationalsLE([3][2]uint32{{88, 1}, {21, 1}, {4567, 100}})
)

func rationalsLE(v [3][2]uint32) []byte {
	var b []byte
	for _, r := range v {
		b = binary.LittleEndian.AppendUint32(b, r[0])
		b = binary.LittleEndian.AppendUint32(b, r[1])
	}
	return b
}

// exifWithGPS builds a little-endian EXIF TIFF block whose IFD0 points to a GPS IFD holding a
// latitude and longitude, the way phone cameras write them.
func exifWithGPS() []byte {
	le := binary.LittleEndian
	const gpsIFD = 8 + 2 + 12 + 4      // after the header and IFD0's one entry
	const data = gpsIFD + 2 + 4*12 + 4 // after the GPS IFD's four entries
	b := []byte("II")
	b = le.AppendUint16(b, 42)
	b = le.AppendUint32(b, 8)
	entry := func(tag, typ uint16, count uint32, value []byte) {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		b = append(b, value...)
	}
	b = le.AppendUint16(b, 1)
	entry(0x8825, 4, 1, le.AppendUint32(nil, gpsIFD)) // GPSInfo
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, 4)
	entry(0x0001, 2, 2, []byte("N\x00\x00\x00"))
	entry(0x0002, 5, 3, le.AppendUint32(nil, data))
	entry(0x0003, 2, 2, []byte("E\x00\x00\x00"))
	entry(0x0004, 5, 3, le.AppendUint32(nil, data+24))
	b = le.AppendUint32(b, 0)
	b = append(b, gpsLat...)
	return append(b, gpsLon...)
}

// photoWithGPS is a JPEG of w×h pixels with an APP1 EXIF segment carrying GPS coordinates.
func photoWithGPS(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00"), exifWithGPS()...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	raw := buf.Bytes()
	out := append(append(append([]byte{}, raw[:2]...), seg...), raw[2:]...)
	if !bytes.Contains(out, gpsLat) || !bytes.Contains(out, []byte("Exif")) {
		t.Fatal("test photo lacks its GPS tags")
	}
	return out
}

// jpegSegments lists the marker bytes of a JPEG's header segments up to the image data.
func jpegSegments(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatalf("not a JPEG: % x", b[:min(len(b), 8)])
	}
	var markers []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("bad segment at %d", i)
		}
		m := b[i+1]
		markers = append(markers, m)
		if m == 0xDA { // start of scan: entropy-coded data follows
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return markers
}

// upload posts a multipart body with the file in field.
func upload(e *apptest.Env, productID, token, field string, data []byte) apptest.Response {
	e.TB.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("caption", "ignored")
	fw, _ := mw.CreateFormFile(field, "photo.jpg")
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.Server.URL+"/api/v1/products/"+productID+"/images", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.Send(req)
}

func getImage(e *apptest.Env, url, token, etag string) apptest.Response {
	e.TB.Helper()
	req, _ := http.NewRequest("GET", e.Server.URL+url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	return e.Send(req)
}

func storedFiles(t *testing.T, e *apptest.Env) int64 {
	t.Helper()
	n, err := e.DB.Read("images.files").CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProductPhotos(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	e := s.e
	id := s.create(s.m1t, earrings())
	photo := photoWithGPS(t, 900, 600)

	r := upload(e, id, s.m1t, "image", photo)
	if r.Status != http.StatusCreated || r.Str("id") == "" || !strings.HasPrefix(r.Str("url"), "/api/v1/images/") {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	imgID, url := r.Str("id"), r.Str("url")
	widths := r.JSON["widths"].([]any)
	if len(widths) != 3 || widths[2].(float64) != 900 {
		t.Fatalf("renditions: %s", r.Body)
	}

	t.Run("EXIF and GPS are gone from every stored rendition", func(t *testing.T) {
		cur, err := e.DB.Read("images.chunks").Find(context.Background(), bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var chunks []struct {
			Data []byte `bson:"data"`
		}
		if err := cur.All(context.Background(), &chunks); err != nil || len(chunks) == 0 {
			t.Fatalf("chunks: %d %v", len(chunks), err)
		}
		for _, c := range chunks {
			if bytes.Contains(c.Data, gpsLat) || bytes.Contains(c.Data, gpsLon) || bytes.Contains(c.Data, []byte("Exif")) {
				t.Fatal("a stored chunk still carries the EXIF GPS data")
			}
		}
		for _, w := range widths {
			g := getImage(e, "/api/v1/images/"+imgID+"/"+strconv.Itoa(int(w.(float64))), s.m1t, "")
			if g.Status != 200 || g.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("rendition %v: %d %s", w, g.Status, g.Body)
			}
			for _, m := range jpegSegments(t, g.Body) {
				if m == 0xE1 {
					t.Fatalf("rendition %v has an APP1 (EXIF/XMP) segment", w)
				}
			}
			if bytes.Contains(g.Body, gpsLat) || bytes.Contains(g.Body, gpsLon) || bytes.Contains(g.Body, []byte("Exif")) {
				t.Fatalf("rendition %v carries GPS data", w)
			}
			if _, err := jpeg.Decode(bytes.NewReader(g.Body)); err != nil {
				t.Fatalf("rendition %v does not decode: %v", w, err)
			}
		}
	})
	t.Run("a draft's photo is shown only to its maker and coordinators", func(t *testing.T) {
		if g := getImage(e, url, "", ""); g.Status != http.StatusNotFound {
			t.Fatalf("anonymous sees a draft's photo: %d", g.Status)
		}
		if g := getImage(e, url, s.m2t, ""); g.Status != http.StatusNotFound {
			t.Fatalf("another maker sees a draft's photo: %d", g.Status)
		}
		g := getImage(e, url, s.c1, "")
		if g.Status != 200 || strings.Contains(g.Header.Get("Cache-Control"), "public") {
			t.Fatalf("coordinator: %d %q", g.Status, g.Header.Get("Cache-Control"))
		}
	})
	t.Run("published photos are cacheable for an hour, then revalidated by ETag", func(t *testing.T) {
		s.publish(id, s.m1t, s.c1)
		p := e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil)
		if imgs := p.JSON["images"].([]any); len(imgs) != 1 || imgs[0].(map[string]any)["url"] != url {
			t.Fatalf("public images: %s", p.Body)
		}
		list := e.Must(http.StatusOK, "GET", "/api/v1/products", "", nil)
		if !strings.Contains(string(list.Body), url) {
			t.Fatalf("listing lacks the photo URL: %s", list.Body)
		}
		g := getImage(e, url, "", "")
		// Never immutable for a year: a withdrawn consent must leave browsers' and proxies' caches within a day.
		if g.Status != 200 || g.Header.Get("Cache-Control") != "public, max-age=3600, must-revalidate" || g.Header.Get("ETag") == "" {
			t.Fatalf("public image: %d %v", g.Status, g.Header)
		}
		if again := getImage(e, url, "", g.Header.Get("ETag")); again.Status != http.StatusNotModified || len(again.Body) != 0 {
			t.Fatalf("If-None-Match: %d", again.Status)
		}
		if g := getImage(e, "/api/v1/images/"+imgID+"/777", "", ""); g.Status != http.StatusNotFound {
			t.Fatalf("unknown width: %d", g.Status)
		}
	})
	t.Run("withdrawing work-photo consent hides the photos", func(t *testing.T) {
		etag := getImage(e, url, "", "").Header.Get("ETag")
		e.Must(http.StatusOK, "PUT", "/api/v1/makers/"+s.m1+"/consent", s.m1t, map[string]bool{"workPhotos": false})
		// A cache revalidating its copy is told it is gone.
		if g := getImage(e, url, "", etag); g.Status != http.StatusNotFound {
			t.Fatalf("revalidating a withdrawn photo: %d", g.Status)
		}
		p := e.Must(http.StatusOK, "GET", "/api/v1/products/"+id, "", nil)
		if len(p.JSON["images"].([]any)) != 0 {
			t.Fatalf("photos still public: %s", p.Body)
		}
		if g := getImage(e, url, "", ""); g.Status != http.StatusNotFound {
			t.Fatalf("photo still served to the public: %d", g.Status)
		}
		e.Must(http.StatusOK, "PUT", "/api/v1/makers/"+s.m1+"/consent", s.m1t, map[string]bool{"workPhotos": true})
	})
	t.Run("a new photo on a published product goes back to review", func(t *testing.T) {
		var png1 bytes.Buffer
		_ = png.Encode(&png1, image.NewRGBA(image.Rect(0, 0, 200, 100)))
		if r := upload(e, id, s.m1t, "image", png1.Bytes()); r.Status != http.StatusCreated {
			t.Fatalf("png upload: %d %s", r.Status, r.Body)
		}
		p := e.Must(http.StatusOK, "GET", "/api/v1/products/"+id+"/private", s.m1t, nil)
		if p.Str("status") != "pending_review" || len(p.JSON["images"].([]any)) != 2 {
			t.Fatalf("after upload: %s", p.Body)
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/products/"+id, "", nil)
	})
	t.Run("a phone-sized photo over the 1 MB JSON cap is accepted", func(t *testing.T) {
		img := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
		rng := uint32(1)
		for i := range img.Pix {
			rng = rng*1664525 + 1013904223
			img.Pix[i] = uint8(rng >> 24)
		}
		var buf bytes.Buffer
		_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
		if buf.Len() < 1<<20 {
			t.Fatalf("test photo is only %d bytes", buf.Len())
		}
		r := upload(e, id, s.m1t, "image", buf.Bytes())
		if r.Status != http.StatusCreated || r.Num("width") != 1280 {
			t.Fatalf("%d-byte upload: %d %s", buf.Len(), r.Status, r.Body)
		}
		e.Must(http.StatusOK, "DELETE", "/api/v1/products/"+id+"/images/"+r.Str("id"), s.m1t, nil)
	})
	t.Run("removing a photo deletes its files", func(t *testing.T) {
		before := storedFiles(t, e)
		r := e.Must(http.StatusOK, "DELETE", "/api/v1/products/"+id+"/images/"+imgID, s.m1t, nil)
		if len(r.JSON["images"].([]any)) != 1 {
			t.Fatalf("after delete: %s", r.Body)
		}
		if after := storedFiles(t, e); after != before-3 {
			t.Fatalf("files %d → %d, want 3 fewer", before, after)
		}
		if g := getImage(e, url, s.m1t, ""); g.Status != http.StatusNotFound {
			t.Fatalf("deleted photo still served: %d", g.Status)
		}
	})
}

func TestBadUploadsStoreNothing(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	e := s.e
	id := s.create(s.m1t, earrings())
	good := photoWithGPS(t, 64, 64)
	big := append(append([]byte{}, good[:len(good)-2]...), bytes.Repeat([]byte{0x55}, 11<<20)...)

	for _, tc := range []struct {
		name   string
		field  string
		data   []byte
		token  string
		status int
		code   string
	}{
		{"text file named .jpg", "image", []byte("just some text, not a photo at all"), s.m1t, 400, "unsupported_image"},
		{"a GIF", "image", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), s.m1t, 400, "unsupported_image"},
		{"a truncated JPEG", "image", good[:len(good)/3], s.m1t, 400, "undecodable_image"},
		{"an empty file", "image", nil, s.m1t, 400, ""},
		{"over 10 MB", "image", big, s.m1t, 413, "image_too_large"},
		{"the wrong field name", "photo", good, s.m1t, 400, "image_missing"},
		{"another maker's product", "image", good, s.m2t, 404, "not_found"},
		{"another program's coordinator", "image", good, s.c2, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := upload(e, id, tc.token, tc.field, tc.data)
			if r.Status != tc.status || (tc.code != "" && r.ErrCode() != tc.code) {
				t.Fatalf("status %d code %q, want %d %q: %s", r.Status, r.ErrCode(), tc.status, tc.code, r.Body)
			}
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/products/"+id+"/images", s.m1t, map[string]string{"image": "x"})
		if r.ErrCode() != "not_multipart" {
			t.Fatalf("code %q", r.ErrCode())
		}
	})
	if n := storedFiles(t, e); n != 0 {
		t.Fatalf("%d files stored from refused uploads", n)
	}
	p := e.Must(http.StatusOK, "GET", "/api/v1/products/"+id+"/private", s.m1t, nil)
	if len(p.JSON["images"].([]any)) != 0 {
		t.Fatalf("refused uploads added images: %s", p.Body)
	}
}
