// Package imaging turns an untrusted uploaded photo into renditions that are
// safe to store and serve.
//
// Many makers on this marketplace are survivors of human trafficking, and a
// phone photo usually carries the GPS position where it was taken in its EXIF
// metadata. Publishing that file as uploaded could reveal where a maker lives
// or works. This package therefore never stores what was uploaded: it decodes
// the pixels and re-encodes them from scratch with the standard library JPEG
// encoder, which writes no EXIF, XMP, ICC, comment or any other metadata
// segment, so nothing but pixels can survive.
//
// Because the input is hostile by assumption, the byte size is capped before
// anything is parsed, the real format is sniffed from the content rather than
// trusted from a filename or Content-Type header, and the declared pixel
// dimensions are checked before any pixel memory is allocated, so that a tiny
// "decompression bomb" cannot exhaust the server's memory.
//
// Process is safe for concurrent use, but it is CPU- and memory-hungry: a
// 12 megapixel phone photo takes about a second of CPU and around 100 MB of
// transient memory (mostly the decoded source), so servers should bound how
// many uploads are processed at once, for example with a small semaphore.
package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"slices"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits on the declared pixel dimensions of an upload, checked before any
// pixel memory is allocated. They are exported so that an upload form can
// tell people the limits before they try.
const (
	// MaxPixels bounds the memory needed to decode one image (a 40
	// megapixel photo takes about 60 MB as a JPEG and up to 320 MB as a
	// 16-bit PNG) while still admitting the 12–24 megapixel photos that
	// phones take by default. The 48–50 megapixel modes of some phones
	// exceed it and are refused with ErrTooLarge.
	MaxPixels = 40_000_000

	// MaxSide stops extreme panoramas, whose intermediate resampling buffer
	// grows with the long side rather than with the pixel count.
	MaxSide = 12_000
)

// jpegQuality trades file size against visible artefacts; around 82 is
// visually indistinguishable from the original for product photos while being
// several times smaller than what phones write.
const jpegQuality = 82

// contentTypeJPEG is the only type Process emits: one output format keeps
// the serving side simple and guarantees no source container is passed on.
const contentTypeJPEG = "image/jpeg"

// Sentinel errors returned (possibly wrapped) by Process. Test for them with
// errors.Is. Their messages are written for the person uploading the photo,
// so a handler can show err.Error() as is; the wrapped error may add the
// specific limit that was exceeded.
var (
	// ErrTooLarge means the upload exceeds the byte limit or declares more
	// pixels than the server is willing to decode; rejecting it early is
	// what protects the server from decompression bombs.
	ErrTooLarge = errors.New("the image is too large; please upload a smaller photo")

	// ErrUnsupported means the content is not a JPEG, PNG or WebP image,
	// whatever its filename claims; those three formats cover what phones
	// and cameras export and have decoders we trust with hostile input.
	ErrUnsupported = errors.New("only JPEG, PNG or WebP photos are accepted")

	// ErrUndecodable means the content looks like a supported format but
	// could not be decoded, typically because the upload was cut short or
	// the file is damaged; uploading it again often helps.
	ErrUndecodable = errors.New("the file is not a readable image; it may be damaged or incomplete, please try uploading it again")
)

// Result holds the re-encoded renditions of one upload; nothing from the
// uploaded file other than its pixels is carried over.
type Result struct {
	// Renditions are sorted by Width ascending so that callers can build a
	// srcset or pick the smallest adequate size without sorting.
	Renditions []Rendition
	// SourceFormat is the sniffed format of the upload ("jpeg", "png" or
	// "webp"), kept for logs and statistics; it is never the output format.
	SourceFormat string
}

// Rendition is one stored size of an image, freshly encoded so that it
// contains no metadata from the upload.
type Rendition struct {
	// Width and Height are the pixel dimensions of the upright image, so
	// they can go straight into an <img> element's attributes.
	Width, Height int
	// ContentType is the MIME type to serve Data with (always "image/jpeg").
	ContentType string
	// Data is the encoded image file.
	Data []byte
}

// limits are the pixel limits applied by process; they are a parameter only
// so that the fuzz test can use smaller ones and run faster.
type limits struct {
	maxPixels int64
	maxSide   int
}

var defaultLimits = limits{maxPixels: MaxPixels, maxSide: MaxSide}

// errNoWidths reports a programming error in the caller, not a problem with
// the upload, so it deliberately does not wrap any of the sentinels.
var errNoWidths = errors.New("imaging: Process needs at least one width and every width must be positive")

// Process reads an untrusted upload and returns JPEG renditions that carry no
// metadata, so that a photo's GPS position or camera details can never reach
// the public.
//
// It reads at most maxBytes from r; a longer upload fails with ErrTooLarge.
// The format is sniffed from the content; anything but JPEG, PNG or WebP fails
// with ErrUnsupported and a corrupt or truncated image with ErrUndecodable.
// The declared dimensions are checked against MaxPixels and MaxSide before
// decoding. A JPEG's EXIF orientation is applied, because the metadata that
// tells viewers to rotate it is discarded, and transparent areas are
// flattened onto white because JPEG has no alpha channel.
//
// Every width in widths that is smaller than the upright image's width yields
// a rendition of that width with the aspect ratio kept; in addition the image
// is rendered at its own width capped at the largest requested width, so
// images are never upscaled and the largest rendition is as sharp as allowed.
// widths must be non-empty and positive; duplicates are ignored.
//
// An error from r itself (such as a client disconnecting mid-upload) is
// returned wrapped and matches none of the sentinels.
func Process(r io.Reader, maxBytes int64, widths []int) (*Result, error) {
	return process(r, maxBytes, widths, defaultLimits)
}

func process(r io.Reader, maxBytes int64, widths []int, lim limits) (*Result, error) {
	targets, err := normalizeWidths(widths)
	if err != nil {
		return nil, err
	}

	data, err := readLimited(r, maxBytes)
	if err != nil {
		return nil, err
	}

	format := sniff(data)
	if format == nil {
		if len(data) == 0 {
			return nil, ErrUndecodable
		}
		return nil, ErrUnsupported
	}

	cfg, err := format.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, &uploadError{kind: ErrUndecodable, cause: err}
	}
	if err := checkDimensions(cfg.Width, cfg.Height, lim); err != nil {
		return nil, err
	}

	orientation := 1
	if format.name == "jpeg" {
		orientation = jpegOrientation(data)
	}

	src, err := safeDecode(format.decode, data)
	if err != nil {
		return nil, &uploadError{kind: ErrUndecodable, cause: err}
	}
	if b := src.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// The header promised one size and the decoder produced another;
		// treat the file as hostile rather than guess which one is right.
		return nil, &uploadError{kind: ErrUndecodable, cause: fmt.Errorf("decoded %dx%d, header declared %dx%d", b.Dx(), b.Dy(), cfg.Width, cfg.Height)}
	}

	renditions, err := render(src, orientation, targets)
	if err != nil {
		return nil, err
	}
	return &Result{Renditions: renditions, SourceFormat: format.name}, nil
}

// normalizeWidths validates the requested widths and returns them sorted
// ascending without duplicates.
func normalizeWidths(widths []int) ([]int, error) {
	if len(widths) == 0 {
		return nil, errNoWidths
	}
	out := slices.Clone(widths)
	for _, w := range out {
		if w <= 0 {
			return nil, errNoWidths
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// readLimited reads all of r, failing with ErrTooLarge as soon as more than
// maxBytes arrive so that an oversized upload is never buffered whole.
func readLimited(r io.Reader, maxBytes int64) ([]byte, error) {
	if maxBytes < 0 {
		maxBytes = 0
	}
	limit := maxBytes
	if limit < math.MaxInt64 {
		limit++ // one extra byte tells "exactly maxBytes" from "more"
	}
	data, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, fmt.Errorf("imaging: reading upload: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, &uploadError{kind: ErrTooLarge, detail: "the limit is " + formatBytes(maxBytes)}
	}
	return data, nil
}

// checkDimensions refuses images whose declared size would make decoding
// too expensive, before any pixel buffer is allocated.
func checkDimensions(w, h int, lim limits) error {
	if w <= 0 || h <= 0 {
		return &uploadError{kind: ErrUndecodable, cause: fmt.Errorf("declared size %dx%d", w, h)}
	}
	if w > lim.maxSide || h > lim.maxSide || int64(w)*int64(h) > lim.maxPixels {
		return &uploadError{
			kind: ErrTooLarge,
			detail: fmt.Sprintf("it is %d×%d pixels; the limit is %s megapixels and %d pixels per side",
				w, h, formatMegapixels(lim.maxPixels), lim.maxSide),
		}
	}
	return nil
}

// format describes one accepted input format.
type format struct {
	name         string
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
}

// The decoders are called directly rather than through image.Decode so that
// a format registered elsewhere in the program (GIF, BMP, ...) can never be
// accepted by accident.
var (
	formatJPEG = &format{name: "jpeg", decode: jpeg.Decode, decodeConfig: jpeg.DecodeConfig}
	formatPNG  = &format{name: "png", decode: png.Decode, decodeConfig: png.DecodeConfig}
	formatWebP = &format{name: "webp", decode: webp.Decode, decodeConfig: webp.DecodeConfig}
)

// sniff identifies the format from the file's magic bytes, returning nil for
// anything that is not JPEG, PNG or WebP.
func sniff(data []byte) *format {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return formatJPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return formatWebP
	}
	return nil
}

// safeDecode runs a decoder on hostile input and turns a panic inside it into
// an ordinary error, so that one bad upload cannot take the server down.
func safeDecode(decode func(io.Reader) (image.Image, error), data []byte) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return decode(bytes.NewReader(data))
}

// render produces one encoded rendition per target width (sorted ascending),
// never wider than the upright source.
func render(src image.Image, orientation int, targets []int) ([]Rendition, error) {
	sb := src.Bounds()
	ow, oh := sb.Dx(), sb.Dy() // upright ("oriented") dimensions
	if swapsAxes(orientation) {
		ow, oh = oh, ow
	}

	largest := min(ow, targets[len(targets)-1])
	largestH := scaledHeight(ow, oh, largest)

	// Resample in the source's own frame, then rotate the (much smaller)
	// result: rotating first would mean copying the full-size image.
	fw, fh := largest, largestH
	if swapsAxes(orientation) {
		fw, fh = fh, fw
	}
	big := orient(resample(src, fw, fh), orientation)

	// Smaller sizes are derived from the largest rendition rather than the
	// source: the result is indistinguishable and it is much cheaper.
	var out []Rendition
	for _, w := range targets {
		if w >= largest {
			break
		}
		r, err := encode(resample(big, w, scaledHeight(ow, oh, w)))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	r, err := encode(big)
	if err != nil {
		return nil, err
	}
	return append(out, r), nil
}

// scaledHeight keeps the aspect ratio of a w×h image scaled to width tw,
// rounding to the nearest pixel and never collapsing to zero.
func scaledHeight(w, h, tw int) int {
	th := int((int64(h)*int64(tw) + int64(w)/2) / int64(w))
	return max(th, 1)
}

// resample returns src scaled to w×h as an opaque RGBA image, using
// Catmull-Rom for sharp results without the aliasing (moiré on woven and
// knitted goods) of cheaper filters. Transparent areas are composited onto
// white because JPEG cannot store alpha, and black (what transparent pixels
// would otherwise become) looks broken.
func resample(src image.Image, w, h int) *image.RGBA {
	sb := src.Bounds()
	if sb.Dx() == w && sb.Dy() == h {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(dst, dst.Bounds(), src, sb.Min, draw.Src)
		return flattenOnWhite(dst, src)
	}
	opaqueSrc := src

	// Catmull-Rom's run time grows with the source size; when shrinking by
	// 2× or more, average whole pixel blocks first. Box averaging is an
	// excellent anti-aliasing filter for integer factors and leaves
	// Catmull-Rom a ratio below 2, so quality is unchanged.
	if k := min(sb.Dx()/w, sb.Dy()/h); k >= 2 {
		src = boxShrink(src, k)
		sb = src.Bounds()
	}

	// A single draw.Scale call keeps a float64 scratch buffer of 32 bytes
	// per source row per output column, over 200 MB for a 12 megapixel
	// photo. Scaling one axis at a time instead makes the other axis an
	// identity, so each pass can be cut into bands along that axis with
	// bit-identical results, and scratch space stays at a few MB.
	mid := src
	if w != sb.Dx() {
		m := image.NewRGBA(image.Rect(0, 0, w, sb.Dy()))
		scaleInBands(m, src, true)
		mid = m
	}
	mb := mid.Bounds()
	dst, ok := mid.(*image.RGBA)
	if !ok || h != mb.Dy() {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
		scaleInBands(dst, mid, false)
	}
	return flattenOnWhite(dst, opaqueSrc)
}

// band is how many rows (or columns) one scaling call handles; it bounds the
// scaler's scratch buffer to band × output length × 32 bytes.
const band = 64

// scaleInBands scales src into dst along one axis only (horizontally when
// horizontal is true, else vertically); the other dimension of src and dst
// must match. Because that axis maps pixel to pixel, it can be processed in
// independent bands without changing the result.
func scaleInBands(dst *image.RGBA, src image.Image, horizontal bool) {
	sb, db := src.Bounds(), dst.Bounds()
	if horizontal {
		scaler := draw.CatmullRom.NewScaler(db.Dx(), band, sb.Dx(), band)
		for y := 0; y < sb.Dy(); y += band {
			y1 := min(y+band, sb.Dy())
			scaler.Scale(dst, image.Rect(db.Min.X, db.Min.Y+y, db.Max.X, db.Min.Y+y1),
				src, image.Rect(sb.Min.X, sb.Min.Y+y, sb.Max.X, sb.Min.Y+y1), draw.Src, nil)
		}
		return
	}
	scaler := draw.CatmullRom.NewScaler(band, db.Dy(), band, sb.Dy())
	for x := 0; x < sb.Dx(); x += band {
		x1 := min(x+band, sb.Dx())
		scaler.Scale(dst, image.Rect(db.Min.X+x, db.Min.Y, db.Min.X+x1, db.Max.Y),
			src, image.Rect(sb.Min.X+x, sb.Min.Y, sb.Min.X+x1, sb.Max.Y), draw.Src, nil)
	}
}

// flattenOnWhite composites the premultiplied image m onto white in place,
// unless orig (the image m was made from) is known to be opaque.
func flattenOnWhite(m *image.RGBA, orig image.Image) *image.RGBA {
	if isOpaque(orig) {
		return m
	}
	for i := 0; i+3 < len(m.Pix); i += 4 {
		// Premultiplied "over": c + white × (1 − α). The scaler keeps
		// c ≤ α, but clamp anyway rather than wrap around.
		gap := 0xFF - uint16(m.Pix[i+3])
		m.Pix[i+0] = uint8(min(uint16(m.Pix[i+0])+gap, 0xFF))
		m.Pix[i+1] = uint8(min(uint16(m.Pix[i+1])+gap, 0xFF))
		m.Pix[i+2] = uint8(min(uint16(m.Pix[i+2])+gap, 0xFF))
		m.Pix[i+3] = 0xFF
	}
	return m
}

func isOpaque(m image.Image) bool {
	o, ok := m.(interface{ Opaque() bool })
	return ok && o.Opaque()
}

// encode writes img as a baseline JPEG. The standard library encoder emits
// only the segments needed to decode pixels (DQT, SOF0, DHT, SOS), which is
// what guarantees no metadata in the output.
func encode(img *image.RGBA) (Rendition, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return Rendition{}, fmt.Errorf("imaging: encoding JPEG: %w", err)
	}
	b := img.Bounds()
	return Rendition{Width: b.Dx(), Height: b.Dy(), ContentType: contentTypeJPEG, Data: buf.Bytes()}, nil
}

// uploadError attaches a user-facing detail (such as the limit that was
// exceeded) and, for logs, the underlying decoder error to a sentinel, while
// keeping the message free of decoder jargon.
type uploadError struct {
	kind   error  // ErrTooLarge, ErrUnsupported or ErrUndecodable
	detail string // optional, shown to the user
	cause  error  // optional, for logs only
}

func (e *uploadError) Error() string {
	if e.detail == "" {
		return e.kind.Error()
	}
	return e.kind.Error() + " (" + e.detail + ")"
}

func (e *uploadError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// formatBytes renders a byte limit the way people talk about file sizes.
func formatBytes(n int64) string {
	const kb, mb = 1 << 10, 1 << 20
	switch {
	case n >= mb:
		return trimZero(float64(n)/mb) + " MB"
	case n >= kb:
		return trimZero(float64(n)/kb) + " KB"
	case n == 1:
		return "1 byte"
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

func formatMegapixels(px int64) string { return trimZero(float64(px) / 1e6) }

// trimZero formats with one decimal, dropping a trailing ".0".
func trimZero(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s
}
