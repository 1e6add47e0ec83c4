package demo

import (
	"image"
	"image/color"
	"math"
)

// A tiny vector painter for the demo's product photos: shapes are signed distance functions
// (negative inside) with a bounding box, painted with anti-aliased edges over their box only.

type pt struct{ x, y float64 }

type shape struct {
	d              func(x, y float64) float64
	x0, y0, x1, y1 float64
}

func disc(cx, cy, r float64) shape {
	return shape{func(x, y float64) float64 {
		dx, dy := x-cx, y-cy
		return math.Sqrt(dx*dx+dy*dy) - r
	}, cx - r, cy - r, cx + r, cy + r}
}

// ellipseDist approximates the distance to an ellipse's edge (Inigo Quilez's estimate),
// good enough for anti-aliasing.
func ellipseDist(px, py, a, b float64) float64 {
	ua, ub := px/a, py/b
	k0 := math.Sqrt(ua*ua + ub*ub)
	ua, ub = ua/a, ub/b
	k1 := math.Sqrt(ua*ua + ub*ub)
	if k1 == 0 {
		return -min(a, b)
	}
	return k0 * (k0 - 1) / k1
}

func ellipse(cx, cy, a, b float64) shape {
	return shape{func(x, y float64) float64 { return ellipseDist(x-cx, y-cy, a, b) }, cx - a, cy - b, cx + a, cy + b}
}

// ellipseRot is an ellipse whose a-axis points at angle ang (radians).
func ellipseRot(cx, cy, a, b, ang float64) shape {
	s, c := math.Sincos(ang)
	m := max(a, b)
	return shape{func(x, y float64) float64 {
		dx, dy := x-cx, y-cy
		return ellipseDist(dx*c+dy*s, -dx*s+dy*c, a, b)
	}, cx - m, cy - m, cx + m, cy + m}
}

// rbox is a box centred on (cx, cy) with half sizes hw, hh and corner radius r.
func rbox(cx, cy, hw, hh, r float64) shape {
	return shape{func(x, y float64) float64 {
		qx, qy := math.Abs(x-cx)-(hw-r), math.Abs(y-cy)-(hh-r)
		mx, my := max(qx, 0), max(qy, 0)
		return math.Sqrt(mx*mx+my*my) + min(max(qx, qy), 0) - r
	}, cx - hw, cy - hh, cx + hw, cy + hh}
}

func segDist(x, y float64, a, b pt) float64 {
	ex, ey := b.x-a.x, b.y-a.y
	wx, wy := x-a.x, y-a.y
	t := 0.0
	if l := ex*ex + ey*ey; l > 0 {
		t = min(max((wx*ex+wy*ey)/l, 0), 1)
	}
	dx, dy := wx-ex*t, wy-ey*t
	return math.Sqrt(dx*dx + dy*dy)
}

// path is a polyline w pixels wide with round ends.
func path(w float64, ps ...pt) shape {
	s := shape{x0: math.Inf(1), y0: math.Inf(1), x1: math.Inf(-1), y1: math.Inf(-1)}
	for _, p := range ps {
		s.x0, s.y0, s.x1, s.y1 = min(s.x0, p.x-w), min(s.y0, p.y-w), max(s.x1, p.x+w), max(s.y1, p.y+w)
	}
	s.d = func(x, y float64) float64 {
		d := math.Inf(1)
		for i := 1; i < len(ps); i++ {
			d = min(d, segDist(x, y, ps[i-1], ps[i]))
		}
		if len(ps) == 1 {
			d = segDist(x, y, ps[0], ps[0])
		}
		return d - w/2
	}
	return s
}

// poly is a closed polygon (convex or not).
func poly(ps ...pt) shape {
	s := path(0, ps...)
	s.d = func(x, y float64) float64 {
		d := math.Inf(1)
		inside := false
		for i, j := 0, len(ps)-1; i < len(ps); j, i = i, i+1 {
			a, b := ps[i], ps[j]
			d = min(d, segDist(x, y, a, b))
			if (a.y > y) != (b.y > y) && x < (b.x-a.x)*(y-a.y)/(b.y-a.y)+a.x {
				inside = !inside
			}
		}
		if inside {
			return -d
		}
		return d
	}
	return s
}

// outline is the band w wide along s's edge.
func outline(s shape, w float64) shape {
	return shape{func(x, y float64) float64 { return math.Abs(s.d(x, y)) - w/2 }, s.x0 - w, s.y0 - w, s.x1 + w, s.y1 + w}
}

// clip keeps the part of s inside by.
func clip(s, by shape) shape {
	return shape{func(x, y float64) float64 { return max(s.d(x, y), by.d(x, y)) },
		max(s.x0, by.x0), max(s.y0, by.y0), min(s.x1, by.x1), min(s.y1, by.y1)}
}

func union(ss ...shape) shape {
	u := ss[0]
	for _, s := range ss[1:] {
		u.x0, u.y0, u.x1, u.y1 = min(u.x0, s.x0), min(u.y0, s.y0), max(u.x1, s.x1), max(u.y1, s.y1)
	}
	u.d = func(x, y float64) float64 {
		d := math.Inf(1)
		for _, s := range ss {
			d = min(d, s.d(x, y))
		}
		return d
	}
	return u
}

func moved(s shape, dx, dy float64) shape {
	return shape{func(x, y float64) float64 { return s.d(x-dx, y-dy) }, s.x0 + dx, s.y0 + dy, s.x1 + dx, s.y1 + dy}
}

// topArc is the upper half of an ellipse's outline, w wide: a handle or a strap.
func topArc(cx, cy, rx, ry, w float64) shape {
	return clip(outline(ellipse(cx, cy, rx, ry), w), rbox(cx, cy-ry/2-w, rx+w, ry/2+w, 0))
}

// arc returns n+1 points on an ellipse from angle a0 to a1 (radians, y down).
func arc(cx, cy, rx, ry, a0, a1 float64, n int) []pt {
	ps := make([]pt, 0, n+1)
	for i := 0; i <= n; i++ {
		s, c := math.Sincos(a0 + (a1-a0)*float64(i)/float64(n))
		ps = append(ps, pt{cx + rx*c, cy + ry*s})
	}
	return ps
}

// canvas paints in design units (800 × 600, whatever the picture's size): k is design units
// per pixel.
type canvas struct {
	m  *image.RGBA
	k  float64
	bg color.RGBA // the backdrop's colour, for shadows
}

// paint blends col over the shape; soft widens the edge, in design units (1 is a crisp
// anti-aliased edge).
func (c *canvas) paint(s shape, col color.RGBA, alpha, soft float64) {
	b, k := c.m.Bounds(), c.k
	pad := soft + k
	x0, y0 := max(b.Min.X, int(math.Floor((s.x0-pad)/k))), max(b.Min.Y, int(math.Floor((s.y0-pad)/k)))
	x1, y1 := min(b.Max.X, int(math.Ceil((s.x1+pad)/k))), min(b.Max.Y, int(math.Ceil((s.y1+pad)/k)))
	edge := max(soft, k) // the edge's width in design units, at least a pixel
	cr, cg, cb := float64(col.R), float64(col.G), float64(col.B)
	for y := y0; y < y1; y++ {
		fy := (float64(y) + 0.5) * k
		i := c.m.PixOffset(x0, y)
		for x := x0; x < x1; x, i = x+1, i+4 {
			cov := 0.5 - s.d((float64(x)+0.5)*k, fy)/edge
			if cov <= 0 {
				continue
			}
			a := min(cov, 1) * alpha
			p := c.m.Pix[i : i+3 : i+3]
			p[0] = uint8(float64(p[0]) + (cr-float64(p[0]))*a + 0.5)
			p[1] = uint8(float64(p[1]) + (cg-float64(p[1]))*a + 0.5)
			p[2] = uint8(float64(p[2]) + (cb-float64(p[2]))*a + 0.5)
		}
	}
}

func (c *canvas) fill(s shape, col color.RGBA) { c.paint(s, col, 1, 1) }

func mix(a, b color.RGBA, t float64) color.RGBA {
	f := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 255}
}

func shade(c color.RGBA, k float64) color.RGBA {
	f := func(x uint8) uint8 { return uint8(min(255, float64(x)*k+0.5)) }
	return color.RGBA{f(c.R), f(c.G), f(c.B), 255}
}

var white = color.RGBA{255, 255, 255, 255}

func lighten(c color.RGBA, t float64) color.RGBA { return mix(c, white, t) }
