package demo

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every demo product gets a drawn 640×480 JPEG of its own kind. PHOTO_DIR=dir writes them out
// to look at.
func TestProductPhotos(t *testing.T) {
	dir := os.Getenv("PHOTO_DIR")
	start := time.Now()
	seen := map[string]bool{}
	n := 0
	for _, list := range goods {
		for _, g := range list {
			kind := productKind(g.title, g.category)
			if designs[kind] == nil {
				t.Fatalf("%q: no design for kind %q", g.title, kind)
			}
			b := productPhoto(g.title, g.category)
			n++
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width != photoW || cfg.Height != photoH {
				t.Fatalf("%q: %v %+v", g.title, err, cfg)
			}
			if !bytes.Equal(b, productPhoto(g.title, g.category)) {
				t.Fatalf("%q: the photo is not the same each time", g.title)
			}
			seen[kind] = true
			if dir != "" {
				name := strings.NewReplacer(" ", "-", ",", "", "é", "e").Replace(strings.ToLower(g.title))
				if err := os.WriteFile(filepath.Join(dir, kind+"_"+name+".jpg"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if len(seen) < 15 {
		t.Fatalf("only %d designs used: %v", len(seen), seen)
	}
	t.Logf("%d photos, %d designs, %s", n, len(seen), time.Since(start))
}
