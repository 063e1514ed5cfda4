//go:build !unix

package server

func cpuSeconds() (float64, bool) { return 0, false }
