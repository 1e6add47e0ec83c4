// Package training is being built; this placeholder lets the wiring compile.
package training

// Service is the training domain's entry point.
type Service struct{}
