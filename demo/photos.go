package demo

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"unicode"
)

// The demo's product photos are drawn here, one design per kind of product, so the shop shows
// goods without shipping image files: a soft backdrop, the object with a soft shadow, colours
// from a warm palette picked by the title. No people, no faces, no text.

// Photos are 640 × 480: exactly the catalog's 640 rendition and twice its 320 one, so the upload
// path re-encodes them without resampling (an 800-wide photo takes three times as long to
// process). Designs are drawn in 800 × 600 units and scaled.
const photoW, photoH = 640, 480

const designW = 800.0

type palette struct{ bg, main, accent, metal color.RGBA }

var (
	backdrops = []color.RGBA{{247, 239, 228, 255}, {246, 231, 226, 255}, {233, 238, 227, 255},
		{242, 231, 212, 255}, {231, 236, 242, 255}, {240, 233, 240, 255}}
	warm = []color.RGBA{
		{196, 98, 62, 255},   // terracotta
		{168, 50, 52, 255},   // madder red
		{232, 160, 40, 255},  // marigold
		{226, 118, 44, 255},  // saffron
		{208, 106, 120, 255}, // rose
		{122, 52, 86, 255},   // plum
		{38, 118, 118, 255},  // teal
		{52, 72, 134, 255},   // indigo
		{112, 132, 62, 255},  // moss
		{196, 146, 58, 255},  // ochre
	}
	brass  = color.RGBA{201, 160, 72, 255}
	gold   = color.RGBA{222, 182, 86, 255}
	copper = color.RGBA{186, 110, 70, 255}
	silver = color.RGBA{156, 156, 162, 255}
	jute   = color.RGBA{190, 160, 112, 255}
	ivory  = color.RGBA{246, 240, 226, 255}
)

// productKind names the design for a product, by words in its title, then by its category.
func productKind(title, category string) string {
	t := strings.ToLower(title)
	for _, k := range []struct{ kind, words string }{
		{"earrings", "earring jhumka"},
		{"keyring", "keyring tassel"},
		{"pendant", "pendant"},
		{"necklace", "necklace choker mala macram"},
		{"bangles", "bangle"},
		{"beadband", "bracelet anklet"},
		{"ring", "ring"},
		{"brooch", "brooch"},
		{"hairpin", "hair"},
		{"backpack", "backpack"},
		{"potli", "potli"},
		{"bag", "tote bag"},
		{"cushion", "cushion"},
		{"runner", "runner"},
		{"quilt", "quilt throw blanket"},
		{"scarf", "scarf stole dupatta"},
		{"kurta", "kurta"},
		{"apron", "apron"},
		{"case", "spectacle"},
		{"purse", "purse"},
		{"pouches", "pouch"},
	} {
		for w := range strings.FieldsSeq(k.words) {
			for tw := range strings.FieldsFuncSeq(t, func(r rune) bool { return !unicode.IsLetter(r) }) {
				if strings.HasPrefix(tw, w) {
					return k.kind
				}
			}
		}
	}
	switch category {
	case "jewellery":
		return "necklace"
	case "bags":
		return "bag"
	case "home":
		return "cushion"
	case "clothing":
		return "scarf"
	}
	return "pouches"
}

// productPhoto draws a photoW × photoH JPEG for a demo product.
func productPhoto(title, category string) []byte {
	h := fnv.New64a()
	h.Write([]byte(title))
	sum := h.Sum64()
	r := rand.New(rand.NewPCG(sum, sum>>7|1))
	p := palette{bg: backdrops[r.IntN(len(backdrops))], metal: brass}
	i := r.IntN(len(warm))
	p.main, p.accent = warm[i], warm[(i+3+r.IntN(len(warm)-5))%len(warm)]
	t := strings.ToLower(title)
	switch {
	case strings.Contains(t, "oxidised"):
		p.metal = silver
	case strings.Contains(t, "copper"):
		p.metal = copper
	case strings.Contains(t, "gold") || strings.Contains(t, "kundan") || strings.Contains(t, "zari"):
		p.metal = gold
	}
	for _, w := range []struct {
		word string
		c    color.RGBA
	}{{"terracotta", warm[0]}, {"indigo", warm[7]}, {"madder", warm[1]}, {"rust", warm[0]}, {"jute", jute}, {"khadi", ivory}, {"denim", warm[7]}} {
		if strings.Contains(t, w.word) {
			p.main = w.c
		}
	}
	c := &canvas{m: image.NewRGBA(image.Rect(0, 0, photoW, photoH)), k: designW / photoW}
	c.backdrop(p.bg)
	d := designs[productKind(title, category)]
	d(c, r, p, t)
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, c.m, &jpeg.Options{Quality: 85})
	return buf.Bytes()
}

// backdrop is a soft studio light: brighter in the middle, a tabletop below. Each colour's is
// drawn once and copied.
func (c *canvas) backdrop(bg color.RGBA) {
	backdropMu.Lock()
	pix, ok := backdropCache[bg]
	if !ok {
		m := image.NewRGBA(image.Rect(0, 0, photoW, photoH))
		light, dark := lighten(bg, 0.5), shade(bg, 0.95)
		for y := 0; y < photoH; y++ {
			floor := min(max(((float64(y)+0.5)*c.k-400)/70, 0), 1)
			floor = floor * floor * (3 - 2*floor)
			for x := 0; x < photoW; x++ {
				u, v := ((float64(x)+0.5)*c.k-400)/560, ((float64(y)+0.5)*c.k-260)/430
				t := min(u*u+v*v, 1)
				col := mix(light, dark, t)
				if floor > 0 {
					col = mix(col, shade(col, 0.94), floor)
				}
				i := m.PixOffset(x, y)
				m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = col.R, col.G, col.B, 255
			}
		}
		pix = m.Pix
		backdropCache[bg] = pix
	}
	backdropMu.Unlock()
	copy(c.m.Pix, pix)
	c.bg = bg
}

var (
	backdropMu    sync.Mutex
	backdropCache = map[color.RGBA][]uint8{}
)

// object paints s in col after its soft shadow.
func (c *canvas) object(s shape, col color.RGBA) {
	c.paint(moved(s, 9, 12), shade(c.bg, 0.55), 0.22, 16)
	c.fill(s, col)
}

// shine adds a soft highlight, clipped to s.
func (c *canvas) shine(s shape, cx, cy, a, b float64) {
	c.paint(clip(ellipse(cx, cy, a, b), s), white, 0.18, 30)
}

// bead is a glossy round bead.
func (c *canvas) bead(x, y, r float64, col color.RGBA) {
	s := disc(x, y, r)
	c.object(s, col)
	c.paint(disc(x-r*0.35, y-r*0.35, r*0.3), white, 0.55, max(r*0.25, 1))
}

// stitches is a row of running stitches from x0 to x1 at y, inside in.
func (c *canvas) stitches(x0, x1, y float64, col color.RGBA, in shape) {
	for x := x0; x < x1; x += 17 {
		c.fill(clip(path(3, pt{x, y}, pt{x + 9, y}), in), col)
	}
}

type design func(c *canvas, r *rand.Rand, p palette, title string)

var designs = map[string]design{
	"earrings": earrings, "keyring": keyring, "pendant": pendant, "necklace": necklace,
	"bangles": bangles, "beadband": beadband, "ring": ring, "brooch": brooch, "hairpin": hairpin,
	"backpack": backpack, "potli": potli, "bag": bag, "cushion": cushion, "runner": runner,
	"quilt": quilt, "scarf": scarf, "kurta": kurta, "apron": apron, "case": glassesCase,
	"purse": purse, "pouches": pouches,
}

func earrings(c *canvas, r *rand.Rand, p palette, t string) {
	gem := p.main
	for _, side := range []float64{-1, 1} {
		cx, top := 400+side*(115+r.Float64()*10), 150.0
		hook := path(5, arc(cx+12, top, 12, 16, math.Pi, 2*math.Pi, 16)...)
		switch {
		case strings.Contains(t, "hoop"):
			ring := outline(disc(cx, top+110, 95), 12)
			c.object(ring, p.main)
			for a := 0.0; a < 2*math.Pi; a += 0.18 { // the wrapped thread
				s, co := math.Sincos(a)
				c.fill(path(2, pt{cx + 89*co, top + 110 + 89*s}, pt{cx + 101*co, top + 110 + 101*s}), shade(p.main, 0.75))
			}
			c.object(path(5, pt{cx, top - 30}, pt{cx, top + 15}), p.metal)
		case strings.Contains(t, "jhumka"):
			c.object(hook, p.metal)
			c.object(path(5, pt{cx, top + 10}, pt{cx, top + 60}), p.metal)
			c.object(disc(cx, top+30, 18), p.metal)
			c.fill(disc(cx, top+30, 8), gem)
			bellY := top + 160
			bell := clip(ellipse(cx, bellY, 72, 95), rbox(cx, bellY-48, 80, 48, 0))
			c.object(bell, p.metal)
			for k := 1; k <= 3; k++ {
				c.paint(clip(outline(ellipse(cx, bellY, 72-float64(k)*16, 95-float64(k)*22), 3), bell), shade(p.metal, 0.7), 0.8, 1)
			}
			c.shine(bell, cx-25, bellY-60, 25, 35)
			for x := -66.0; x <= 66; x += 13.2 {
				c.bead(cx+x, bellY+10, 6.5, map[bool]color.RGBA{true: p.accent, false: ivory}[int(x)%2 == 0])
			}
		case strings.Contains(t, "stud") || strings.Contains(t, "leaf"):
			leaf := clip(disc(cx-45, 300, 72), disc(cx+45, 300, 72))
			c.object(leaf, p.metal)
			c.fill(path(3, pt{cx, 245}, pt{cx, 355}), shade(p.metal, 0.7))
			for k := 0; k < 3; k++ {
				y := 270 + float64(k)*25
				c.fill(path(2, pt{cx, y + 12}, pt{cx - 18, y}), shade(p.metal, 0.7))
				c.fill(path(2, pt{cx, y + 12}, pt{cx + 18, y}), shade(p.metal, 0.7))
			}
			c.shine(leaf, cx-15, 270, 20, 35)
		default: // a drop with set stones
			c.object(hook, p.metal)
			c.object(disc(cx, top+28, 15), p.metal)
			c.fill(disc(cx, top+28, 8), p.accent)
			drop := union(disc(cx, top+175, 58), poly(pt{cx - 50, top + 146}, pt{cx, top + 60}, pt{cx + 50, top + 146}))
			c.object(drop, p.metal)
			c.fill(ellipse(cx, top+170, 34, 40), gem)
			c.paint(ellipse(cx-10, top+158, 10, 13), white, 0.5, 4)
			for a := 0.0; a < 2*math.Pi; a += math.Pi / 5 {
				s, co := math.Sincos(a)
				c.bead(cx+47*co, top+172+47*s, 5, ivory)
			}
		}
	}
}

// necklace: beads on a cord (terracotta, glass, mala), coins on a choker, or a disc on macramé.
func necklace(c *canvas, r *rand.Rand, p palette, t string) {
	curve := func(th float64) pt {
		s, co := math.Sincos(th)
		return pt{400 + 250*s, 190 + 200*co}
	}
	cord := clip(outline(ellipse(400, 190, 250, 200), 4), rbox(400, 400, 260, 284, 0)) // open at the top
	cordCol := shade(p.accent, 0.55)
	if strings.Contains(t, "macram") {
		cordCol = ivory
	}
	c.object(cord, cordCol)
	switch {
	case strings.Contains(t, "choker") || strings.Contains(t, "coin"):
		for th := -1.4; th <= 1.41; th += 0.2 {
			q := curve(th)
			coin := disc(q.x, q.y+18, 20)
			c.object(coin, p.metal)
			c.fill(outline(disc(q.x, q.y+18, 13), 2), shade(p.metal, 0.7))
			c.shine(coin, q.x-6, q.y+10, 8, 8)
		}
	case strings.Contains(t, "macram"):
		for th := -1.3; th <= 1.31; th += 0.12 {
			q := curve(th)
			c.fill(ellipse(q.x, q.y, 7, 5), shade(ivory, 0.85))
		}
		q := curve(0)
		m := disc(q.x, q.y+62, 58)
		c.object(m, p.metal)
		for k := 0; k < 40; k++ { // hammered
			a, rr := r.Float64()*2*math.Pi, math.Sqrt(r.Float64())*50
			s, co := math.Sincos(a)
			c.paint(disc(q.x+rr*co, q.y+62+rr*s, 4), shade(p.metal, 0.8), 0.6, 2)
		}
		c.shine(m, q.x-20, q.y+40, 20, 20)
	default:
		n, big := 19+r.IntN(6), 16.0
		if strings.Contains(t, "mala") {
			n, big = 45, 9
		}
		cols := []color.RGBA{p.main, p.accent, lighten(p.main, 0.3)}
		for k := range n {
			th := -1.75 + 3.5*float64(k)/float64(n-1)
			q := curve(th)
			rad := big * (0.7 + 0.3*math.Cos(th/1.75*math.Pi/2))
			c.bead(q.x, q.y, rad, cols[k%len(cols)])
		}
		if strings.Contains(t, "mala") {
			q := curve(0)
			tas := poly(pt{q.x - 12, q.y + 14}, pt{q.x + 12, q.y + 14}, pt{q.x + 28, q.y + 120}, pt{q.x - 28, q.y + 120})
			c.object(tas, p.accent)
			for x := -24.0; x <= 24; x += 6 {
				c.paint(path(2, pt{q.x + x/2.5, q.y + 20}, pt{q.x + x, q.y + 118}), shade(p.accent, 0.7), 0.6, 1)
			}
			c.fill(rbox(q.x, q.y+22, 14, 8, 3), p.metal)
		}
	}
}

// pendant: a fine chain with a cast medallion.
func pendant(c *canvas, r *rand.Rand, p palette, t string) {
	for th := -1.9; th <= 1.9; th += 0.045 {
		s, co := math.Sincos(th)
		c.fill(outline(disc(400+240*s, 170+190*co, 4), 2), shade(p.metal, 0.85))
	}
	cy := 430.0
	c.object(rbox(400, 368, 9, 14, 5), p.metal)
	m := union(disc(400, cy, 62), poly(pt{360, cy - 45}, pt{400, cy - 80}, pt{440, cy - 45}))
	c.object(m, p.metal)
	for k := 1; k <= 3; k++ { // dokra wire coils
		c.fill(outline(disc(400, cy+4, float64(k)*15), 3.5), shade(p.metal, 0.7))
	}
	c.bead(400, cy+4, 7, p.accent)
	c.shine(m, 375, cy-25, 25, 20)
}

func bangles(c *canvas, r *rand.Rand, p palette, t string) {
	n := 2 + r.IntN(2)
	if strings.Contains(t, "four") {
		n = 4
	}
	painted := strings.Contains(t, "wood") || strings.Contains(t, "painted")
	for i := range n {
		cx, cy := 400+float64(i)*12-float64(n)*6, 380-float64(i)*34
		e := ellipse(cx, cy, 175, 72)
		w, col := 16.0, p.metal
		if painted {
			w, col = 36, p.main
		}
		band := outline(e, w)
		c.object(band, col)
		c.paint(outline(ellipse(cx, cy-w/4, 175, 72), 3), lighten(col, 0.5), 0.5, 1.5)
		for a := 0.0; a < 2*math.Pi; a += math.Pi / 14 {
			s, co := math.Sincos(a + float64(i)*0.1)
			x, y := cx+175*co, cy+72*s
			if painted {
				c.fill(ellipseRot(x, y, 9, 4, a+math.Pi/2), p.accent)
				c.fill(disc(x, y, 2.5), ivory)
			} else {
				c.fill(ellipseRot(x, y, 5, 2.2, a+math.Pi/3), shade(p.metal, 0.65))
			}
		}
	}
}

// beadband: a beaded bracelet, an anklet pair or a jute bracelet tied with beads.
func beadband(c *canvas, r *rand.Rand, p palette, t string) {
	loops := []pt{{400, 320}}
	a, b := 170.0, 95.0
	if strings.Contains(t, "anklet") || strings.Contains(t, "pair") {
		loops, a, b = []pt{{265, 330}, {535, 300}}, 115, 70
	}
	cols := []color.RGBA{p.main, p.accent, ivory, p.metal}
	for li, o := range loops {
		if strings.Contains(t, "jute") {
			c.object(outline(ellipse(o.x, o.y, a, b), 9), jute)
			for k := range 7 {
				s, co := math.Sincos(math.Pi*0.1 + float64(k)*math.Pi/8)
				c.bead(o.x+a*co, o.y+b*s, 11, cols[k%2])
			}
			c.object(path(5, pt{o.x - 8, o.y - b}, pt{o.x - 30, o.y - b - 60}), jute)
			c.object(path(5, pt{o.x + 8, o.y - b}, pt{o.x + 28, o.y - b - 55}), jute)
			continue
		}
		n := int(a / 4.2)
		for k := range n {
			s, co := math.Sincos(2 * math.Pi * float64(k) / float64(n))
			c.bead(o.x+a*co, o.y+b*s, 7.5, cols[(k+li)%3])
		}
		c.object(outline(disc(o.x+a+6, o.y, 8), 3.5), p.metal)
	}
}

func ring(c *canvas, r *rand.Rand, p palette, t string) {
	band := outline(ellipse(400, 360, 115, 55), 16)
	c.object(band, p.metal)
	for a := 0.0; a < 2*math.Pi; a += 0.16 { // twisted wire
		s, co := math.Sincos(a)
		c.fill(ellipseRot(400+115*co, 360+55*s, 7, 1.6, a+0.9), lighten(p.metal, 0.35))
	}
	stone := ellipse(400, 292, 62, 44)
	c.object(stone, color.RGBA{112, 122, 128, 255})
	c.paint(clip(ellipse(390, 300, 60, 40), stone), color.RGBA{84, 92, 100, 255}, 0.6, 20)
	c.paint(ellipse(378, 276, 18, 9), white, 0.5, 6)
}

// brooch: an enamelled peacock's fan.
func brooch(c *canvas, r *rand.Rand, p palette, t string) {
	blue, green := color.RGBA{34, 96, 156, 255}, color.RGBA{46, 138, 98, 255}
	cx, cy := 400.0, 380.0
	for k := range 9 {
		a := math.Pi*(-0.92) + float64(k)*math.Pi*0.84/8
		s, co := math.Sincos(a)
		f := ellipseRot(cx+125*co, cy+125*s, 92, 28, a)
		c.object(f, []color.RGBA{blue, green}[k%2])
		c.fill(outline(f, 3), p.metal)
		c.fill(disc(cx+175*co, cy+175*s, 13), p.metal)
		c.fill(disc(cx+175*co, cy+175*s, 7), []color.RGBA{green, blue}[k%2])
	}
	body := union(ellipse(cx, cy+10, 42, 62), disc(cx+5, cy-62, 20))
	c.object(body, p.metal)
	c.fill(ellipse(cx, cy+12, 26, 44), blue)
	c.shine(body, cx-15, cy-10, 15, 30)
}

func hairpin(c *canvas, r *rand.Rand, p palette, t string) {
	c.object(path(9, pt{270, 500}, pt{500, 200}), p.metal)
	c.paint(path(2, pt{268, 495}, pt{496, 198}), white, 0.4, 1)
	shell := ellipseRot(520, 175, 62, 42, -0.9)
	c.object(shell, ivory)
	c.fill(ellipseRot(523, 172, 44, 5, -0.9), shade(ivory, 0.55))
	for k := -3.0; k <= 3; k++ {
		s, co := math.Sincos(-0.9)
		x, y := 520+k*12*co, 175+k*12*s
		c.paint(path(2, pt{x - 8*s, y + 8*co}, pt{x - 18*s, y + 18*co}), shade(ivory, 0.7), 0.8, 1)
	}
	c.paint(ellipse(500, 150, 20, 12), white, 0.35, 10)
}

func keyring(c *canvas, r *rand.Rand, p palette, t string) {
	c.object(outline(disc(400, 120, 46), 8), p.metal)
	c.object(path(4, pt{400, 166}, pt{400, 200}), p.metal)
	for k := range 3 {
		c.bead(400, 215+float64(k)*30, 14, []color.RGBA{p.accent, ivory, p.main}[k])
	}
	tas := poly(pt{380, 300}, pt{420, 300}, pt{455, 500}, pt{345, 500})
	c.object(tas, p.main)
	for x := -50.0; x <= 50; x += 7 {
		c.paint(path(2, pt{400 + x/3, 310}, pt{400 + x, 498}), shade(p.main, 0.72), 0.6, 1)
	}
	c.fill(rbox(400, 308, 24, 12, 4), p.accent)
}

func bag(c *canvas, r *rand.Rand, p palette, t string) {
	switch {
	case strings.Contains(t, "sling") || strings.Contains(t, "patchwork"):
		body := rbox(400, 370, 165, 125, 45)
		c.object(topArc(400, 330, 165, 250, 12), shade(p.main, 0.7))
		c.object(body, p.main)
		cols := []color.RGBA{p.main, p.accent, lighten(p.accent, 0.4), warm[r.IntN(len(warm))], ivory}
		for i := range 4 {
			for j := range 3 {
				patch := clip(rbox(235+82*float64(i)+41, 245+84*float64(j)+42, 41, 42, 0), body)
				c.fill(patch, cols[(i+2*j+r.IntN(2))%len(cols)])
				c.stitches(236+82*float64(i), 316+82*float64(i), 250+84*float64(j), ivory, body)
			}
		}
		c.shine(body, 330, 290, 120, 60)
	case strings.Contains(t, "shoulder") || strings.Contains(t, "khadi"):
		c.object(topArc(400, 290, 140, 230, 12), shade(p.main, 0.8))
		body := rbox(400, 385, 160, 125, 18)
		c.object(body, p.main)
		c.fill(clip(rbox(400, 385, 160, 6, 0), body), p.accent)
		for y := 280.0; y < 500; y += 8 { // handloom weave
			c.paint(clip(path(1.5, pt{245, y}, pt{555, y}), body), shade(p.main, 0.9), 0.5, 1)
		}
	default: // tote
		body := poly(pt{255, 235}, pt{545, 235}, pt{575, 505}, pt{225, 505})
		for i, dx := range []float64{12, 0} {
			c.object(topArc(400+dx, 240, 95, 125, 15), shade(p.main, 0.72+0.1*float64(i)))
		}
		c.object(body, p.main)
		if strings.Contains(t, "kantha") {
			for y := 260.0; y < 495; y += 22 {
				c.stitches(240, 560, y, []color.RGBA{p.accent, ivory}[int(y/22)%2], body)
			}
		}
		if strings.Contains(t, "elephant") || strings.Contains(t, "appliqu") {
			el := union(ellipse(390, 385, 85, 55), disc(470, 350, 40),
				path(18, pt{495, 365}, pt{515, 410}, pt{505, 440}),
				rbox(340, 445, 12, 28, 6), rbox(375, 450, 12, 28, 6), rbox(410, 450, 12, 28, 6), rbox(440, 445, 12, 28, 6))
			c.fill(el, p.accent)
			c.fill(ellipse(462, 342, 24, 30), shade(p.accent, 0.85)) // the ear
			c.fill(outline(el, 2), ivory)
		}
		c.shine(body, 320, 290, 90, 70)
	}
}

func backpack(c *canvas, r *rand.Rand, p palette, t string) {
	c.object(outline(rbox(400, 120, 40, 30, 20), 9), shade(p.main, 0.7))
	body := rbox(400, 330, 150, 190, 60)
	c.object(body, p.main)
	for y := 160.0; y < 520; y += 7 { // denim twill
		c.paint(clip(path(1.2, pt{240, y}, pt{560, y - 30}), body), lighten(p.main, 0.2), 0.35, 1)
	}
	flap := clip(ellipse(400, 200, 150, 110), rbox(400, 250, 150, 110, 0))
	c.object(flap, shade(p.main, 0.8))
	c.fill(rbox(400, 300, 14, 22, 4), p.metal)
	pocket := rbox(400, 430, 95, 60, 22)
	c.object(pocket, shade(p.main, 0.9))
	c.fill(outline(rbox(400, 430, 85, 50, 18), 2), gold)
}

func potli(c *canvas, r *rand.Rand, p palette, t string) {
	body := union(ellipse(400, 405, 135, 115), poly(pt{345, 270}, pt{455, 270}, pt{510, 360}, pt{290, 360}))
	frill := poly(pt{350, 262}, pt{450, 262}, pt{495, 185}, pt{455, 200}, pt{425, 178}, pt{400, 196}, pt{375, 178}, pt{345, 200}, pt{305, 185})
	c.object(frill, shade(p.main, 0.85))
	c.object(body, p.main)
	c.fill(clip(rbox(400, 455, 140, 14, 0), body), gold)
	c.fill(clip(rbox(400, 430, 140, 3, 0), body), gold)
	c.fill(rbox(400, 268, 62, 9, 5), shade(p.main, 0.7))
	for _, side := range []float64{-1, 1} {
		c.object(path(4, pt{400 + side*20, 272}, pt{400 + side*70, 330}, pt{400 + side*80, 360}), gold)
		c.bead(400+side*80, 368, 10, gold)
	}
	c.shine(body, 340, 370, 70, 60)
}

func cushion(c *canvas, r *rand.Rand, p palette, t string) {
	cx, cy := 400.0, 300.0
	base := p.main
	if strings.Contains(t, "mirror") {
		base = lighten(p.main, 0.15)
	}
	cu := rbox(cx, cy, 205, 190, 70)
	c.object(cu, base)
	mirror := strings.Contains(t, "mirror")
	for i := -3; i <= 3; i++ {
		for j := -3; j <= 3; j++ {
			x, y := cx+float64(i)*58+float64(j%2)*29, cy+float64(j)*54
			if mirror {
				c.fill(clip(disc(x, y, 15), cu), p.accent)
				c.fill(clip(disc(x, y, 9), cu), silver)
				c.paint(clip(disc(x-3, y-3, 3), cu), white, 0.8, 1)
				continue
			}
			c.fill(clip(poly(pt{x, y - 20}, pt{x + 16, y}, pt{x, y + 20}, pt{x - 16, y}), cu), lighten(base, 0.55))
			c.fill(clip(disc(x, y, 5), cu), base)
			c.fill(clip(disc(x+29, y-27, 4), cu), lighten(base, 0.55))
		}
	}
	c.fill(outline(rbox(cx, cy, 199, 184, 66), 6), p.accent)
	c.shine(cu, 320, 210, 180, 130)
	c.paint(clip(ellipse(480, 400, 180, 120), cu), shade(base, 0.6), 0.25, 60)
}

// quilt: a throw or blanket folded in a stack, quilted in kantha stitches.
func quilt(c *canvas, r *rand.Rand, p palette, t string) {
	cols := []color.RGBA{p.main, p.accent, lighten(p.main, 0.35), ivory}
	if strings.Contains(t, "baby") {
		cols = []color.RGBA{lighten(p.main, 0.45), lighten(p.accent, 0.5), ivory, lighten(p.main, 0.25)}
	}
	for i := range 4 {
		y := 470 - float64(i)*58
		layer := rbox(400-float64(i%2)*8, y, 240, 34, 22)
		c.object(layer, cols[i])
		c.stitches(175, 625, y-12, shade(cols[i], 0.7), layer)
		c.stitches(183, 625, y+6, []color.RGBA{p.accent, p.main, p.accent, p.main}[i], layer)
		c.paint(clip(rbox(400, y-28, 240, 8, 0), layer), white, 0.2, 10)
	}
	top := poly(pt{175, 265}, pt{625, 265}, pt{585, 150}, pt{215, 150})
	c.object(top, cols[3])
	for k := 0; k < 6; k += 2 {
		a0, b0 := 215+float64(k)*61.7, 175+float64(k)*75
		c.fill(clip(poly(pt{b0, 265}, pt{b0 + 75, 265}, pt{a0 + 61.7, 150}, pt{a0, 150}), top), cols[(k/2)%3])
	}
	for y := 165.0; y < 260; y += 18 {
		c.stitches(200, 610, y, p.accent, top)
	}
}

func runner(c *canvas, r *rand.Rand, p palette, t string) {
	band := poly(pt{90, 380}, pt{620, 170}, pt{710, 250}, pt{180, 470})
	c.object(band, p.main)
	for k := 1; k < 10; k++ {
		f := float64(k) / 10
		x, y := 135+(665-135)*f, 425-(425-210)*f
		c.fill(clip(poly(pt{x - 28, y + 11}, pt{x, y - 22}, pt{x + 28, y - 11}, pt{x, y + 22}), band), ivory)
		c.fill(clip(disc(x, y, 6), band), p.main)
	}
	c.fill(clip(outline(poly(pt{105, 382}, pt{618, 183}, pt{692, 250}, pt{182, 454}), 4), band), ivory)
	for k := range 8 {
		f := float64(k) / 7
		c.object(path(3, pt{90 + 90*f, 380 + 90*f}, pt{72 + 90*f, 410 + 90*f}), p.main)
		c.object(path(3, pt{620 + 90*f, 170 + 80*f}, pt{640 + 90*f, 142 + 80*f}), p.main)
	}
}

func scarf(c *canvas, r *rand.Rand, p palette, t string) {
	centre := func(x float64) float64 { return 300 + 70*math.Sin((x-120)/560*2*math.Pi) - (x-400)*0.25 }
	// The band: 150 px across its wavy centre line, from x = 130 to 670.
	band := shape{func(x, y float64) float64 {
		slope := 70*2*math.Pi/560*math.Cos((x-120)/560*2*math.Pi) - 0.25
		return max(math.Abs(y-centre(x))/math.Sqrt(1+slope*slope)-75, math.Abs(x-400)-270)
	}, 130, 120, 670, 480}
	c.object(band, p.main)
	stole := strings.Contains(t, "stole")
	for x := 140.0; x < 670; x += 36 {
		for _, off := range []float64{-45, 0, 45} {
			y := centre(x) + off
			if stole {
				continue
			}
			c.fill(clip(poly(pt{x, y - 11}, pt{x + 11, y}, pt{x, y + 11}, pt{x - 11, y}), band), shade(p.main, 0.45))
			c.fill(clip(disc(x, y, 4), band), ivory)
			c.fill(clip(disc(x+18, y+22, 3), band), p.accent)
		}
	}
	if stole {
		for _, off := range []float64{-55, -48, 48, 55} {
			stripe := shape{func(x, y float64) float64 { return math.Abs(y-centre(x)-off) - 2 }, 130, 120, 670, 480}
			c.fill(clip(stripe, band), p.accent)
		}
	}
	for x := 130.0; x < 670; x += 10 { // folds
		k := math.Cos((x - 120) / 560 * 2 * math.Pi)
		if k < 0 {
			c.paint(clip(rbox(x+5, centre(x), 5, 80, 0), band), shade(p.main, 0.5), -k*0.3, 1)
		}
	}
	for _, x := range []float64{130, 670} {
		dx := map[bool]float64{true: -1, false: 1}[x < 400]
		for off := -70.0; off <= 70; off += 9 {
			y := centre(x) + off
			c.object(path(2.5, pt{x, y}, pt{x + dx*30, y + 4}), shade(p.main, 0.85))
		}
	}
}

// kurta: a tunic on a wooden hanger.
func kurta(c *canvas, r *rand.Rand, p palette, t string) {
	wood := color.RGBA{150, 104, 62, 255}
	c.fill(path(5, arc(400, 70, 14, 16, math.Pi*1.0, math.Pi*2.3, 16)...), silver)
	right := []pt{{430, 100}, {525, 128}, {625, 275}, {578, 300}, {522, 212}, {532, 540}}
	var ps []pt
	ps = append(ps, pt{400, 152})
	ps = append(ps, right...)
	for i := len(right) - 1; i >= 0; i-- {
		ps = append(ps, pt{800 - right[i].x, right[i].y})
	}
	body := poly(ps...)
	c.object(body, p.main)
	c.object(path(12, pt{270, 122}, pt{400, 88}, pt{530, 122}), wood)
	c.fill(path(3, pt{400, 152}, pt{400, 260}), shade(p.main, 0.7))
	for y := 170.0; y < 260; y += 22 {
		c.fill(disc(402, y, 4), p.metal)
	}
	for k := 0; k <= 8; k++ { // embroidery on the neckline, cuffs and hem
		f := float64(k) / 8
		c.fill(disc(370+30*f, 108+42*f, 4.5), p.accent)
		c.fill(disc(430-30*f, 108+42*f, 4.5), p.accent)
		c.fill(disc(586+34*f, 292-24*f, 4), p.accent)
		c.fill(disc(214-34*f, 292-24*f, 4), p.accent)
	}
	for x := 280.0; x <= 520; x += 20 {
		c.fill(clip(disc(x, 515, 7), body), p.accent)
		c.fill(clip(disc(x, 515, 2.5), body), gold)
	}
	c.paint(clip(rbox(310, 380, 30, 170, 0), body), shade(p.main, 0.7), 0.2, 25)
	c.shine(body, 450, 250, 90, 160)
}

func apron(c *canvas, r *rand.Rand, p palette, t string) {
	c.object(path(5, arc(400, 140, 62, 70, math.Pi*1.05, math.Pi*1.95, 20)...), shade(p.main, 0.7))
	ap := union(rbox(400, 185, 88, 60, 10), poly(pt{312, 238}, pt{488, 238}, pt{540, 525}, pt{260, 525}))
	c.object(ap, p.main)
	for _, s := range []float64{-1, 1} {
		c.object(path(6, pt{400 + s*140, 265}, pt{400 + s*230, 300}, pt{400 + s*250, 380}), shade(p.main, 0.75))
	}
	for x := 290.0; x < 520; x += 40 {
		for y := 150.0; y < 520; y += 40 {
			c.fill(clip(poly(pt{x, y - 9}, pt{x + 9, y}, pt{x, y + 9}, pt{x - 9, y}), ap), lighten(p.main, 0.45))
		}
	}
	pk := rbox(400, 410, 110, 48, 10)
	c.object(pk, shade(p.main, 0.9))
	c.fill(path(2, pt{400, 365}, pt{400, 455}), shade(p.main, 0.6))
	c.fill(outline(rbox(400, 410, 100, 38, 6), 2), ivory)
}

func glassesCase(c *canvas, r *rand.Rand, p palette, t string) {
	cs := rbox(400, 320, 230, 85, 80)
	c.object(cs, p.main)
	for _, f := range []pt{{300, 310}, {410, 335}, {510, 300}} {
		for k := range 5 {
			s, co := math.Sincos(float64(k) * 2 * math.Pi / 5)
			c.fill(ellipseRot(f.x+15*co, f.y+15*s, 11, 6, float64(k)*2*math.Pi/5), p.accent)
		}
		c.fill(disc(f.x, f.y, 5), gold)
	}
	c.fill(disc(612, 320, 11), p.metal)
	c.shine(cs, 330, 270, 150, 40)
}

func purse(c *canvas, r *rand.Rand, p palette, t string) {
	body := union(ellipse(400, 375, 140, 105), rbox(400, 318, 135, 45, 25))
	c.object(body, p.main)
	for y := 300.0; y < 480; y += 18 {
		c.stitches(255, 545, y, []color.RGBA{ivory, p.accent}[int(y/18)%2], body)
	}
	frame := path(9, arc(400, 300, 135, 40, math.Pi, 2*math.Pi, 30)...)
	c.object(frame, p.metal)
	c.object(disc(388, 254, 11), p.metal)
	c.object(disc(412, 254, 11), p.metal)
	c.shine(body, 340, 330, 80, 50)
}

func pouches(c *canvas, r *rand.Rand, p palette, t string) {
	cols := []color.RGBA{p.main, p.accent, lighten(p.main, 0.4)}
	for i, s := range []float64{1, 0.8, 0.62} {
		cx := 215 + float64(i)*200 - (1-s)*60
		hw, hh := 90*s, 120*s
		bot := 500.0
		cy := bot - hh
		body := rbox(cx, cy, hw, hh, 18*s)
		c.object(body, cols[i])
		ruffle := poly(pt{cx - hw, cy - hh + 2}, pt{cx + hw, cy - hh + 2}, pt{cx + hw*0.8, cy - hh - 30*s}, pt{cx - hw*0.8, cy - hh - 30*s})
		c.object(ruffle, shade(cols[i], 0.85))
		c.fill(path(4, pt{cx - hw, cy - hh + 22*s}, pt{cx + hw, cy - hh + 22*s}), ivory)
		c.object(path(3, pt{cx + hw*0.5, cy - hh + 22*s}, pt{cx + hw*0.7, cy - hh + 70*s}), ivory)
		c.bead(cx+hw*0.7, cy-hh+76*s, 6, p.metal)
		c.shine(body, cx-hw*0.3, cy-hh*0.3, hw*0.5, hh*0.5)
	}
}
