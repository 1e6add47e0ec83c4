package imaging

import (
	"image"
	"image/color"
)

// swapsAxes reports whether EXIF orientation o turns the stored image by a
// quarter turn, so that its upright width is its stored height.
func swapsAxes(o int) bool { return o >= 5 && o <= 8 }

// orient returns src transformed so that it displays upright given its EXIF
// orientation; once the tag is gone the pixels themselves must be upright.
// For orientation 1 (or any invalid value) src is returned unchanged.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	sb := src.Bounds()
	w, h := sb.Dx(), sb.Dy()
	dw, dh := w, h
	if swapsAxes(o) {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			// (sx, sy) is the stored pixel that appears at (x, y) upright.
			var sx, sy int
			switch o {
			case 2: // mirrored horizontally
				sx, sy = w-1-x, y
			case 3: // rotated 180°
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored vertically
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // needs a 90° clockwise turn
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // needs a 90° counter-clockwise turn
				sx, sy = w-1-y, x
			}
			si := src.PixOffset(sb.Min.X+sx, sb.Min.Y+sy)
			di := dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// boxShrink averages k×k blocks of src into one pixel each, returning a
// premultiplied RGBA image (b.Dx()/k)×(b.Dy()/k). The at most k-1 leftover
// columns and rows at the right and bottom edges are dropped, an invisible
// crop that keeps every output pixel an exact average.
func boxShrink(src image.Image, k int) *image.RGBA {
	sb := src.Bounds()
	w, h := sb.Dx()/k, sb.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	at := pixelFunc(src)
	n := uint64(k * k)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var r, g, b, a uint64
			x0, y0 := sb.Min.X+x*k, sb.Min.Y+y*k
			for yy := y0; yy < y0+k; yy++ {
				for xx := x0; xx < x0+k; xx++ {
					pr, pg, pb, pa := at(xx, yy)
					r += uint64(pr)
					g += uint64(pg)
					b += uint64(pb)
					a += uint64(pa)
				}
			}
			i := dst.PixOffset(x, y)
			// 16-bit sums, rounded to nearest, then narrowed to 8 bits.
			dst.Pix[i+0] = uint8(((r + n/2) / n) >> 8)
			dst.Pix[i+1] = uint8(((g + n/2) / n) >> 8)
			dst.Pix[i+2] = uint8(((b + n/2) / n) >> 8)
			dst.Pix[i+3] = uint8(((a + n/2) / n) >> 8)
		}
	}
	return dst
}

// pixelFunc returns a fast accessor for the premultiplied 16-bit colour at
// (x, y), avoiding the per-pixel interface allocation of image.Image.At for
// the types that decoders commonly return.
func pixelFunc(src image.Image) func(x, y int) (r, g, b, a uint32) {
	switch s := src.(type) {
	case *image.YCbCr:
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			yi, ci := s.YOffset(x, y), s.COffset(x, y)
			r, g, b := color.YCbCrToRGB(s.Y[yi], s.Cb[ci], s.Cr[ci])
			return uint32(r) * 0x101, uint32(g) * 0x101, uint32(b) * 0x101, 0xFFFF
		}
	case *image.RGBA:
		return func(x, y int) (uint32, uint32, uint32, uint32) { return s.RGBAAt(x, y).RGBA() }
	case *image.NRGBA:
		return func(x, y int) (uint32, uint32, uint32, uint32) { return s.NRGBAAt(x, y).RGBA() }
	case *image.Gray:
		return func(x, y int) (uint32, uint32, uint32, uint32) { return s.GrayAt(x, y).RGBA() }
	default:
		return func(x, y int) (uint32, uint32, uint32, uint32) { return src.At(x, y).RGBA() }
	}
}
