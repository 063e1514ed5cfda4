//go:build !chaosbug

package engine

// plantedBug is off: see plantedbug_on.go.
const plantedBug = false
