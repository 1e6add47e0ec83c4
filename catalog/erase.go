package catalog

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
)

// ErasedTitle is what a product of a maker who asked to be forgotten is called from then on.
// Orders copied the title they were placed with, so a buyer's order history keeps its own label;
// the product itself needs none that could point to the maker.
const ErasedTitle = "Archived product"

// eraseAttempts bounds the compare-and-set retries on one product. Once it is archived, payments
// (releasing or settling a hold, restocking a refund) are its only writers, and they are quick.
const eraseAttempts = 10

// EraseMaker is the catalog's part of a maker's erasure (a programs.Service.OnErase hook, wired
// in app/hooks.go). Every product of the maker, in any status, is archived for good (never sold
// or shown again); its title becomes ErasedTitle; its description and the coordinators' free
// text about it (reject reason, wage exception) are cleared; and its photos are deleted from
// storage. Price, currency, category, stock and holds stay: orders, refunds and the ledger still
// refer to them, and an unpaid order holding units can still be cancelled or paid.
//
// Each product changed is audited as actor, the person who asked for the erasure; the caller has
// already checked that they may. A product already erased is left alone, so running this again
// changes nothing. A failure on one product does not stop the others: the erasure goes as far as
// it can, and the errors are returned together.
func (s *Service) EraseMaker(ctx context.Context, actor accounts.Actor, makerID string) error {
	ps, err := s.products.ByMaker(ctx, makerID)
	if err != nil {
		return fmt.Errorf("erase products: %w", err)
	}
	var errs []error
	for _, p := range ps {
		if err := s.eraseProduct(ctx, actor, p.ID); err != nil {
			errs = append(errs, fmt.Errorf("erase product %s: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}

// erased reports whether p holds nothing of its maker any more.
func erased(p Product) bool {
	return p.Status == StatusArchived && p.Title == ErasedTitle && p.Description == "" && len(p.Images) == 0 &&
		p.RejectReason == "" && p.WageException == "" && p.WageExceptionBy == ""
}

// eraseProduct archives and blanks one product with a versioned replace (retried when a hold or
// release got there first, so those are never lost), then deletes every stored rendition of its
// photos: the ones it listed, and any an upload left behind.
func (s *Service) eraseProduct(ctx context.Context, actor accounts.Actor, id string) error {
	var removed []Image
	next, changed, err := s.rewrite(ctx, id, eraseAttempts, func(cur Product, next *Product) (bool, error) {
		if erased(cur) {
			return false, nil
		}
		next.Status = StatusArchived
		next.Title, next.Description = ErasedTitle, ""
		next.RejectReason, next.WageException, next.WageExceptionBy = "", "", ""
		next.Images = []Image{}
		removed = cur.Images
		return true, nil
	})
	if err != nil {
		return err
	}

	// The product no longer names its photos, so nobody can be served one; now remove the bytes.
	files := map[string]bool{}
	for _, img := range removed {
		for _, f := range img.FileIDs {
			files[f] = true
		}
	}
	stored, err := s.images.productFiles(ctx, id)
	if err != nil {
		return err
	}
	for _, f := range stored {
		files[f] = true
	}
	ids := make([]string, 0, len(files))
	for f := range files {
		ids = append(ids, f)
		s.imgCache.remove(f) // a rendition's file id is its cache key
	}
	var delErr error
	if len(ids) > 0 {
		delErr = s.images.Delete(ctx, ids)
	}

	if changed || len(ids) > 0 {
		detail := fmt.Sprintf("erased with its maker's data: archived, title and description cleared, %d photo(s) deleted", len(removed))
		if !changed {
			detail = "erased with its maker's data: photo files left in storage deleted"
		}
		if err := s.audit(ctx, actor, "product.erase", next, detail); err != nil {
			return errors.Join(err, delErr)
		}
	}
	return delErr
}

// productFiles lists the ids of every rendition stored for a product, found by the productId
// each file carries, so renditions of an upload that failed half-way are found too.
func (s *ImageStore) productFiles(ctx context.Context, productID string) ([]string, error) {
	b, err := s.db.ReadBucket(imagesBucket)
	if err != nil {
		return nil, fmt.Errorf("open image bucket: %w", err)
	}
	cur, err := b.FindContext(ctx, bson.M{"metadata.productId": productID})
	if err != nil {
		return nil, fmt.Errorf("list product images: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list product images: %w", err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}
