package catalog

import (
	"container/list"
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/imaging"
)

// ImageURLPrefix is where the JSON API serves renditions: ImageURLPrefix + id + "/" + width.
// It is stored in Image.URL so every face (JSON, HTML) links the same cacheable address.
const ImageURLPrefix = "/api/v1/images/"

// ImageURL is the address of one rendition.
func ImageURL(imageID string, width int) string {
	return ImageURLPrefix + imageID + "/" + strconv.Itoa(width)
}

// uploadError maps the imaging package's refusals to errors that tell the maker what to do.
func uploadError(err error) error {
	switch {
	case errors.Is(err, imaging.ErrTooLarge):
		return fault.New(fault.TooLarge, "image_too_large", "%s", err.Error())
	case errors.Is(err, imaging.ErrUnsupported):
		return fault.New(fault.Invalid, "unsupported_image", "%s", err.Error())
	case errors.Is(err, imaging.ErrUndecodable):
		return fault.New(fault.Invalid, "undecodable_image", "%s", err.Error())
	}
	return &UploadReadError{Err: err}
}

// UploadReadError is a failure to read the upload itself (the connection dropped, or the body
// broke the HTTP layer's size cap, which the HTTP layer recognises through Unwrap).
type UploadReadError struct{ Err error }

// Error says the upload could not be read.
func (e *UploadReadError) Error() string { return "read upload: " + e.Err.Error() }

// Unwrap gives the reader's own error (such as *http.MaxBytesError).
func (e *UploadReadError) Unwrap() error { return e.Err }

// AddImage re-encodes an uploaded photo (so no EXIF or GPS data survives), stores its
// renditions and adds it to the product. A published product goes back to review. Nothing is
// stored when the upload is refused.
func (s *Service) AddImage(ctx context.Context, actor accounts.Actor, productID string, r io.Reader) (Image, error) {
	p, err := s.products.ByID(ctx, productID)
	if err != nil {
		return Image{}, err
	}
	if !manages(actor, p) {
		return Image{}, ErrNotFound
	}
	if p.Status == StatusArchived {
		return Image{}, errArchived
	}
	tooMany := fault.New(fault.Unprocessable, "too_many_images", "a product can have at most %d photos: remove one first", MaxImagesPerItem)
	if len(p.Images) >= MaxImagesPerItem {
		return Image{}, tooMany
	}

	select { // processing a phone photo takes ~1 s of CPU and ~100 MB: a few at a time
	case s.imgSem <- struct{}{}:
	case <-ctx.Done():
		return Image{}, ctx.Err()
	}
	res, err := imaging.Process(r, MaxImageBytes, ImageWidths)
	<-s.imgSem
	if err != nil {
		return Image{}, uploadError(err)
	}

	img := Image{ID: accounts.NewID()}
	for _, rd := range res.Renditions {
		id, err := s.images.Put(ctx, img.ID, rd.Width, p.ID, rd.Data)
		if err != nil {
			_ = s.images.Delete(context.WithoutCancel(ctx), img.FileIDs)
			return Image{}, err
		}
		img.FileIDs = append(img.FileIDs, id)
		img.Widths = append(img.Widths, rd.Width)
		img.Width, img.Height = rd.Width, rd.Height // renditions are sorted: the last is the largest
	}
	img.URL = ImageURL(img.ID, img.Width)

	p, err = s.mutate(ctx, actor, productID, func(ctx context.Context, p *Product) error {
		if p.Status == StatusArchived {
			return errArchived
		}
		if len(p.Images) >= MaxImagesPerItem {
			return tooMany
		}
		p.Images = append(p.Images, img)
		if p.Status == StatusPublished {
			p.Status = StatusPendingReview
		}
		return nil
	})
	if err != nil {
		_ = s.images.Delete(context.WithoutCancel(ctx), img.FileIDs)
		return Image{}, err
	}
	if actingFor(actor, p) {
		if err := s.audit(ctx, actor, "product.add_image", p, img.ID); err != nil {
			return Image{}, err
		}
	}
	return img, nil
}

// RemoveImage deletes a photo from a product and from storage, at once everywhere it was
// shown. A published product stays in the shop: what is left was reviewed already, and a photo
// that should not be public (a face, a place) must be able to go without taking the listing
// down until the next review.
func (s *Service) RemoveImage(ctx context.Context, actor accounts.Actor, productID, imageID string) (Product, error) {
	var removed Image
	p, err := s.mutate(ctx, actor, productID, func(ctx context.Context, p *Product) error {
		if p.Status == StatusArchived {
			return errArchived
		}
		i := slices.IndexFunc(p.Images, func(im Image) bool { return im.ID == imageID })
		if i < 0 {
			return ErrImageNotFound
		}
		removed = p.Images[i]
		p.Images = slices.Delete(p.Images, i, i+1)
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	for _, w := range removed.Widths {
		s.imgCache.remove(fileID(removed.ID, w))
	}
	if err := s.images.Delete(ctx, removed.FileIDs); err != nil {
		s.Logger.Warn("delete image renditions", "image", removed.ID, "err", err.Error())
	}
	if actingFor(actor, p) {
		if err := s.audit(ctx, actor, "product.remove_image", p, removed.ID); err != nil {
			return Product{}, err
		}
	}
	return p, nil
}

// ImageFile is one rendition ready to serve. Public renditions (of a published product whose
// maker consents to photos of their work) may be cached by anyone for good: the bytes behind an
// address never change. Others are shown only to the product's maker and coordinators.
type ImageFile struct {
	Data   []byte
	ETag   string
	Public bool
}

// Image returns one rendition of a photo for actor, or ErrImageNotFound.
// PublicPhotoMaxAge is how long browsers and proxies may keep a public photo without asking
// again. A photo stops being public when its maker withdraws her work-photos consent or it is
// removed: new views get 404 at once, and caches must drop it within this bound (at most a day,
// never a year-long immutable copy). After it they revalidate with the ETag and get 404.
const PublicPhotoMaxAge = time.Hour

func (s *Service) Image(ctx context.Context, actor accounts.Actor, imageID string, width int) (ImageFile, error) {
	sl := s.rm.current().images[imageID]
	if sl == nil {
		return ImageFile{}, ErrImageNotFound
	}
	e := sl.get()
	i := slices.IndexFunc(e.p.Images, func(im Image) bool { return im.ID == imageID })
	if i < 0 || !slices.Contains(e.p.Images[i].Widths, width) {
		return ImageFile{}, ErrImageNotFound
	}
	public := e.visible && e.photos
	if !public && !manages(actor, e.p) {
		return ImageFile{}, ErrImageNotFound
	}
	id := fileID(imageID, width)
	data, ok := s.imgCache.get(id)
	if !ok {
		var err error
		if data, err = s.images.Get(ctx, imageID, width); err != nil {
			return ImageFile{}, err
		}
		s.imgCache.put(id, data)
	}
	return ImageFile{Data: data, ETag: `"` + id + `"`, Public: public}, nil
}

// byteLRU is a small least-recently-used cache of rendition bytes, bounded by total size: the
// embedded store scans the chunks collection for every GridFS read.
type byteLRU struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // front = most recent; values are *lruItem
	items map[string]*list.Element
}

type lruItem struct {
	key  string
	data []byte
}

func newByteLRU(maxBytes int) *byteLRU {
	return &byteLRU{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

func (c *byteLRU) get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruItem).data, true
}

func (c *byteLRU) put(k string, data []byte) {
	if len(data) > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.items[k] = c.order.PushFront(&lruItem{key: k, data: data})
	c.size += len(data)
	for c.size > c.max {
		last := c.order.Back()
		it := last.Value.(*lruItem)
		c.order.Remove(last)
		delete(c.items, it.key)
		c.size -= len(it.data)
	}
}

func (c *byteLRU) remove(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.Remove(el)
		delete(c.items, el.Value.(*lruItem).key)
		c.size -= len(el.Value.(*lruItem).data)
	}
}
