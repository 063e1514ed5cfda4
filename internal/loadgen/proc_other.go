//go:build !unix

package loadgen

import "time"

func processCPU() (time.Duration, bool) { return 0, false }

func residentBytes() int64 { return 0 }

func procStat(int) (time.Duration, int64, int64, bool) { return 0, 0, 0, false }
