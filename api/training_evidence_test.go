package api_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"testing"
)

// TestTrainingEvidencePhotoSizes: a phone photo bigger than the 1 MB JSON cap is accepted on the
// evidence routes (up to 10 MB), and one over 10 MB is refused with 413.
func TestTrainingEvidencePhotoSizes(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	trackID, ms := w.createTrack(w.p1, w.c1, goldsmithing())
	en := w.enroll(trackID, w.m1, w.c1)

	// Noise does not compress: a 1400×1000 JPEG of it is well over 1 MB.
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 1400, 1000))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(rng.UintN(256)), uint8(rng.UintN(256)), uint8(rng.UintN(256)), 255
	}
	var big bytes.Buffer
	if err := jpeg.Encode(&big, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if big.Len() < 3<<19 {
		t.Fatalf("test photo is only %d bytes", big.Len())
	}
	r := w.upload("POST", "/api/v1/enrollments/"+en+"/milestones/"+ms[2]+"/complete", w.c1, map[string]string{"notes": "chain"}, big.Bytes())
	if r.Status != http.StatusOK {
		t.Fatalf("a %d KB photo: %d %s", big.Len()>>10, r.Status, r.Body)
	}
	sizes := w.e.Must(http.StatusCreated, "POST", "/api/v1/enrollments/"+en+"/milestones/"+ms[3]+"/evidence", w.c1, big.Bytes())
	if len(sizes.JSON["sizes"].([]any)) != 2 {
		t.Fatalf("renditions: %s", sizes.Body)
	}
	img2 := w.e.Must(http.StatusOK, "GET", sizes.Str("url")+"?w=320", w.c1, nil)
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(img2.Body)); err != nil || cfg.Width != 320 {
		t.Fatalf("thumbnail: %v %v", cfg, err)
	}

	huge := bytes.Repeat([]byte{0xFF}, 11<<20)
	r = w.upload("POST", "/api/v1/enrollments/"+en+"/milestones/"+ms[3]+"/complete", w.c1, nil, huge)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("an 11 MB upload: %d %s", r.Status, r.Body)
	}
}
