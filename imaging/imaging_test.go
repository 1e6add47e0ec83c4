package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/draw"
)

// ---------------------------------------------------------------------------
// Fixtures

// GPS coordinates written into the test EXIF block (48°51'29.52"N,
// 2°17'40.21"E). Their encoded RATIONAL bytes are what must never survive.
var (
	gpsLatitude  = [3][2]uint32{{48, 1}, {51, 1}, {2952, 100}}
	gpsLongitude = [3][2]uint32{{2, 1}, {17, 1}, {4021, 100}}
)

// byteOrder is what the EXIF builders need from binary.LittleEndian and
// binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// rationals encodes three EXIF RATIONALs in byte order bo.
func rationals(bo byteOrder, v [3][2]uint32) []byte {
	var b []byte
	for _, r := range v {
		b = bo.AppendUint32(b, r[0])
		b = bo.AppendUint32(b, r[1])
	}
	return b
}

// gpsNeedles are the byte strings that identify the test location in either
// byte order.
func gpsNeedles() [][]byte {
	var n [][]byte
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		n = append(n, rationals(bo, gpsLatitude), rationals(bo, gpsLongitude))
	}
	return n
}

// exifTIFF hand-assembles a minimal EXIF TIFF block: IFD0 with an optional
// Orientation tag and a pointer to a GPS IFD holding latitude and longitude,
// the way a phone camera writes them.
func exifTIFF(bo byteOrder, orientation int) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // inline (<= 4 bytes) or stored after the IFD
	}
	u32 := func(v uint32) []byte { return bo.AppendUint32(nil, v) }
	u16 := func(v uint16) []byte { return bo.AppendUint16(nil, v) }

	var ifd0 []entry
	if orientation != 0 {
		ifd0 = append(ifd0, entry{0x0112, 3, 1, u16(uint16(orientation))})
	}
	ifd0 = append(ifd0, entry{0x8825, 4, 1, nil}) // GPSInfo pointer, patched below
	gps := []entry{
		{0x0000, 1, 4, []byte{2, 3, 0, 0}},                                    // GPSVersionID
		{0x0001, 2, 2, []byte("N\x00")},                                       // GPSLatitudeRef
		{0x0002, 5, 3, rationals(bo, gpsLatitude)},                            // GPSLatitude
		{0x0003, 2, 2, []byte("E\x00")},                                       // GPSLongitudeRef
		{0x0004, 5, 3, rationals(bo, gpsLongitude)},                           // GPSLongitude
		{0x0006, 5, 1, append(u32(35), u32(1)...)},                            // GPSAltitude
		{0x001D, 2, 11, []byte("2024:05:01\x00")},                             // GPSDateStamp
		{0x0012, 2, 7, []byte("WGS-84\x00")},                                  // GPSMapDatum
		{0x0005, 1, 1, []byte{0}},                                             // GPSAltitudeRef
		{0x0010, 2, 2, []byte("T\x00")},                                       // GPSImgDirectionRef
		{0x0011, 5, 1, append(u32(27000), u32(100)...)},                       // GPSImgDirection
		{0x0007, 5, 3, rationals(bo, [3][2]uint32{{12, 1}, {30, 1}, {0, 1}})}, // GPSTimeStamp
	}
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	gpsOff := 8 + ifdSize(len(ifd0))
	ifd0[len(ifd0)-1].value = u32(uint32(gpsOff))

	var out []byte
	if bo == binary.LittleEndian {
		out = append(out, "II"...)
	} else {
		out = append(out, "MM"...)
	}
	out = bo.AppendUint16(out, 42)
	out = bo.AppendUint32(out, 8)

	writeIFD := func(entries []entry, start int) {
		extra := start + ifdSize(len(entries)) // where out-of-line values go
		var tail []byte
		out = bo.AppendUint16(out, uint16(len(entries)))
		for _, e := range entries {
			out = bo.AppendUint16(out, e.tag)
			out = bo.AppendUint16(out, e.typ)
			out = bo.AppendUint32(out, e.count)
			if len(e.value) <= 4 {
				v := append(append([]byte(nil), e.value...), make([]byte, 4-len(e.value))...)
				out = append(out, v...)
			} else {
				out = bo.AppendUint32(out, uint32(extra+len(tail)))
				tail = append(tail, e.value...)
			}
		}
		out = bo.AppendUint32(out, 0) // no next IFD
		out = append(out, tail...)
	}
	writeIFD(ifd0, 8)
	if len(out) != gpsOff {
		panic("exifTIFF: IFD0 layout mismatch")
	}
	writeIFD(gps, gpsOff)
	return out
}

// withAPP1 inserts an APP1 segment carrying payload right after the JPEG's
// SOI marker, where cameras put EXIF.
func withAPP1(jpg, payload []byte) []byte {
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+len(payload)))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func exifPayload(tiff []byte) []byte { return append([]byte("Exif\x00\x00"), tiff...) }

// photo draws a w×h test image: a smooth gradient with a solid red top-left
// quadrant so that orientation can be checked after JPEG round trips.
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{220, 20, 20, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gpsJPEG is a w×h JPEG carrying EXIF with GPS tags and the given orientation
// (0 for no Orientation tag).
func gpsJPEG(t testing.TB, w, h, orientation int, bo byteOrder) []byte {
	t.Helper()
	return withAPP1(encodeJPEG(t, photo(w, h)), exifPayload(exifTIFF(bo, orientation)))
}

// pngHeaderOnly is a PNG that consists of a valid signature and IHDR
// declaring w×h, with no pixel data at all: a decompression-bomb stand-in.
func pngHeaderOnly(w, h uint32) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, no interlace
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

// jpegWithSize patches the SOF0 frame header of jpg to declare w×h.
func jpegWithSize(t testing.TB, jpg []byte, w, h uint16) []byte {
	t.Helper()
	out := bytes.Clone(jpg)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(out[i+5:], h)
	binary.BigEndian.PutUint16(out[i+7:], w)
	return out
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---------------------------------------------------------------------------
// Assertions

// jpegMarkers lists the markers of a JPEG's header segments, up to and
// including SOS.
func jpegMarkers(t testing.TB, data []byte) []byte {
	t.Helper()
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		t.Fatalf("not a JPEG: % x", data[:min(len(data), 4)])
	}
	var markers []byte
	for i := 2; ; {
		if i+4 > len(data) || data[i] != 0xFF {
			t.Fatalf("malformed JPEG segment at offset %d", i)
		}
		m := data[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			return markers
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
}

// assertNoMetadata fails if data contains any APPn or COM segment, an EXIF
// signature, or the GPS bytes of the test fixture.
func assertNoMetadata(t testing.TB, data []byte) {
	t.Helper()
	for _, m := range jpegMarkers(t, data) {
		if (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
			t.Errorf("output contains metadata segment FF%02X", m)
		}
	}
	if bytes.Contains(data, []byte("Exif")) {
		t.Error(`output contains "Exif"`)
	}
	for _, n := range gpsNeedles() {
		if bytes.Contains(data, n) {
			t.Errorf("output contains GPS bytes % x", n)
		}
	}
}

// assertRenditions checks that res holds valid, metadata-free JPEGs of
// exactly the wanted sizes, in ascending width order.
func assertRenditions(t testing.TB, res *Result, want [][2]int) {
	t.Helper()
	if len(res.Renditions) != len(want) {
		t.Fatalf("got %d renditions %v, want %d %v", len(res.Renditions), sizes(res), len(want), want)
	}
	for i, r := range res.Renditions {
		if r.Width != want[i][0] || r.Height != want[i][1] {
			t.Errorf("rendition %d is %dx%d, want %dx%d", i, r.Width, r.Height, want[i][0], want[i][1])
		}
		if r.ContentType != "image/jpeg" {
			t.Errorf("rendition %d content type %q", i, r.ContentType)
		}
		img, err := jpeg.Decode(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatalf("rendition %d does not decode as JPEG: %v", i, err)
		}
		if b := img.Bounds(); b.Dx() != r.Width || b.Dy() != r.Height {
			t.Errorf("rendition %d decodes as %dx%d, reported %dx%d", i, b.Dx(), b.Dy(), r.Width, r.Height)
		}
		assertNoMetadata(t, r.Data)
	}
}

func sizes(res *Result) [][2]int {
	var s [][2]int
	for _, r := range res.Renditions {
		s = append(s, [2]int{r.Width, r.Height})
	}
	return s
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 150 && g>>8 < 90 && b>>8 < 90
}

// ---------------------------------------------------------------------------
// Tests

func TestProcess(t *testing.T) {
	const mb = 1 << 20
	jpg800 := gpsJPEG(t, 800, 600, 0, binary.LittleEndian)
	png300 := encodePNG(t, photo(300, 200))
	text := []byte("name,price\nbasket,25\nscarf,40\n")

	tests := []struct {
		name       string
		data       []byte
		maxBytes   int64
		widths     []int
		wantErr    error
		wantSizes  [][2]int
		wantFormat string
	}{
		{
			name: "jpeg with GPS exif, several widths", data: jpg800, maxBytes: 10 * mb,
			widths:    []int{200, 400, 1600},
			wantSizes: [][2]int{{200, 150}, {400, 300}, {800, 600}}, wantFormat: "jpeg",
		},
		{
			name: "original capped at largest width", data: jpg800, maxBytes: 10 * mb,
			widths:    []int{300, 100},
			wantSizes: [][2]int{{100, 75}, {300, 225}}, wantFormat: "jpeg",
		},
		{
			name: "duplicate widths collapse", data: jpg800, maxBytes: 10 * mb,
			widths:    []int{400, 200, 400, 200},
			wantSizes: [][2]int{{200, 150}, {400, 300}}, wantFormat: "jpeg",
		},
		{
			name: "big-endian exif", data: gpsJPEG(t, 640, 480, 1, binary.BigEndian), maxBytes: 10 * mb,
			widths:    []int{160},
			wantSizes: [][2]int{{160, 120}}, wantFormat: "jpeg",
		},
		{
			name: "large downscale uses box prefilter", data: encodeJPEG(t, photo(2000, 1000)), maxBytes: 10 * mb,
			widths:    []int{150, 640},
			wantSizes: [][2]int{{150, 75}, {640, 320}}, wantFormat: "jpeg",
		},
		{
			name: "png in, jpeg out", data: png300, maxBytes: 10 * mb,
			widths:    []int{150, 1000},
			wantSizes: [][2]int{{150, 100}, {300, 200}}, wantFormat: "png",
		},
		{
			name: "no upscaling", data: encodePNG(t, photo(100, 50)), maxBytes: 10 * mb,
			widths:    []int{200, 400},
			wantSizes: [][2]int{{100, 50}}, wantFormat: "png",
		},
		{
			name: "width equal to source", data: png300, maxBytes: 10 * mb,
			widths:    []int{300},
			wantSizes: [][2]int{{300, 200}}, wantFormat: "png",
		},
		{
			name: "extreme aspect ratio keeps height >= 1", data: encodePNG(t, photo(3000, 2)), maxBytes: 10 * mb,
			widths:    []int{100},
			wantSizes: [][2]int{{100, 1}}, wantFormat: "png",
		},
		{
			name: "webp lossless (VP8L)", data: readTestdata(t, "lossless.webp"), maxBytes: 10 * mb,
			widths:    []int{32, 1000},
			wantSizes: [][2]int{{32, 24}, {64, 48}}, wantFormat: "webp",
		},
		{
			name: "webp lossy with alpha (VP8X+ALPH)", data: readTestdata(t, "lossy_alpha.webp"), maxBytes: 10 * mb,
			widths:    []int{16, 32, 64},
			wantSizes: [][2]int{{16, 12}, {32, 24}, {64, 48}}, wantFormat: "webp",
		},
		{
			name: "orientation 6 swaps width and height", data: gpsJPEG(t, 400, 200, 6, binary.LittleEndian), maxBytes: 10 * mb,
			widths:    []int{100, 1000},
			wantSizes: [][2]int{{100, 200}, {200, 400}}, wantFormat: "jpeg",
		},
		{
			name: "orientation 8 caps the upright width", data: gpsJPEG(t, 400, 200, 8, binary.BigEndian), maxBytes: 10 * mb,
			widths:    []int{150},
			wantSizes: [][2]int{{150, 300}}, wantFormat: "jpeg",
		},
		{
			name: "exactly maxBytes is accepted", data: png300, maxBytes: int64(len(png300)),
			widths:    []int{300},
			wantSizes: [][2]int{{300, 200}}, wantFormat: "png",
		},

		{name: "text file", data: text, maxBytes: mb, widths: []int{100}, wantErr: ErrUnsupported},
		{name: "gif", data: []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), maxBytes: mb, widths: []int{100}, wantErr: ErrUnsupported},
		{name: "html named .jpg", data: []byte("<html><script>alert(1)</script></html>"), maxBytes: mb, widths: []int{100}, wantErr: ErrUnsupported},
		{name: "empty upload", data: nil, maxBytes: mb, widths: []int{100}, wantErr: ErrUndecodable},
		{name: "truncated jpeg", data: jpg800[:len(jpg800)/2], maxBytes: 10 * mb, widths: []int{100}, wantErr: ErrUndecodable},
		{name: "jpeg with only SOI", data: []byte{0xFF, 0xD8, 0xFF}, maxBytes: mb, widths: []int{100}, wantErr: ErrUndecodable},
		{name: "truncated png", data: png300[:len(png300)-40], maxBytes: 10 * mb, widths: []int{100}, wantErr: ErrUndecodable},
		{name: "corrupt webp", data: []byte("RIFF\x20\x00\x00\x00WEBPVP8 \x14\x00\x00\x00garbagegarbagegarbage"), maxBytes: mb, widths: []int{100}, wantErr: ErrUndecodable},
		{name: "over maxBytes", data: jpg800, maxBytes: int64(len(jpg800)) - 1, widths: []int{100}, wantErr: ErrTooLarge},
		{name: "zero maxBytes", data: png300, maxBytes: 0, widths: []int{100}, wantErr: ErrTooLarge},
		{name: "png declaring 50000x50000", data: pngHeaderOnly(50000, 50000), maxBytes: mb, widths: []int{100}, wantErr: ErrTooLarge},
		{name: "png declaring 12001x10", data: pngHeaderOnly(12001, 10), maxBytes: mb, widths: []int{100}, wantErr: ErrTooLarge},
		{name: "png declaring 7000x7000 (49 MP)", data: pngHeaderOnly(7000, 7000), maxBytes: mb, widths: []int{100}, wantErr: ErrTooLarge},
		{name: "jpeg declaring 12001x100", data: jpegWithSize(t, jpg800, 12001, 100), maxBytes: 10 * mb, widths: []int{100}, wantErr: ErrTooLarge},
		{name: "jpeg declaring 0 height", data: jpegWithSize(t, jpg800, 800, 0), maxBytes: 10 * mb, widths: []int{100}, wantErr: ErrUndecodable},
		{name: "webp VP8X declaring 16000x16000", data: webpWithCanvas(t, 16000, 16000), maxBytes: mb, widths: []int{100}, wantErr: ErrTooLarge},
		{name: "webp VP8X canvas disagrees with frame", data: webpWithCanvas(t, 65, 48), maxBytes: mb, widths: []int{100}, wantErr: ErrUndecodable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.data), tt.maxBytes, tt.widths)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if res != nil {
					t.Error("non-nil result with error")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if res.SourceFormat != tt.wantFormat {
				t.Errorf("SourceFormat = %q, want %q", res.SourceFormat, tt.wantFormat)
			}
			assertRenditions(t, res, tt.wantSizes)
		})
	}
}

// webpWithCanvas patches the VP8X canvas size of the lossy_alpha fixture.
func webpWithCanvas(t testing.TB, w, h int) []byte {
	t.Helper()
	b := bytes.Clone(readTestdata(t, "lossy_alpha.webp"))
	if string(b[12:16]) != "VP8X" {
		t.Fatal("fixture has no VP8X chunk")
	}
	put24 := func(p []byte, v int) { p[0], p[1], p[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(b[24:], w-1)
	put24(b[27:], h-1)
	return b
}

// TestGPSExifIsStripped is the reason this package exists: the fixture must
// really carry the location before processing, and no trace of it after.
func TestGPSExifIsStripped(t *testing.T) {
	for _, tt := range []struct {
		name string
		bo   byteOrder
	}{
		{"little-endian EXIF", binary.LittleEndian},
		{"big-endian EXIF", binary.BigEndian},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := gpsJPEG(t, 640, 480, 6, tt.bo)
			if !bytes.Contains(in, []byte("Exif\x00\x00")) {
				t.Fatal("fixture lacks the Exif header")
			}
			var found int
			for _, n := range gpsNeedles() {
				if bytes.Contains(in, n) {
					found++
				}
			}
			if found != 2 {
				t.Fatalf("fixture contains %d of the 2 GPS coordinates", found)
			}
			// The fixture must be a JPEG that standard decoders accept with
			// the EXIF in place, or the test would prove nothing.
			if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
				t.Fatalf("fixture does not decode: %v", err)
			}

			res, err := Process(bytes.NewReader(in), 10<<20, []int{120, 240, 2000})
			if err != nil {
				t.Fatal(err)
			}
			assertRenditions(t, res, [][2]int{{120, 160}, {240, 320}, {480, 640}})
			for _, r := range res.Renditions {
				if hasAPP1(t, r.Data) {
					t.Errorf("%dpx rendition has an APP1 segment", r.Width)
				}
			}
		})
	}
}

func hasAPP1(t testing.TB, data []byte) bool {
	return bytes.IndexByte(jpegMarkers(t, data), 0xE1) >= 0
}

// TestOrientation checks every EXIF orientation by following the red
// quadrant, which is top-left in the stored pixels.
func TestOrientation(t *testing.T) {
	const w, h = 160, 80
	tests := []struct {
		orientation int
		upW, upH    int
		redX, redY  float64 // where the red quadrant's centre must end up, as fractions
	}{
		{1, w, h, 0.25, 0.25},
		{2, w, h, 0.75, 0.25},
		{3, w, h, 0.75, 0.75},
		{4, w, h, 0.25, 0.75},
		{5, h, w, 0.25, 0.25},
		{6, h, w, 0.75, 0.25},
		{7, h, w, 0.75, 0.75},
		{8, h, w, 0.25, 0.75},
	}
	for _, tt := range tests {
		t.Run(string(rune('0'+tt.orientation)), func(t *testing.T) {
			in := gpsJPEG(t, w, h, tt.orientation, binary.LittleEndian)
			if got := jpegOrientation(in); got != tt.orientation {
				t.Fatalf("jpegOrientation = %d, want %d", got, tt.orientation)
			}
			res, err := Process(bytes.NewReader(in), 1<<20, []int{1000})
			if err != nil {
				t.Fatal(err)
			}
			assertRenditions(t, res, [][2]int{{tt.upW, tt.upH}})
			img, err := jpeg.Decode(bytes.NewReader(res.Renditions[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			x, y := int(tt.redX*float64(tt.upW)), int(tt.redY*float64(tt.upH))
			if !isRed(img.At(x, y)) {
				t.Errorf("pixel (%d,%d) is %v, want red", x, y, img.At(x, y))
			}
			// The diagonally opposite quadrant must not be red.
			ox, oy := int((1-tt.redX)*float64(tt.upW)), int((1-tt.redY)*float64(tt.upH))
			if isRed(img.At(ox, oy)) {
				t.Errorf("pixel (%d,%d) is red too", ox, oy)
			}
		})
	}
}

// TestMalformedExif feeds broken EXIF blocks: each must be ignored (the photo
// is processed as if unrotated), never panic or fail the upload.
func TestMalformedExif(t *testing.T) {
	good := exifTIFF(binary.LittleEndian, 6)
	patch := func(off int, b ...byte) []byte {
		p := bytes.Clone(good)
		copy(p[off:], b)
		return p
	}
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty exif", []byte("Exif\x00\x00")},
		{"tiff too short", exifPayload(good[:6])},
		{"bad byte order", exifPayload(patch(0, 'X', 'X'))},
		{"bad magic", exifPayload(patch(2, 0, 0))},
		{"ifd offset past end", exifPayload(patch(4, 0xFF, 0xFF, 0xFF, 0x7F))},
		{"ifd offset into header", exifPayload(patch(4, 2, 0, 0, 0))},
		{"entry count beyond data", exifPayload(patch(8, 0xFF, 0xFF)[:20])},
		{"ifd cut after count", exifPayload(good[:12])},
		{"orientation 9", exifPayload(patch(8+2+8, 9, 0))},
		{"orientation 0", exifPayload(patch(8+2+8, 0, 0))},
		{"orientation wrong type", exifPayload(patch(8+2+2, 4, 0))},
		{"orientation count 2", exifPayload(patch(8+2+4, 2, 0, 0, 0))},
		{"xmp, not exif", []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>")},
		{"exif without header padding", append([]byte("Exif"), good...)},
	}
	base := encodeJPEG(t, photo(80, 40))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := withAPP1(base, tt.payload)
			if got := jpegOrientation(in); got != 1 {
				t.Errorf("jpegOrientation = %d, want 1", got)
			}
			res, err := Process(bytes.NewReader(in), 1<<20, []int{80})
			if err != nil {
				t.Fatalf("malformed EXIF failed the upload: %v", err)
			}
			assertRenditions(t, res, [][2]int{{80, 40}})
		})
	}

	// Every prefix of a valid EXIF block, and of the JPEG header holding
	// it, must be handled without panicking.
	t.Run("all truncations", func(t *testing.T) {
		full := withAPP1(base, exifPayload(good))
		for n := 0; n <= len(good)+64; n++ {
			_ = exifOrientation(good[:min(n, len(good))])
			_ = jpegOrientation(full[:min(n, len(full))])
		}
		if jpegOrientation(full) != 6 {
			t.Error("untruncated block lost its orientation")
		}
	})
}

func TestJPEGOrientationSegmentWalk(t *testing.T) {
	exif := exifPayload(exifTIFF(binary.BigEndian, 3))
	base := encodeJPEG(t, photo(16, 16))
	xmp := []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>")
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"no exif", base, 1},
		{"exif first", withAPP1(base, exif), 3},
		{"xmp before exif", withAPP1(withAPP1(base, exif), xmp), 3},
		{"fill bytes before marker", append([]byte{0xFF, 0xD8, 0xFF, 0xFF}, withAPP1(base, exif)[3:]...), 3},
		{"exif after SOS is ignored", append(bytes.Clone(base[:len(base)-2]), withAPP1([]byte{0xFF, 0xD8}, exif)[2:]...), 1},
		{"segment length below 2", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01}, 1},
		{"segment length past end", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E'}, 1},
		{"not a jpeg", []byte("hello"), 1},
		{"nil", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jpegOrientation(tt.data); got != tt.want {
				t.Errorf("jpegOrientation = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestBombRejectedWithoutAllocating proves the dimension check happens
// before decoding: a 50000×50000 RGBA image would need 10 GB.
func TestBombRejectedWithoutAllocating(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"png 50000x50000", pngHeaderOnly(50000, 50000)},
		{"jpeg 60000x60000", jpegWithSize(t, encodeJPEG(t, photo(8, 8)), 60000, 60000)},
		{"webp 16000x16000", webpWithCanvas(t, 16000, 16000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Process(bytes.NewReader(tt.data), 1<<20, []int{100})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
				t.Errorf("allocated %d bytes rejecting a bomb", n)
			}
		})
	}
}

// TestAlphaFlattenedToWhite checks that transparent areas become white, not
// the black that premultiplied transparent pixels would otherwise turn into.
func TestAlphaFlattenedToWhite(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"webp with alpha", readTestdata(t, "lossy_alpha.webp")},
		{"png with alpha", func() []byte {
			img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
			for y := 0; y < 48; y++ {
				for x := 0; x < 32; x++ {
					img.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
				}
			}
			return encodePNG(t, img)
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, widths := range [][]int{{64}, {16}} {
				res, err := Process(bytes.NewReader(tt.data), 1<<20, widths)
				if err != nil {
					t.Fatal(err)
				}
				r := res.Renditions[0]
				img, err := jpeg.Decode(bytes.NewReader(r.Data))
				if err != nil {
					t.Fatal(err)
				}
				cr, cg, cb, _ := img.At(r.Width*7/8, r.Height/2).RGBA()
				if cr>>8 < 235 || cg>>8 < 235 || cb>>8 < 235 {
					t.Errorf("width %d: transparent area became (%d,%d,%d), want white", r.Width, cr>>8, cg>>8, cb>>8)
				}
			}
		})
	}
}

// TestResampleMatchesSinglePass checks that scaling one axis at a time in
// bands (to bound memory) leaves no seams: with one axis unchanged the result
// must equal a single x/image/draw call bit for bit, and with both scaled it
// may differ only by the rounding of the 8-bit intermediate image.
func TestResampleMatchesSinglePass(t *testing.T) {
	src := noisyPhoto(300, 260) // not a multiple of the band size
	tests := []struct {
		w, h    int
		maxDiff int
	}{
		{170, 260, 0},
		{300, 131, 0},
		{299, 260, 0},
		{200, 173, 8},
		{151, 131, 8},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d", tt.w, tt.h), func(t *testing.T) {
			want := image.NewRGBA(image.Rect(0, 0, tt.w, tt.h))
			draw.CatmullRom.Scale(want, want.Bounds(), src, src.Bounds(), draw.Src, nil)
			got := resample(src, tt.w, tt.h)
			if got.Bounds() != want.Bounds() {
				t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
			}
			worst := 0
			for i := range want.Pix {
				worst = max(worst, abs(int(want.Pix[i])-int(got.Pix[i])))
			}
			if worst > tt.maxDiff {
				t.Errorf("max channel difference %d, want <= %d", worst, tt.maxDiff)
			}
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		maxBytes int64
		widths   []int
		is       error
		contains string
	}{
		{"byte limit named", bytes.Repeat([]byte{'x'}, 11<<20), 10 << 20, []int{100}, ErrTooLarge, "the limit is 10 MB"},
		{"small byte limit named", bytes.Repeat([]byte{'x'}, 2000), 1536, []int{100}, ErrTooLarge, "1.5 KB"},
		{"pixel limit named", pngHeaderOnly(50000, 50000), 1 << 20, []int{100}, ErrTooLarge, "40 megapixels"},
		{"decoder jargon hidden", []byte{0xFF, 0xD8, 0xFF, 0x00}, 1 << 20, []int{100}, ErrUndecodable, ""},
		{"unsupported", []byte("BM not really a bitmap"), 1 << 20, []int{100}, ErrUnsupported, "JPEG, PNG or WebP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process(bytes.NewReader(tt.data), tt.maxBytes, tt.widths)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("message %q lacks %q", err, tt.contains)
			}
			if strings.Contains(err.Error(), "jpeg:") || strings.Contains(err.Error(), "png:") {
				t.Errorf("message %q leaks decoder internals", err)
			}
		})
	}

	for _, w := range [][]int{nil, {}, {0}, {100, -1}} {
		_, err := Process(bytes.NewReader(encodePNG(t, photo(10, 10))), 1<<20, w)
		if err == nil || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrUndecodable) {
			t.Errorf("widths %v: err = %v, want a non-sentinel programming error", w, err)
		}
	}
}

// TestReaderNotDrained makes sure an oversized upload is not buffered whole.
func TestReaderNotDrained(t *testing.T) {
	r := &countingReader{n: 1 << 30}
	_, err := Process(r, 1<<20, []int{100})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if r.read > 2<<20 {
		t.Errorf("read %d bytes for a 1 MB limit", r.read)
	}
}

type countingReader struct{ n, read int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, nil
	}
	for i := range p {
		p[i] = 'A'
	}
	c.read += int64(len(p))
	return len(p), nil
}

// ---------------------------------------------------------------------------
// Fuzzing and benchmarks

func FuzzProcess(f *testing.F) {
	f.Add(gpsJPEG(f, 64, 48, 6, binary.LittleEndian))
	f.Add(gpsJPEG(f, 40, 30, 3, binary.BigEndian))
	f.Add(encodeJPEG(f, photo(17, 9)))
	f.Add(encodePNG(f, photo(20, 10)))
	f.Add(readTestdata(f, "lossless.webp"))
	f.Add(readTestdata(f, "lossy_alpha.webp"))
	f.Add(pngHeaderOnly(50000, 50000))
	f.Add([]byte("not an image"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})

	// Smaller pixel limits keep each execution fast; the code paths are the
	// same ones Process uses.
	lim := limits{maxPixels: 1 << 20, maxSide: 2048}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := process(bytes.NewReader(data), 1<<20, []int{48, 16}, lim)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrUndecodable) {
				t.Fatalf("error %v is none of the sentinels", err)
			}
			if res != nil {
				t.Fatal("result returned with an error")
			}
			return
		}
		if len(res.Renditions) == 0 || len(res.Renditions) > 2 {
			t.Fatalf("%d renditions", len(res.Renditions))
		}
		prev := 0
		for _, r := range res.Renditions {
			if r.Width <= prev || r.Width > 48 || r.Height < 1 {
				t.Fatalf("bad rendition size %dx%d after width %d", r.Width, r.Height, prev)
			}
			prev = r.Width
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(r.Data))
			if err != nil || cfg.Width != r.Width || cfg.Height != r.Height {
				t.Fatalf("rendition %dx%d decodes as %+v, %v", r.Width, r.Height, cfg, err)
			}
			for _, m := range jpegMarkers(t, r.Data) {
				if (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
					t.Fatalf("metadata segment FF%02X in output", m)
				}
			}
		}
	})
}

// FuzzJPEGOrientation hammers the hand-written EXIF parser directly, since
// in FuzzProcess most mutations are rejected by the JPEG decoder before it
// runs. It must never panic and only ever report 1–8.
func FuzzJPEGOrientation(f *testing.F) {
	for o := 1; o <= 8; o++ {
		f.Add(withAPP1([]byte{0xFF, 0xD8, 0xFF, 0xD9}, exifPayload(exifTIFF(binary.BigEndian, o))))
	}
	f.Add(withAPP1([]byte{0xFF, 0xD8, 0xFF, 0xD9}, exifPayload(exifTIFF(binary.LittleEndian, 6))))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

// BenchmarkProcess12MP measures typical 12-megapixel phone photos turned
// into three renditions: a 3000×4000 portrait, and the same shot as phones
// often store it (4000×3000 sensor pixels with EXIF orientation 6).
func BenchmarkProcess12MP(b *testing.B) {
	for _, bc := range []struct {
		name        string
		w, h        int
		orientation int
	}{
		{"3000x4000", 3000, 4000, 1},
		{"4000x3000_orientation6", 4000, 3000, 6},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := withAPP1(encodeJPEG(b, noisyPhoto(bc.w, bc.h)), exifPayload(exifTIFF(binary.LittleEndian, bc.orientation)))
			widths := []int{320, 800, 1600}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Process(bytes.NewReader(data), 64<<20, widths); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// noisyPhoto is a w×h image with gradients and grain, so that its JPEG has
// roughly the entropy (and decode cost) of a real photo.
func noisyPhoto(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Y[y*img.YStride+x] = uint8((x+y)/28) + uint8(rng.IntN(24))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(100+i%40), uint8(140-i%30)
	}
	return img
}
