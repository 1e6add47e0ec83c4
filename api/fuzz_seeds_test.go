package api_test

// The hand-made seed corpora of the fuzz targets. They are committed as files under
// testdata/fuzz/FuzzXxx (where `go test` runs them as ordinary tests and `go test -fuzz` starts
// from them); this file is where they come from and says what each one is for. After changing a
// seed or a target's route list, rewrite the files with
//
//	FUZZ_WRITE_SEEDS=1 go test ./api/ -run '^TestFuzzSeedFiles$'
//
// TestFuzzSeedFiles otherwise checks that every seed file is present and up to date. Seeds carry
// placeholders such as {{maker}} that the targets replace with the fixtures' ids (see expand).

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// seed is one input of a fuzz target: its arguments, in order.
type seed struct {
	name string
	args []any
}

// marshalSeed writes a seed in the `go test fuzz v1` format.
func marshalSeed(args ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		default:
			panic(fmt.Sprintf("seed argument of type %T", a))
		}
	}
	return b.Bytes()
}

// allSeeds lists every target's hand-made seeds.
func allSeeds(tb testing.TB) map[string][]seed {
	return map[string][]seed{
		"FuzzAuthBodies":     jsonSeeds(authRoutes, authBodies),
		"FuzzProgramBodies":  jsonSeeds(programRoutes, programBodies),
		"FuzzCatalogBodies":  jsonSeeds(catalogRoutes, catalogBodies),
		"FuzzTrainingBodies": jsonSeeds(trainingRoutes, trainingBodies),
		"FuzzSearchQuery":    searchSeeds(),
		"FuzzImageUpload":    uploadSeeds(tb),
		"FuzzPaymentBodies":  jsonSeeds(paymentRoutes, paymentBodies),
		"FuzzStripeWebhook":  webhookSeeds(),
		"FuzzQueryStrings":   querySeeds(),
	}
}

// TestFuzzSeedFiles writes the seed files (FUZZ_WRITE_SEEDS=1) or checks that they are there.
func TestFuzzSeedFiles(t *testing.T) {
	write := os.Getenv("FUZZ_WRITE_SEEDS") != ""
	for target, seeds := range allSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		seen := map[string]bool{}
		for _, s := range seeds {
			if seen[s.name] {
				t.Fatalf("%s: two seeds named %s", target, s.name)
			}
			seen[s.name] = true
			file := filepath.Join(dir, s.name)
			want := marshalSeed(s.args...)
			if write {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(file)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or out of date: run FUZZ_WRITE_SEEDS=1 go test ./api/ -run '^TestFuzzSeedFiles$'", file)
			}
		}
		if write {
			t.Logf("%s: %d seeds", target, len(seeds))
		}
	}
}

// ---- JSON bodies ----

// obj is a JSON object that keeps its keys in order, so seeds are stable.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// with returns a copy of o with key k set to v (appended when absent).
func (o obj) with(k string, v any) obj {
	out := append(obj{}, o...)
	for i := range out {
		if out[i].k == k {
			out[i].v = v
			return out
		}
	}
	return append(out, kv{k, v})
}

func (o obj) json() []byte {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	return b
}

// rawJSON is a value written into a seed as it is (huge numbers, malformed fragments).
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// Operator objects of the NoSQL injection family.
var (
	opGT  = obj{{"$gt", ""}}
	opNE  = obj{{"$ne", nil}}
	opIn  = obj{{"$in", []any{"a", "b"}}}
	opRgx = obj{{"$regex", ".*"}}
)

// numberVariants replace numbers: too large for any Go number, one past int64, a fraction, a
// string, an operator.
var numberVariants = []struct {
	name string
	v    any
}{
	{"huge", rawJSON("1e400")},
	{"overflow", rawJSON("9223372036854775808")},
	{"fraction", rawJSON("0.000001")},
	{"string", "12"},
	{"in", opIn},
	{"negative", rawJSON("-9223372036854775808")},
}

// hostileBodies are bodies of the wrong shape altogether; every JSON route gets some of them.
var hostileBodies = []struct{ name, body string }{
	{"empty", ""},
	{"null", "null"},
	{"array", `[{"$gt":""}]`},
	{"string", `"{\"$gt\":\"\"}"`},
	{"huge-number", "1e400"},
	{"where", `{"$where":"1"}`},
	{"gt-at-top", `{"$gt":""}`},
	{"or-at-top", `{"$or":[{"a":1},{"b":2}]}`},
	{"deep-arrays", strings.Repeat("[", 10001) + strings.Repeat("]", 10001)},
	{"deep-objects", strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001)},
	{"invalid-utf8", "{\"name\":\"\xff\xfe\xfd\",\"title\":\"\xc3\x28\",\"reason\":\"\xed\xa0\x80\"}"},
	{"lone-surrogate", `{"name":"\ud800","title":"\udfff x","reason":"\ud800\ud800"}`},
	{"nul-bytes", `{"name":"a\u0000b","title":"\u0000\u0000\u0000","login":"admin@test.example\u0000"}`},
	{"two-objects", `{}{}`},
	{"trailing-garbage", `{} x`},
	{"truncated", `{"name":"x`},
	{"byte-order-mark", "\xef\xbb\xbf{}"},
	{"duplicate-keys", `{"name":"a","name":{"$gt":""}}`},
	{"big-integer", `{"price":123456789012345678901234567890,"stock":99999999999999999999,"livingWageHourly":-99999999999999999999}`},
	{"dotted-and-dollar-keys", `{"a.b":1,"$set":{"role":"admin"},"role":"admin","_id":"x","status":"published"}`},
}

// routeBody is a route's valid body, or a few, by route name; the seeds derive hostile variants
// from them.
type routeBodies map[string][]obj

// jsonSeeds makes the seeds of a JSON target: for each route its valid bodies; each string field
// replaced by operator objects, each number by huge, negative and fractional values, each field
// by null and by the wrong type; the valid body inflated past 2 MB; and the hostile bodies
// spread over the routes.
func jsonSeeds(routes []jsonRoute, bodies routeBodies) []seed {
	var out []seed
	index := map[string]int{}
	for i, r := range routes {
		index[r.name] = i
	}
	slug := func(s string) string {
		s = strings.ToLower(s)
		return strings.NewReplacer(" ", "-", "(", "", ")", "", "'", "", ",", "").Replace(s)
	}
	add := func(route, name string, body []byte, inflate bool) {
		sel := byte(index[route])
		if inflate {
			sel |= inflateBody
		}
		out = append(out, seed{name: "seed-" + slug(route) + "-" + name, args: []any{sel, body}})
	}
	names := make([]string, 0, len(bodies))
	for name := range bodies {
		if _, ok := index[name]; !ok {
			panic("seed for unknown route " + name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, route := range names {
		for i, b := range bodies[route] {
			tag := fmt.Sprint(i)
			add(route, "valid"+tag, b.json(), false)
			if i > 0 {
				continue
			}
			add(route, "valid-2mb", b.json(), true)
			nulls, ops := obj{}, obj{}
			strs, nums := 0, 0
			for _, f := range b {
				nulls = nulls.with(f.k, nil)
				switch f.v.(type) {
				case string:
					op := []obj{opGT, opNE}[strs%2]
					ops = ops.with(f.k, op)
					add(route, f.k+"-"+op[0].k[1:], b.with(f.k, op).json(), false)
					if strs == 0 {
						add(route, f.k+"-long", b.with(f.k, strings.Repeat("long ", 1200)).json(), false)
						add(route, f.k+"-operator-in-string", b.with(f.k, `{"$gt":""}`).json(), false)
					}
					strs++
				case int, int64, float64:
					v := numberVariants[nums%len(numberVariants)]
					add(route, f.k+"-"+v.name, b.with(f.k, v.v).json(), false)
					nums++
				case bool:
					add(route, f.k+"-string", b.with(f.k, "true").json(), false)
				default:
					add(route, f.k+"-scalar", b.with(f.k, "x").json(), false)
					add(route, f.k+"-regex", b.with(f.k, opRgx).json(), false)
				}
			}
			if len(ops) > 0 {
				add(route, "all-operators", ops.json(), false)
			}
			add(route, "all-null", nulls.json(), false)
		}
	}
	for i, h := range hostileBodies {
		route := routes[i%len(routes)].name
		add(route, h.name, []byte(h.body), false)
	}
	return out
}

// Valid bodies of each route; {{…}} are the fixtures' ids.
var authBodies = routeBodies{
	"register": {
		{{"email", "new-buyer@test.example"}, {"password", "a-long-password-1"}, {"name", "New Buyer"}},
	},
	"login": {
		{{"login", "admin@test.example"}, {"password", "test-password-1"}},
		{{"login", opGT}, {"password", opGT}},
		{{"email", opNE}, {"password", opNE}},
		{{"login", "admin@test.example"}, {"password", opNE}},
		{{"login", ".*"}, {"password", ".*"}},
		{{"login", "ADMIN@TEST.EXAMPLE "}, {"password", "wrong-password-1"}},
	},
	"accept maker invite": {
		{{"login", "new-maker-login"}, {"password", "a-long-password-1"}},
		{{"login", "admin@test.example"}, {"password", "a-long-password-1"}},
		{{"login", "maker3"}, {"password", "a-long-password-1"}}, // another maker's login (apptest names them makerN)
		{{"login", "MAKER3 "}, {"password", "a-long-password-1"}},
	},
	"accept coordinator invite": {
		{{"password", "a-long-password-1"}},
		{{"login", "someone-else@test.example"}, {"password", "a-long-password-1"}},
	},
	"accept unknown invite": {
		{{"login", "x-login"}, {"password", "a-long-password-1"}},
	},
}

var programBodies = routeBodies{
	"create program": {
		{{"name", "Pune Weaving Collective"}, {"city", "Pune"}, {"country", "IN"}, {"currency", "INR"}, {"livingWageHourly", 9500}},
	},
	"program settings (coordinator)": {
		{{"name", "Renamed Workshop"}, {"city", "Kolkata"}, {"livingWageHourly", 9500}, {"payeeModel", "program"}, {"holdDays", 7}, {"programSharePercent", 12}},
		{{"payeeModel", opIn}},
	},
	"program settings (admin)": {
		{{"holdDays", 90}, {"programSharePercent", 50}, {"livingWageHourly", 100000000}},
	},
	"program settings (other program)": {
		{{"name", "Taken over"}},
	},
	"create maker": {
		{{"displayName", "Asha"}, {"legalName", "Legal Person"}, {"phone", "+91 90000 00000"}, {"story", "I weave."},
			{"consent", obj{{"publicProfile", true}, {"story", false}, {"workPhotos", true}}}},
		{{"displayName", "Same Name"}, {"legalName", "same name"}, {"consent", obj{}}},
	},
	"add coordinator": {
		{{"name", "New Coordinator"}, {"email", "new-coord@test.example"}},
		{{"name", "Buyer turned coordinator"}, {"email", "admin@test.example"}},
	},
	"consent (maker)": {
		{{"publicProfile", false}, {"story", true}, {"workPhotos", true}},
		{},
	},
	"consent (coordinator)": {
		{{"publicProfile", true}},
	},
	"consent (other program)": {
		{{"publicProfile", false}},
	},
	"erase maker": {
		{{"confirm", "erase"}},
		{{"confirm", "ERASE"}},
	},
}

var productBody = obj{{"title", "Brass jhumka earrings"}, {"description", "Bell-shaped brass earrings."}, {"category", "Jewellery"},
	{"price", 60000}, {"currency", "INR"}, {"stock", 5}, {"hoursOfWork", 3.5}, {"materialsCost", 18000}}

var catalogBodies = routeBodies{
	"create product (maker)": {
		productBody,
		productBody.with("makerId", "{{maker3}}"),
		productBody.with("price", 1).with("currency", "usd"),
		productBody.with("hoursOfWork", 0.001),
	},
	"create product (coordinator)": {
		productBody.with("makerId", "{{maker}}"),
		productBody.with("makerId", opNE),
		productBody.with("makerId", "{{maker3}}"),
	},
	"create product (buyer)": {
		productBody.with("makerId", "{{maker}}"),
	},
	"edit draft (maker)": {
		{{"title", "New title"}, {"description", "New description."}, {"category", "Textiles"}, {"price", 70000},
			{"currency", "INR"}, {"stock", 3}, {"hoursOfWork", 2.5}, {"materialsCost", 1000}},
		{{"description", " "}},
		{{"currency", "EUR"}},
		{{"status", "published"}, {"makerId", "{{maker3}}"}, {"programId", "{{p2}}"}},
	},
	"edit published (coordinator)": {
		{{"stock", 0}},
		{{"price", 100}},
	},
	"edit other program's product": {
		{{"stock", 99}},
	},
	"reject": {
		{{"reason", "Please add a photo of the clasp."}},
		{{"reason", "  "}},
	},
	"approve": {
		{},
		{{"wageException", "Training piece sold at cost to the buyer."}},
		{{"wageException", "short"}},
	},
	"reject by its maker": {
		{{"reason", "I reject my own product."}},
	},
	"wage exception": {
		{{"reason", "Training piece sold at cost to the buyer."}},
	},
	"wage exception by its maker": {
		{{"reason", "I grant my own exception, please."}},
	},
}

var trackBody = obj{{"name", "Tailoring basics"}, {"description", "From measuring to a finished kurta."}, {"qualification", "AMH/Q0301"},
	{"milestones", []obj{{{"title", "Measuring"}, {"description", "Takes body measurements."}, {"requiresEvidence", false}, {"hours", 10}}}}}

var trainingBodies = routeBodies{
	"create track": {
		trackBody,
		trackBody.with("qualification", "<script>alert(1)</script>"),
		trackBody.with("milestones", []obj{{{"id", "{{m0}}"}, {"title", "Stolen id"}}}),
		trackBody.with("milestones", []obj{}),
	},
	"create track (other program)": {trackBody},
	"edit track": {
		{{"name", "Goldsmithing v2"}, {"description", "Revised."}, {"qualification", "G&J/Q0604"},
			{"milestones", []obj{{{"id", "{{m0}}"}, {"title", "Bench safety"}}, {{"title", "A new step"}, {"hours", 5}}}}},
		{{"milestones", []obj{{{"id", "not-a-milestone"}, {"title", "Unknown"}}}}},
		{{"milestones", []obj{{{"id", "{{m0}}"}, {"title", "Twice"}}, {{"id", "{{m0}}"}, {"title", "Twice"}}}}},
	},
	"enrol": {
		{{"makerId", "{{maker}}"}, {"enrolledOn", "2026-01-15"}},
		{{"makerId", "{{maker3}}"}},
		{{"makerId", "{{maker2}}"}, {"enrolledOn", "2999-12-31"}},
		{{"makerId", "{{maker2}}"}, {"enrolledOn", "15/01/2026"}},
	},
	"enrol (maker)": {
		{{"makerId", "{{maker}}"}},
	},
	"sign off": {
		{{"completedOn", "2026-02-01"}, {"notes", "Safe bench work."}, {"score", 90}, {"evidenceId", ""}},
		{{"completedOn", "1900-01-01"}},
		{{"evidenceId", "{{m1}}"}},
	},
	"sign off (maker)": {
		{{"notes", "I sign off myself."}},
	},
	"sign off (needs evidence)": {
		{{"completedOn", "2026-02-01"}},
	},
	"undo sign-off": {
		{{"reason", "Signed off by mistake."}},
	},
	"withdraw": {
		{{"date", "2026-02-01"}, {"reason", "Moved to another city."}},
		{{"date", "0000-00-00"}},
	},
	"certificate name": {
		{{"name", "A. Maker"}},
		{{"name", "<b>bold</b>"}},
	},
	"session": {
		{{"date", "2026-02-01"}, {"topic", "Soldering practice"}, {"present", []string{"{{maker}}", "{{maker2}}"}}},
		{{"topic", "Unknown people"}, {"present", []any{"{{maker3}}", opGT, "nobody"}}},
	},
	"outcome (coordinator)": {
		{{"date", "2026-03-01"}, {"status", "employed"}, {"monthlyIncome", 1200000}, {"notes", "Works at a jeweller's."}, {"verification", "verified_document"}},
		{{"status", "unknown"}, {"monthlyIncome", -1}},
	},
	"outcome (maker)": {
		{{"date", "2026-03-01"}, {"status", "self_employed"}, {"verification", "verified_visit"}},
	},
	"outcome (other program)": {
		{{"status", "employed"}},
	},
	"selling gates": {
		{{"gates", []obj{{{"category", "Jewellery"}, {"trackId", "{{track}}"}}}}},
		{{"gates", []obj{{{"category", "Textiles"}, {"trackId", "not-a-track"}}}}},
		{{"gates", []obj{}}},
	},
	"selling gates (maker)": {
		{{"gates", []obj{}}},
	},
}

// ---- The storefront's query string ----

func searchSeeds() []seed {
	queries := []struct{ name, q string }{
		{"empty", ""},
		{"plain", "q=brass&category=jewellery&sort=price_asc&page=1&perPage=10"},
		{"program", "program={{p1}}&minPrice=100&maxPrice=100000"},
		{"q-gt", "q[$gt]="},
		{"category-ne", "category[$ne]=x"},
		{"program-ne", "program[$ne]=nothing"},
		{"json-in-q", `q={"$gt":""}`},
		{"json-in-q-escaped", "q=%7B%22%24gt%22%3A%22%22%7D"},
		{"regex-in-q", "q=.*&category=.*"},
		{"where", "$where=1&q=a"},
		{"repeated-keys", "q=a&q=b&sort=newest&sort=price_desc"},
		{"bad-escape", "q=%zz&category=%"},
		{"invalid-utf8", "q=%FF%FE&category=%C3%28"},
		{"nul", "q=%00&program=%00"},
		{"huge-page", "page=99999999999999999999999&perPage=99999999999999999999"},
		{"negative", "page=-1&perPage=-1&minPrice=-5&maxPrice=-1"},
		{"min-over-max", "minPrice=100&maxPrice=10"},
		{"float", "minPrice=1e5&page=1.5"},
		{"bad-sort", "sort[$ne]=x&sort=__proto__"},
		{"long-q", "q=" + strings.Repeat("a", 201)},
		{"long-raw", "x=" + strings.Repeat("b", 40000)},
		{"semicolons", "q=a;category=b;sort=newest"},
		{"only-separators", "&&&==&="},
		{"plus-and-space", "q=brass+jhumka&category=+jewellery+"},
	}
	var out []seed
	for _, q := range queries {
		out = append(out, seed{name: "seed-" + q.name, args: []any{q.q}})
	}
	return out
}

// ---- Photos ----

func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), 120, 255})
		}
	}
	return img
}

func encodeJPEG(img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 60}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// pngBomb is a PNG whose header declares w×h pixels, with a tiny (broken) image stream.
func pngBomb(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		var b bytes.Buffer
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
		return b.Bytes()
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, chunk("IEND", nil)...)
}

// jpegWithEXIF puts an EXIF block with a GPS note and an orientation into a JPEG.
func jpegWithEXIF(j []byte, orientation uint16) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01")
	tiff = binary.BigEndian.AppendUint16(tiff, orientation)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	payload = append(payload, "GPS 22.5726N 88.3639E"...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

// rawMultipart builds a multipart body with fuzzBoundary.
func rawMultipart(parts ...[2]string) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.SetBoundary(fuzzBoundary)
	for _, p := range parts {
		if p[0] == "image" || p[0] == "photo" {
			fw, _ := mw.CreateFormFile(p[0], "photo.jpg")
			_, _ = fw.Write([]byte(p[1]))
			continue
		}
		_ = mw.WriteField(p[0], p[1])
	}
	_ = mw.Close()
	return b.Bytes()
}

func uploadSeeds(tb testing.TB) []seed {
	small := encodeJPEG(testImage(40, 30))
	pngSmall := encodePNG(testImage(24, 16))
	webp, err := os.ReadFile(filepath.Join("..", "imaging", "testdata", "lossless.webp"))
	if err != nil {
		tb.Fatalf("read a WebP sample: %v", err)
	}
	photos := []struct {
		name string
		data []byte
	}{
		{"jpeg", small},
		{"jpeg-exif-rotated", jpegWithEXIF(small, 6)},
		{"jpeg-exif-bad-orientation", jpegWithEXIF(small, 0xFFFF)},
		{"png", pngSmall},
		{"webp", webp},
		{"truncated-jpeg", small[:len(small)/2]},
		{"jpeg-magic-only", []byte{0xFF, 0xD8, 0xFF}},
		{"png-bomb", pngBomb(100000, 100000)},
		{"png-wide", pngBomb(1<<31-1, 1)},
		{"png-zero", pngBomb(0, 0)},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{"empty", nil},
		{"webp-header-only", []byte("RIFF\x00\x00\x00\x00WEBPVP8 ")},
	}
	var out []seed
	modes := map[string]int{}
	for i, m := range uploadModes {
		modes[m.name] = i
	}
	for _, p := range photos {
		for _, mode := range []string{"product photo", "evidence photo, raw", "sign-off with photo"} {
			out = append(out, seed{name: "seed-" + strings.NewReplacer(" ", "-", ",", "").Replace(mode) + "-" + p.name,
				args: []any{byte(modes[mode]), p.data}})
		}
	}
	raws := []struct {
		name string
		body []byte
	}{
		{"well-formed", rawMultipart([2]string{"image", string(small)})},
		{"other-field-first", rawMultipart([2]string{"caption", "hello"}, [2]string{"image", string(small)})},
		{"no-image-field", rawMultipart([2]string{"caption", "hello"})},
		{"no-closing-boundary", bytes.TrimSuffix(rawMultipart([2]string{"image", string(small)}), []byte("--\r\n"))},
		{"garbage", []byte("this is not multipart at all")},
		{"empty", nil},
		{"header-flood", []byte("--" + fuzzBoundary + "\r\n" + strings.Repeat("X-A: b\r\n", 20000) + "\r\n\r\nx\r\n--" + fuzzBoundary + "--\r\n")},
		{"sign-off-fields", rawMultipart([2]string{"notes", "Ten joints."}, [2]string{"score", "abc"}, [2]string{"photo", string(small)})},
		{"sign-off-score", rawMultipart([2]string{"score", "99999999999999999999"}, [2]string{"completedOn", "2026-13-45"}, [2]string{"evidenceId", `{"$gt":""}`})},
	}
	for _, r := range raws {
		for _, mode := range []string{"product photo, raw multipart", "sign-off, raw multipart"} {
			out = append(out, seed{name: "seed-" + strings.NewReplacer(" ", "-", ",", "").Replace(mode) + "-" + r.name,
				args: []any{byte(modes[mode]), r.body}})
		}
	}
	out = append(out,
		seed{name: "seed-not-multipart-jpeg", args: []any{byte(modes["product photo, not multipart"]), small}},
		seed{name: "seed-other-program-jpeg", args: []any{byte(modes["product photo, other program"]), small}},
		seed{name: "seed-evidence-multipart-jpeg", args: []any{byte(modes["evidence photo, multipart"]), small}},
	)
	return out
}

// ---- Payments ----

var (
	seedAddress = obj{{"name", "Asha Buyer"}, {"line1", "1 Park Street"}, {"city", "Kolkata"}, {"postalCode", "700016"}, {"country", "IN"}}
	cartLine    = obj{{"productId", "{{published}}"}, {"quantity", 1}}
	cart        = obj{{"items", []obj{cartLine}}, {"email", "guest@test.example"}, {"shippingAddress", seedAddress}}
)

var paymentBodies = routeBodies{
	"checkout (guest)": {
		cart,
		cart.with("items", []obj{cartLine.with("productId", opGT)}),
		cart.with("items", []obj{cartLine.with("productId", `{"$gt":""}`)}),
		cart.with("items", []obj{cartLine.with("productId", "{{draft}}")}),
		cart.with("items", []obj{cartLine.with("quantity", 100), cartLine.with("quantity", 100), cartLine.with("quantity", 100)}),
		cart.with("items", []obj{cartLine, cartLine.with("productId", "{{foreign}}")}),
		cart.with("email", opNE),
		cart.with("shippingAddress", seedAddress.with("country", opNE).with("name", opGT)),
		cart.with("shippingAddress", "1 Park Street"),
		cart.with("items", []obj{}),
	},
	"checkout (buyer)": {
		obj{{"items", []obj{cartLine.with("quantity", 2)}}, {"shippingAddress", seedAddress}},
		obj{{"items", []obj{cartLine.with("productId", opIn)}}, {"shippingAddress", seedAddress}},
		obj{{"items", []obj{cartLine.with("quantity", 0)}}, {"shippingAddress", seedAddress}},
		obj{{"items", []obj{cartLine.with("quantity", rawJSON("1e400"))}}, {"shippingAddress", seedAddress}},
	},
	"offline sale": {
		{{"items", []obj{cartLine.with("quantity", 2)}}, {"paymentMethod", "cash"}, {"note", "Diwali fair stall"}},
		{{"items", []obj{cartLine.with("productId", "{{foreign}}")}}, {"paymentMethod", "upi"}},
		{{"items", []obj{cartLine.with("productId", opRgx)}}, {"paymentMethod", "cash"}},
	},
	"offline sale (other program)": {
		{{"items", []obj{cartLine.with("productId", "{{foreign}}")}}, {"paymentMethod", "cash"}},
	},
	"ship": {
		{{"trackingNumber", "EE123456789IN"}, {"carrier", "India Post"}},
		{},
	},
	"cancel": {
		{{"reason", "The buyer asked to cancel."}},
	},
	"cancel (buyer)": {
		{{"reason", "I cancel it myself."}},
	},
	"refund": {
		{{"items", []int{0}}, {"reason", "Damaged in transit"}, {"restock", true}},
		{{"items", []int{5}}},
		{{"items", []int{-1}}},
		{{"items", []int{0, 0, 0}}, {"restock", "yes"}},
		{{"items", []any{opGT}}},
	},
	"disbursement": {
		{{"makerId", "{{maker}}"}, {"amount", 150000}, {"currency", "INR"}, {"method", "upi"}, {"date", "2026-01-31"}, {"reference", "UPI-123"}},
		{{"makerId", "{{maker3}}"}, {"amount", 100}, {"method", "cash"}, {"date", "2026-02-30"}},
		{{"makerId", opNE}, {"amount", 100}, {"method", "bank"}, {"date", "2026-01-31"}},
	},
	"disbursement (maker)": {
		{{"makerId", "{{maker}}"}, {"amount", 100}, {"method", "cash"}, {"date", "2026-01-31"}},
	},
}

// webhookEvent is a Stripe event payload with a placeholder id, fresh on every delivery.
func webhookEvent(typ string, object any) []byte {
	b, err := json.Marshal(obj{{"id", "{{evt}}"}, {"object", "event"}, {"type", typ}, {"api_version", "2023-10-16"},
		{"created", 1767225600}, {"livemode", false}, {"data", obj{{"object", object}}}})
	if err != nil {
		panic(err)
	}
	return b
}

func webhookSeeds() []seed {
	session := func(order string) obj {
		return obj{{"id", "cs_test_x"}, {"object", "checkout.session"}, {"client_reference_id", order},
			{"metadata", obj{{"order_id", order}}}, {"payment_intent", "pi_" + order}, {"payment_status", "paid"},
			{"status", "complete"}, {"amount_total", 60000}, {"currency", "inr"}}
	}
	charge := obj{{"id", "ch_x"}, {"object", "charge"}, {"payment_intent", "pi_{{order:paid}}"}, {"transfer_group", "{{order:paid}}"},
		{"amount", 60000}, {"amount_refunded", 60000}, {"refunded", false},
		{"refunds", obj{{"data", []obj{{{"id", "re_x"}, {"amount", 60000}, {"metadata", obj{{"order_id", "{{order:paid}}"}, {"items", "0"}}}}}}}}}
	account := obj{{"id", "{{acct}}"}, {"object", "account"}, {"payouts_enabled", true}, {"capabilities", obj{{"transfers", "active"}}}}
	dispute := obj{{"id", "dp_x"}, {"object", "dispute"}, {"charge", "ch_x"}, {"payment_intent", "pi_{{order:paid}}"}, {"status", "lost"}}
	events := []struct {
		name    string
		payload []byte
	}{
		{"session-completed", webhookEvent("checkout.session.completed", session("{{order:pending}}"))},
		{"session-completed-unpaid", webhookEvent("checkout.session.completed", session("{{order:pending}}").with("payment_status", "unpaid"))},
		{"session-completed-wrong-amount", webhookEvent("checkout.session.completed", session("{{order:pending}}").with("amount_total", -1).with("currency", "xxx"))},
		{"session-completed-huge-amount", webhookEvent("checkout.session.completed", session("{{order:pending}}").with("amount_total", rawJSON("1e400")))},
		{"session-completed-operator-order", webhookEvent("checkout.session.completed", session("x").with("client_reference_id", opGT).with("metadata", obj{{"order_id", `{"$ne":null}`}}))},
		{"session-completed-expanded-intent", webhookEvent("checkout.session.completed", session("{{order:pending}}").with("payment_intent", obj{{"id", "pi_x"}, {"latest_charge", obj{{"id", "ch_x"}}}}))},
		{"session-completed-paid-twice", webhookEvent("checkout.session.completed", session("{{order:paid}}"))},
		{"session-expired", webhookEvent("checkout.session.expired", session("{{order:pending}}"))},
		{"session-async-failed", webhookEvent("checkout.session.async_payment_failed", session("{{order:paid}}"))},
		{"account-updated", webhookEvent("account.updated", account)},
		{"account-updated-bad-capabilities", webhookEvent("account.updated", account.with("capabilities", obj{{"transfers", 5}}))},
		{"account-updated-adopt-other-maker", webhookEvent("account.updated", account.with("id", "acct_unknown").with("metadata", obj{{"maker_id", "{{maker3}}"}}))},
		{"account-updated-adopt-program", webhookEvent("account.updated", account.with("id", "acct_unknown2").with("metadata", obj{{"program_id", `{"$gt":""}`}}))},
		{"charge-refunded", webhookEvent("charge.refunded", charge)},
		{"charge-refunded-items-out-of-range", webhookEvent("charge.refunded", charge.with("refunds", obj{{"data", []obj{{{"id", "re_y"}, {"metadata", obj{{"items", "0,99,-1"}}}}}}}))},
		{"charge-refunded-all", webhookEvent("charge.refunded", charge.with("refunded", true).with("refunds", nil))},
		{"charge-refunded-unallocated", webhookEvent("charge.refunded", charge.with("refunds", obj{{"data", []obj{}}}).with("amount_refunded", rawJSON("9223372036854775807")))},
		{"dispute-created", webhookEvent("charge.dispute.created", dispute)},
		{"dispute-lost", webhookEvent("charge.dispute.closed", dispute)},
		{"dispute-won", webhookEvent("charge.dispute.closed", dispute.with("status", "won"))},
		{"transfer-reversed", webhookEvent("transfer.reversed", obj{{"id", "tr_x"}, {"amount", 100}, {"amount_reversed", 100}, {"metadata", obj{{"ledger_entry", "{{order:paid}}"}}}})},
		{"unknown-type", webhookEvent("invoice.paid", obj{{"id", "in_x"}})},
		{"object-is-string", webhookEvent("checkout.session.completed", "cs_x")},
		{"object-is-null", webhookEvent("account.updated", nil)},
		{"object-is-array", webhookEvent("charge.refunded", []any{charge})},
		{"no-id", []byte(`{"object":"event","type":"account.updated","data":{"object":{"id":"acct_x"}}}`)},
		{"no-data", []byte(`{"id":"{{evt}}","object":"event","type":"account.updated"}`)},
		{"created-as-string", []byte(`{"id":"{{evt}}","type":"account.updated","created":"yesterday","data":{"object":{"id":"{{acct}}"}}}`)},
		{"fixed-id", []byte(`{"id":"evt_fixed","type":"invoice.paid","data":{"object":{}}}`)},
		{"not-json", []byte("this is not an event")},
		{"empty", nil},
		{"invalid-utf8", []byte("{\"id\":\"{{evt}}\",\"type\":\"account.updated\",\"data\":{\"object\":{\"id\":\"\xff\xfe\"}}}")},
		{"deep", []byte(`{"id":"{{evt}}","type":"account.updated","data":{"object":` + strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001) + `}}`)},
	}
	var out []seed
	for _, e := range events {
		out = append(out, seed{name: "seed-signed-" + e.name, args: []any{byte(hookSigned), e.payload}})
	}
	for _, e := range events[:4] {
		out = append(out,
			seed{name: "seed-unsigned-" + e.name, args: []any{byte(hookUnsigned), e.payload}},
			seed{name: "seed-wrong-secret-" + e.name, args: []any{byte(hookWrongSecret), e.payload}},
			seed{name: "seed-bad-header-" + e.name, args: []any{byte(hookBadHeader), e.payload}})
	}
	out = append(out,
		seed{name: "seed-signed-2mb", args: []any{byte(hookSigned | inflateBody), events[0].payload}},
		seed{name: "seed-unsigned-2mb", args: []any{byte(hookUnsigned | inflateBody), events[0].payload}})
	return out
}

// ---- Other query strings ----

func querySeeds() []seed {
	index := map[string]byte{}
	for i, r := range queryRoutes {
		index[r.name] = byte(i)
	}
	var out []seed
	add := func(route, name, q string) {
		out = append(out, seed{name: "seed-" + strings.NewReplacer(" ", "-", "(", "", ")", "", "'", "").Replace(route) + "-" + name, args: []any{index[route], q}})
	}
	for _, route := range []string{"orders (coordinator)", "orders (buyer)", "orders (admin)"} {
		add(route, "plain", "status=pending_payment&limit=10&offset=0")
		add(route, "status-ne", "status[$ne]=x&status=%7B%22%24ne%22%3Anull%7D")
		add(route, "huge-offset", "offset=9223372036854775807&limit=9223372036854775807")
		add(route, "negative", "offset=-9223372036854775808&limit=-1")
		add(route, "junk", "limit=abc&offset=1e9&status=%FF")
	}
	add("payouts", "plain", "from=2026-01-01&to=2026-12-31&format=csv")
	add("payouts", "rfc3339", "from=2026-01-01T00:00:00Z&to=9999-12-31T23:59:59Z")
	add("payouts", "reversed", "from=2027-01-01&to=2026-01-01")
	add("payouts", "bad", "from=0000-00-00&to=2026-02-30&format=xml")
	add("payouts", "year-zero", "from=0001-01-01&to=0001-01-01")
	add("payouts", "far-future", "to=9999-12-31")
	add("disbursements", "maker", "makerId={{maker}}")
	add("disbursements", "maker-ne", "makerId[$ne]=x&makerId=%7B%22%24ne%22%3Anull%7D")
	add("disbursements", "other-maker", "makerId={{maker3}}")
	add("track version", "v1", "version=1")
	add("track version", "huge", "version=99999999999999999999")
	add("track version", "negative", "version=-1")
	add("track version", "zero", "version=0")
	add("certificate", "pdf", "format=pdf")
	add("certificate", "html", "format=html")
	add("certificate", "bad", "format[$ne]=json&format=%00")
	add("training report", "csv", "format=csv")
	add("training report", "bad", "format=xlsx")
	add("audit", "csv", "format=csv")
	add("audit", "bad", "format=%7B%7D")
	add("maker's products", "junk", "status=published&$where=1")
	return out
}
