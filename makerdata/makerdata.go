// Package makerdata assembles everything stored about a maker, from every domain, for her data
// export ("see and download everything stored about me"). It sits above the domains: each
// domain contributes a Source, and the JSON API and the web pages serve the same export.
package makerdata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/programs"
)

// Source returns one domain's part of everything stored about a maker; Name is the key it
// appears under in the export.
type Source struct {
	Name string
	Load func(ctx context.Context, makerID string) (any, error)
}

// Exporter builds a maker's export.
type Exporter struct {
	programs *programs.Service
	audit    *audit.Log
	sources  []Source
	now      func() time.Time
}

// New returns an exporter over the programs service (the private profile and its scope check),
// the audit trail and each domain's sources. Every part is required.
func New(progs *programs.Service, log *audit.Log, sources ...Source) (*Exporter, error) {
	if progs == nil || log == nil {
		return nil, errors.New("maker data export: the programs service and the audit log are required")
	}
	for _, s := range sources {
		if s.Name == "" || s.Load == nil {
			return nil, fmt.Errorf("maker data export: source %q has no name or no loader", s.Name)
		}
	}
	return &Exporter{programs: progs, audit: log, sources: sources, now: func() time.Time { return time.Now().UTC() }}, nil
}

// Export returns everything stored about the maker: her private profile (the read is scope
// checked and audited as actor's, so anyone outside her scope gets programs.ErrMakerNotFound),
// each domain's part, and who looked at her record. The export itself is audited.
func (e *Exporter) Export(ctx context.Context, actor accounts.Actor, makerID string) (map[string]any, error) {
	profile, err := e.programs.MakerPrivate(ctx, actor, makerID)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"exportedAt": e.now(), "profile": profile}
	for _, src := range e.sources {
		v, err := src.Load(ctx, makerID)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", src.Name, err)
		}
		out[src.Name] = v
	}
	trail, err := e.audit.List(ctx, audit.Query{RecordID: makerID, Limit: 1000})
	if err != nil {
		return nil, fmt.Errorf("export whoLookedAtMyRecord: %w", err)
	}
	out["whoLookedAtMyRecord"] = audit.AsSeenByMaker(trail)
	if err := e.audit.Record(ctx, actor, "maker.export", "maker", makerID, profile.ProgramID, ""); err != nil {
		return nil, err
	}
	return out, nil
}

// Parts names the parts every export holds, in order: the profile, then each domain's.
func (e *Exporter) Parts() []string {
	out := []string{"profile"}
	for _, s := range e.sources {
		out = append(out, s.Name)
	}
	return out
}
