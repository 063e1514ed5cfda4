//go:build chaosbug

package engine

// plantedBug is on in a licd built with -tags chaosbug, for the chaos
// suite's test of itself: after a restart, the engine grants one license
// over COUNT. Never in a real build.
const plantedBug = true
