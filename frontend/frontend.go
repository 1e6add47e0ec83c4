// Package frontend is being built; this placeholder lets the wiring compile.
package frontend
