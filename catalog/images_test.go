package catalog_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/fault"
)

func photo(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestRemoveImageKeepsAPublishedProductInTheShop: removing a photo takes it out of the shop's
// product and its files at once, and leaves the listing published (what is left was reviewed);
// another program's coordinator and another maker cannot remove it.
func TestRemoveImageKeepsAPublishedProductInTheShop(t *testing.T) {
	t.Parallel()
	s := mustShop(t)
	ctx := context.Background()
	p := mustPublished(t, s, "Brass jhumka earrings")
	var imgs []catalog.Image
	for range 2 {
		img, err := s.cat.AddImage(ctx, s.maker, p.ID, bytes.NewReader(photo(t)))
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	if _, err := s.cat.Approve(ctx, s.c1, p.ID, catalog.ReviewInput{}); err != nil { // adding photos sent it to review
		t.Fatal(err)
	}
	for _, a := range []struct {
		name string
		err  func() error
	}{
		{"another maker", func() error { _, err := s.cat.RemoveImage(ctx, s.other, p.ID, imgs[0].ID); return err }},
		{"another program's coordinator", func() error { _, err := s.cat.RemoveImage(ctx, s.c2, p.ID, imgs[0].ID); return err }},
	} {
		if err := a.err(); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("%s removing a photo: %v, want not found", a.name, err)
		}
	}
	w := imgs[0].Widths[0]
	if _, err := s.cat.Image(ctx, accounts.Actor{}, imgs[0].ID, w); err != nil {
		t.Fatalf("public photo before removal: %v", err)
	}
	got, err := s.cat.RemoveImage(ctx, s.maker, p.ID, imgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != catalog.StatusPublished || len(got.Images) != 1 || got.Images[0].ID != imgs[1].ID {
		t.Fatalf("after removal: status %s, images %+v", got.Status, got.Images)
	}
	pub, err := s.cat.PublicProduct(ctx, p.ID)
	if err != nil || len(pub.Images) != 1 || pub.Images[0].ID != imgs[1].ID {
		t.Fatalf("shop's product after removal: %+v, %v", pub.Images, err)
	}
	if _, err := s.cat.Image(ctx, s.maker, imgs[0].ID, w); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("removed photo still served to its maker: %v", err)
	}
	if _, err := s.cat.RemoveImage(ctx, s.c1, p.ID, imgs[0].ID); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("removing it twice: %v", err)
	}
}
