//go:build !unix

package procstat

import "time"

// SelfCPU reports nothing on this OS.
func SelfCPU() (time.Duration, bool) { return 0, false }

// SelfRSS reports nothing on this OS.
func SelfRSS() int64 { return 0 }

// Of reports nothing on this OS.
func Of(int) (Sample, bool) { return Sample{}, false }
