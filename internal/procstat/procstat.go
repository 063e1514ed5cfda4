// Package procstat reads a process's CPU time and memory, for licd's
// /metrics and licbench's report. Where the OS has no /proc or getrusage,
// the functions report that they know nothing.
package procstat

import "time"

// Sample is what is known of a process at one moment.
type Sample struct {
	CPU  time.Duration // user plus system time used so far
	RSS  int64         // resident memory, bytes
	Peak int64         // peak resident memory, bytes (0 when unknown)
}

// userHZ is the unit of CPU times in /proc: 100 per second on every Linux
// architecture Go supports.
const userHZ = 100
