package api_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// fuzzBoundary is the multipart boundary of the upload modes whose whole body is fuzzed.
const fuzzBoundary = "fuzzboundary"

// uploadMode is one way of sending fuzzed bytes as a photo.
type uploadMode struct {
	name  string
	path  func(w *fuzzWorld) string
	token func(w *fuzzWorld) string
	// body builds the request body and its content type from the fuzzed bytes.
	body  func(data []byte) ([]byte, string)
	watch []string
	// created runs after a 201, to undo it so the next input starts alike (a product holds at
	// most 8 photos; a milestone is signed off once).
	created func(t *testing.T, w *fuzzWorld, r fuzzResp)
}

// asFormFile sends data as the file of one multipart field.
func asFormFile(field string, fields map[string]string) func([]byte) ([]byte, string) {
	return func(data []byte) ([]byte, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile(field, "IMG_2041.jpg")
		_, _ = fw.Write(data)
		_ = mw.Close()
		return buf.Bytes(), mw.FormDataContentType()
	}
}

// asBody sends data as the whole body with a fixed content type.
func asBody(contentType string) func([]byte) ([]byte, string) {
	return func(data []byte) ([]byte, string) { return data, contentType }
}

var (
	imageWrites    = []string{"images.files", "images.chunks", "products", "catalog_meta", "audit"}
	evidenceWrites = []string{"evidence.files", "evidence.chunks", "training_evidence", "training_enrollments", "audit"}
)

var uploadModes = []uploadMode{
	{name: "product photo", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.draft + "/images" },
		token: (*fuzzWorld).makerTokOf, body: asFormFile("image", nil), watch: imageWrites, created: removeImage},
	{name: "product photo, raw multipart", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.draft + "/images" },
		token: (*fuzzWorld).makerTokOf, body: asBody("multipart/form-data; boundary=" + fuzzBoundary), watch: imageWrites, created: removeImage},
	{name: "product photo, not multipart", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.draft + "/images" },
		token: (*fuzzWorld).makerTokOf, body: asBody("image/jpeg"), watch: imageWrites, created: removeImage},
	{name: "product photo, other program", path: func(w *fuzzWorld) string { return "/api/v1/products/" + w.foreign + "/images" },
		token: (*fuzzWorld).coordTok, body: asFormFile("image", nil), watch: imageWrites},
	{name: "evidence photo, raw", path: func(w *fuzzWorld) string {
		return "/api/v1/enrollments/" + w.enrollment + "/milestones/" + w.milestones[1] + "/evidence"
	}, token: (*fuzzWorld).coordTok, body: asBody("image/jpeg"), watch: evidenceWrites},
	{name: "evidence photo, multipart", path: func(w *fuzzWorld) string {
		return "/api/v1/enrollments/" + w.enrollment + "/milestones/" + w.milestones[1] + "/evidence"
	}, token: (*fuzzWorld).coordTok, body: asFormFile("photo", nil), watch: evidenceWrites},
	{name: "sign-off with photo", path: func(w *fuzzWorld) string {
		return "/api/v1/enrollments/" + w.enrollment + "/milestones/" + w.milestones[1] + "/complete"
	}, token: (*fuzzWorld).coordTok, body: asFormFile("photo", map[string]string{"notes": "Ten even joints.", "score": "80"}),
		watch: evidenceWrites, created: undoSignOff(1)},
	{name: "sign-off, raw multipart", path: func(w *fuzzWorld) string {
		return "/api/v1/enrollments/" + w.enrollment + "/milestones/" + w.milestones[1] + "/complete"
	}, token: (*fuzzWorld).coordTok, body: asBody("multipart/form-data; boundary=" + fuzzBoundary),
		watch: evidenceWrites, created: undoSignOff(1)},
}

// removeImage deletes the photo an upload added, after checking what is served is a clean JPEG.
func removeImage(t *testing.T, w *fuzzWorld, r fuzzResp) {
	t.Helper()
	m := mustJSONStatus(t, http.StatusCreated, r)
	id, _ := m["id"].(string)
	url, _ := m["url"].(string)
	if id == "" || url == "" {
		t.Fatalf("an accepted photo has no id or url: %s", r.Body)
	}
	img := w.send(t, "GET", url, w.makerTok, "", nil)
	if img.Status != http.StatusOK || !bytes.HasPrefix(img.Body, []byte{0xFF, 0xD8}) || bytes.Contains(img.Body, []byte("Exif")) {
		t.Fatalf("the stored photo is not a clean JPEG: status %d, %d bytes, starts % x", img.Status, len(img.Body), img.Body[:min(8, len(img.Body))])
	}
	mustJSONStatus(t, http.StatusOK, w.send(t, "DELETE", "/api/v1/products/"+w.draft+"/images/"+id, w.makerTok, "", nil))
}

// undoSignOff reverses the sign-off of milestone i, so the next input can sign it off again.
func undoSignOff(i int) func(t *testing.T, w *fuzzWorld, r fuzzResp) {
	return func(t *testing.T, w *fuzzWorld, r fuzzResp) {
		t.Helper()
		path := "/api/v1/enrollments/" + w.enrollment + "/milestones/" + w.milestones[i] + "/undo"
		mustJSONStatus(t, http.StatusOK, w.send(t, "POST", path, w.coord, "application/json", []byte(`{"reason":"fuzzing: start again"}`)))
	}
}

// FuzzImageUpload sends fuzzed bytes as product photos and training evidence: as the file of a
// well-formed form, as the whole multipart body, and as a raw body. An upload is stored as a
// clean JPEG (201) or refused with a 4xx that stored nothing; never a 5xx.
func FuzzImageUpload(f *testing.F) {
	w := newFuzzWorld(f)
	w.fuzzing()
	f.Fuzz(func(t *testing.T, mode uint8, data []byte) {
		defer w.showLogs(t)
		m := uploadModes[int(mode)%len(uploadModes)]
		body, ct := m.body(data)
		what := fmt.Sprintf("%s (%d bytes)", m.name, len(data))
		before := w.digest(t, m.watch...)
		r := w.send(t, "POST", m.path(w), m.token(w), ct, body)
		checkAnswer(t, what, r)
		switch {
		case r.Status >= 400:
			if after := w.digest(t, m.watch...); after != before {
				t.Fatalf("%s: refused with %d but %v changed (partial write): %s", what, r.Status, m.watch, r.Body)
			}
		case r.Status != http.StatusCreated && r.Status != http.StatusOK:
			t.Fatalf("%s: status %d, want 201 or a 4xx: %s", what, r.Status, r.Body)
		case m.created != nil:
			m.created(t, w, r)
		}
	})
}

// TestTruncatedUploads sends bodies that stop short of their Content-Length (the connection is
// half-closed, as when a phone loses its signal mid-upload or a client lies about the length).
// Reading the body fails with an unexpected EOF: that is the client's doing, a 400, never a 500.
func TestTruncatedUploads(t *testing.T) {
	w := newFuzzWorld(t)
	photo := encodeJPEG(testImage(40, 30))
	formPart := func(field string) string {
		return "--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + string(photo[:len(photo)/2])
	}
	form := "multipart/form-data; boundary=" + fuzzBoundary
	evidence := "/api/v1/enrollments/" + w.enrollment + "/milestones/" + w.milestones[1]
	cases := []struct {
		name, path, token, contentType, body string
	}{
		{"product photo", "/api/v1/products/" + w.draft + "/images", w.makerTok, form, formPart("image")},
		{"evidence photo, form", evidence + "/evidence", w.coord, form, formPart("photo")},
		{"evidence photo, raw", evidence + "/evidence", w.coord, "image/jpeg", string(photo[:len(photo)/2])},
		{"sign-off with photo", evidence + "/complete", w.coord, form, formPart("photo")},
		{"JSON body", "/api/v1/products", w.makerTok, "application/json", `{"title":"Brass`},
	}
	colls := w.allCollections(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := w.digest(t, colls...)
			r := w.sendTruncated(t, tc.path, tc.token, tc.contentType, tc.body, len(tc.body)+1000)
			checkAnswer(t, tc.name, r)
			if r.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 400: %s", r.Status, r.Body)
			}
			if w.digest(t, colls...) != before {
				t.Error("a cut-short upload stored something")
			}
		})
	}
}

// sendTruncated writes a POST over a raw connection declaring length bytes of body, sends only
// body, half-closes the connection and reads the answer.
func (w *fuzzWorld) sendTruncated(t testing.TB, path, token, contentType, body string, length int) fuzzResp {
	t.Helper()
	u, err := url.Parse(w.url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		path, u.Host, token, contentType, length, body)
	_ = conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a cut-short %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return fuzzResp{Status: res.StatusCode, Header: res.Header, Body: b}
}
