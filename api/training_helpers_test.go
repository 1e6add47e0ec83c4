package api_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/fairhands/marketplace/app/apptest"
)

// trWorld is a small world for training tests: two programs with a coordinator each, two makers
// in the first program and one in the second, and a buyer.
type trWorld struct {
	e            *apptest.Env
	p1, p2       string
	c1ID, c1, c2 string
	m1, m1t      string
	m2, m2t      string
	m3, m3t      string // in the second program
	buyer        string
}

func newTrWorld(t *testing.T) *trWorld {
	t.Helper()
	e := apptest.New(t)
	w := &trWorld{e: e}
	w.p1 = e.Program("Kolkata Jewellery Workshop")
	w.p2 = e.Program("Mumbai Tailoring Workshop")
	w.c1ID, w.c1 = e.Coordinator(w.p1)
	_, w.c2 = e.Coordinator(w.p2)
	w.m1, w.m1t = e.Maker(w.p1, w.c1)
	w.m2, w.m2t = e.Maker(w.p1, w.c1)
	w.m3, w.m3t = e.Maker(w.p2, w.c2)
	_, w.buyer = e.Buyer()
	return w
}

// goldsmithing is a five-milestone track; the third milestone needs a photo of the work.
func goldsmithing() map[string]any {
	return map[string]any{
		"name": "Goldsmithing foundations", "description": "From safe bench work to a finished component.",
		"qualification": "G&J/Q0603",
		"milestones": []map[string]any{
			{"title": "Bench safety and tools", "description": "Uses the bench, torch and pickle safely.", "requiresEvidence": false, "hours": 12},
			{"title": "Sawing and filing", "description": "Cuts and files sheet to a drawn line.", "requiresEvidence": false, "hours": 20},
			{"title": "Soldering a jump ring chain", "description": "Ten even, closed joints.", "requiresEvidence": true, "hours": 24},
			{"title": "Stone setting: bezel", "description": "Sets a cabochon in a bezel.", "requiresEvidence": false, "hours": 30},
			{"title": "Finishing and polishing", "description": "Brings a piece to a saleable finish.", "requiresEvidence": false, "hours": 16},
		},
	}
}

// createTrack creates a track in program and returns its id and milestone ids in order.
func (w *trWorld) createTrack(program, token string, body map[string]any) (string, []string) {
	w.e.TB.Helper()
	r := w.e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+program+"/tracks", token, body)
	var ids []string
	for _, m := range r.JSON["milestones"].([]any) {
		ids = append(ids, m.(map[string]any)["id"].(string))
	}
	return r.Str("id"), ids
}

func (w *trWorld) enroll(trackID, makerID, token string) string {
	w.e.TB.Helper()
	return w.e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+trackID+"/enrollments", token, map[string]any{"makerId": makerID}).Str("id")
}

func (w *trWorld) signOff(enrollment, milestone, token string, body map[string]any) apptest.Response {
	w.e.TB.Helper()
	return w.e.Must(http.StatusOK, "POST", "/api/v1/enrollments/"+enrollment+"/milestones/"+milestone+"/complete", token, body)
}

// upload sends a multipart form with text fields and an optional photo.
func (w *trWorld) upload(method, path, token string, fields map[string]string, photo []byte) apptest.Response {
	w.e.TB.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if photo != nil {
		fw, _ := mw.CreateFormFile("photo", "IMG_2041.jpg")
		_, _ = fw.Write(photo)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(method, w.e.Server.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return w.e.Send(req)
}

// trGPSMarker is planted in the EXIF block of the test photo; it must never come back.
const trGPSMarker = "GPS 22.5726N 88.3639E secret workshop"

// trPhotoWithEXIF is a small JPEG carrying an EXIF APP1 segment, as a phone photo carries its
// GPS position.
func trPhotoWithEXIF(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, nil); err != nil {
		t.Fatal(err)
	}
	// APP1: "Exif\0\0", a big-endian TIFF header with an empty IFD, then the marker text.
	payload := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"), trGPSMarker...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jb.Bytes()[:2]...)
	out = append(out, seg...)
	out = append(out, jb.Bytes()[2:]...)
	if !bytes.Contains(out, []byte(trGPSMarker)) {
		t.Fatal("test photo lacks its EXIF marker")
	}
	return out
}

// trDay is a date n days from today, as the API writes dates.
func trDay(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }

// trObj walks a decoded JSON value by object keys and array indexes.
func trObj(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		default:
			panic(fmt.Sprintf("bad path element %v", p))
		}
	}
	return v
}

// trAuditActions counts a program's audit entries by action.
func (w *trWorld) trAuditActions(program, token string) map[string]int {
	w.e.TB.Helper()
	r := w.e.Must(http.StatusOK, "GET", "/api/v1/programs/"+program+"/audit", token, nil)
	out := map[string]int{}
	for _, it := range r.JSON["items"].([]any) {
		out[it.(map[string]any)["action"].(string)]++
	}
	return out
}
