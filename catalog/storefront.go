package catalog

import (
	"context"
	"slices"

	"github.com/fairhands/marketplace/programs"
)

// Search returns a page of published products.
func (s *Service) Search(ctx context.Context, q Query) (Page, error) {
	q, err := q.normalize()
	if err != nil {
		return Page{}, err
	}
	es, total := s.rm.current().search(q)
	items := make([]PublicProduct, len(es))
	for i, e := range es {
		items[i] = e.pub
	}
	return Page{Items: items, Total: total, Page: q.Page, PerPage: q.PerPage}, nil
}

// maxAliasLen is the longest raw query string kept as a cache alias.
const maxAliasLen = 512

// SearchJSON returns the same page as Search, already encoded as JSON. Pages are cached until
// the catalog next changes, which is what keeps the storefront close to the speed of serving a
// static file. A caller that has the request's raw form (its URL query) passes it as alias, and
// later finds the page with CachedPage without parsing anything.
func (s *Service) SearchJSON(ctx context.Context, q Query, alias ...string) ([]byte, error) {
	q, err := q.normalize()
	if err != nil {
		return nil, err
	}
	snap := s.rm.current()
	k := q.key()
	keys := []string{k}
	for _, a := range alias {
		// Only ordinary query strings become aliases: a huge or hostile one would make the cache
		// hold its key beyond the page budget (found by fuzzing: 2,000 distinct 32 KB queries).
		if len(a) <= maxAliasLen {
			keys = append(keys, "raw\x00"+a)
		}
	}
	if b, ok := snap.pages.get(k); ok {
		if len(alias) > 0 {
			snap.pages.put(b, keys[1:]...)
		}
		return b, nil
	}
	es, total := snap.search(q)
	b := encodePage(es, total, q)
	snap.pages.put(b, keys...)
	return b, nil
}

// CachedPage returns the page SearchJSON encoded for the raw form alias under the catalog as it
// is now, if there is one.
func (s *Service) CachedPage(alias string) ([]byte, bool) {
	return s.rm.current().pages.get("raw\x00" + alias)
}

// PublicProduct returns a published product's public face; anything else is ErrNotFound.
func (s *Service) PublicProduct(ctx context.Context, id string) (PublicProduct, error) {
	e := s.rm.current().entryOf(id)
	if e == nil || !e.visible {
		return PublicProduct{}, ErrNotFound
	}
	return e.pub, nil
}

// PublicProductJSON is PublicProduct, encoded.
func (s *Service) PublicProductJSON(ctx context.Context, id string) ([]byte, error) {
	e := s.rm.current().entryOf(id)
	if e == nil || !e.visible {
		return nil, ErrNotFound
	}
	return e.json(), nil
}

// Categories lists the categories of published products, most products first.
func (s *Service) Categories(ctx context.Context) ([]CategoryCount, error) {
	return slices.Clone(s.rm.current().categories), nil
}

// MakerPublicProducts lists a maker's published products, newest first, for their public page:
// by her public id (programs.PublicMaker.ID), so an account id or a retired public id finds none.
func (s *Service) MakerPublicProducts(ctx context.Context, publicID string) []PublicProduct {
	es := s.rm.current().byMaker[publicID]
	out := make([]PublicProduct, 0, len(es))
	for _, sl := range es {
		if e := sl.get(); e.visible {
			out = append(out, e.pub)
		}
	}
	return out
}

// ProgramDirectory lists every program's public face (name and city), by name, from the read
// model: the storefront's program filter, served without a database round trip, and as fresh as
// the read model's makers and programs (DefaultPollInterval).
func (s *Service) ProgramDirectory() []programs.PublicProgram { return s.rm.programDirectory() }
