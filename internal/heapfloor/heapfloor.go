// Package heapfloor keeps Go's garbage collector from running every few
// megabytes while a process's live heap is small.
//
// Why: with GOGC=100 the collector runs whenever the heap has doubled, and
// at least every 4 MiB. licd's live heap is under a megabyte with a few
// hundred sessions, so at 12,000 requests a second it collected ten times a
// second, each cycle about 1.5 ms of licd's one core, and the load
// generator fifteen times. With a floor they collect about once a second,
// and licd did about a tenth more checkouts a second at saturation
// (BENCHMARKS.md). A large live heap (100,000 sessions) gets Go's default,
// so the floor costs at most floor bytes of memory.
package heapfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// defaultPercent is Go's GOGC when the environment sets none.
const defaultPercent = 100

// heapMinimum is the heap size below which Go does not collect at
// GOGC=100; Go scales it with GOGC.
const heapMinimum = 4 << 20

const (
	liveMetric = "/gc/heap/live:bytes"
	gogcMetric = "/gc/gogc:percent"
)

// Keep lets the heap grow to about floor bytes before the collector runs,
// for as long as the live heap is under half of floor; above that, Go's
// default applies. It sets GOGC after each collection from the live heap
// that collection found. It does nothing, and returns false, when GOGC is
// set in the environment: the user's choice wins. A later call changes the
// floor.
func Keep(floor uint64) bool {
	if _, set := os.LookupEnv("GOGC"); set {
		return false
	}
	kept.mu.Lock()
	first := kept.sample == nil
	if first {
		kept.sample = []metrics.Sample{{Name: liveMetric}, {Name: gogcMetric}}
	}
	kept.floor = floor
	kept.mu.Unlock()
	kept.adjust()
	if first {
		kept.arm()
	}
	return true
}

// kept is the process's one keeper: GOGC is process-wide.
var kept keeper

type keeper struct {
	mu     sync.Mutex // Keep and the finalizer that adjusts GOGC
	floor  uint64
	sample []metrics.Sample
}

// arm sets a finalizer on a fresh object, which runs after the next
// collection finds it unreachable: a callback after each GC cycle.
func (k *keeper) arm() {
	s := new(sentinel)
	runtime.SetFinalizer(s, func(*sentinel) {
		k.adjust()
		k.arm()
	})
}

// sentinel is big enough not to share a tiny-allocator block with other
// objects, which would keep it alive.
type sentinel struct{ _ [32]byte }

func (k *keeper) adjust() {
	k.mu.Lock()
	defer k.mu.Unlock()
	metrics.Read(k.sample)
	live, gogc := k.sample[0].Value, k.sample[1].Value
	if live.Kind() != metrics.KindUint64 || gogc.Kind() != metrics.KindUint64 {
		return // not on this Go
	}
	if p := Percent(k.floor, live.Uint64()); uint64(p) != gogc.Uint64() {
		debug.SetGCPercent(p)
	}
}

// Percent is the GOGC that puts the next collection at floor bytes of heap
// when live bytes survived the last one, and never below Go's default. Go
// also raises its 4 MiB minimum heap with GOGC, so the result is capped
// where that minimum reaches floor.
func Percent(floor, live uint64) int {
	limit := max(defaultPercent, int(floor*100/heapMinimum))
	if live == 0 {
		return limit
	}
	p := int(floor*100/live) - 100
	return min(max(p, defaultPercent), limit)
}
