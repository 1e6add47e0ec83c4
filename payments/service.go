// Package payments is being built; this placeholder lets the wiring compile.
package payments

// Service is the payments domain's entry point.
type Service struct{}
