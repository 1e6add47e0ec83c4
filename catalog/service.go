// Package catalog is being built; this placeholder lets the wiring compile.
package catalog

// Service is the catalog domain's entry point.
type Service struct{}
