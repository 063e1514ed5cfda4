// Package maxprocs lets a server run its Go code on one core while its load
// fits in one, and on every core Go would use when it does not.
//
// Why: when a goroutine is readied and another core's thread is idle, Go's
// scheduler wakes that thread to look for work. At a license server's usual
// load (heartbeats, a few thousand small requests a second) it mostly finds
// none and goes back to sleep, and on a small virtual machine every such
// wake-up is a costly context switch. 100,000 sessions heartbeating every
// 30 s took licd 32.5 % of a core with Go's choice of two cores, 23.9 % with
// one (BENCHMARKS.md): the scheduler's wake-ups were a quarter of its CPU.
// This package is what is left of the speed work that served no protocol
// need; it keeps licd under a quarter of a core at that load. One core caps
// throughput,
// though, so the Tuner raises GOMAXPROCS again as soon as the process keeps
// one core busy, and lowers it only after a long quiet spell.
package maxprocs

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Defaults for a Tuner's zero fields.
const (
	DefaultPeriod     = time.Second
	DefaultRaiseAbove = 0.9 // of one core
	DefaultRaiseAfter = 3   // samples in a row
	DefaultLowerBelow = 0.5 // of one core
	DefaultLowerAfter = 10  // samples in a row
)

// Tuner samples the process's CPU time every Period and sets GOMAXPROCS to 1
// or Max. Run starts it at 1.
type Tuner struct {
	Max        int                               // the ceiling; Go's own choice at start when 0
	Period     time.Duration                     // between samples
	RaiseAbove float64                           // raise to Max when the process uses more than this many cores...
	RaiseAfter int                               // ...in this many samples in a row
	LowerBelow float64                           // lower to 1 when it uses less than this many cores...
	LowerAfter int                               // ...in this many samples in a row
	CPU        func() (time.Duration, bool)      // the process's CPU time so far, user and system
	Set        func(n int)                       // sets GOMAXPROCS; runtime.GOMAXPROCS when nil
	OnChange   func(from, to int, cores float64) // cores is -1 for a Boost

	mu     sync.Mutex // Observe runs on Run's goroutine, Boost on any
	boosts int        // Boosts not yet done
	procs  int
	last   time.Duration
	lastAt time.Time
	high   int // samples in a row above RaiseAbove
	low    int // samples in a row below LowerBelow
}

// Pinned reports whether the user fixed GOMAXPROCS in the environment, in
// which case a Tuner should not run: the user's choice wins.
func Pinned() bool {
	n, err := strconv.Atoi(os.Getenv("GOMAXPROCS"))
	return err == nil && n > 0
}

func (t *Tuner) init() {
	if t.procs != 0 {
		return
	}
	if t.Max <= 0 {
		t.Max = runtime.GOMAXPROCS(0)
	}
	if t.Period <= 0 {
		t.Period = DefaultPeriod
	}
	if t.RaiseAbove <= 0 {
		t.RaiseAbove = DefaultRaiseAbove
	}
	if t.RaiseAfter <= 0 {
		t.RaiseAfter = DefaultRaiseAfter
	}
	if t.LowerBelow <= 0 {
		t.LowerBelow = DefaultLowerBelow
	}
	if t.LowerAfter <= 0 {
		t.LowerAfter = DefaultLowerAfter
	}
	if t.Set == nil {
		t.Set = func(n int) { runtime.GOMAXPROCS(n) }
	}
	t.procs = 1
}

// Procs is the GOMAXPROCS the Tuner last chose.
func (t *Tuner) Procs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	return t.procs
}

// Run sets GOMAXPROCS to 1, then samples every Period until ctx ends. With
// one core (Max 1) or no way to read the CPU time, it returns at once and
// leaves GOMAXPROCS alone.
func (t *Tuner) Run(ctx context.Context) {
	t.mu.Lock()
	t.init()
	if t.Max <= 1 || t.CPU == nil {
		t.mu.Unlock()
		return
	}
	if t.procs == 1 && t.boosts == 0 { // a Boost may have come first
		t.Set(1)
		if t.OnChange != nil {
			t.OnChange(t.Max, 1, 0)
		}
	}
	t.mu.Unlock()
	tick := time.NewTicker(t.Period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			cpu, ok := t.CPU()
			if !ok {
				return
			}
			t.Observe(cpu, now)
		}
	}
}

// Observe takes one sample: the process's CPU time so far, read at now. It
// sets GOMAXPROCS when the samples so far call for it, and returns what it
// is.
func (t *Tuner) Observe(cpu time.Duration, now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if t.lastAt.IsZero() || !now.After(t.lastAt) { // the first sample only starts the count
		t.last, t.lastAt = cpu, now
		return t.procs
	}
	cores := float64(cpu-t.last) / float64(now.Sub(t.lastAt))
	t.last, t.lastAt = cpu, now
	t.high, t.low = streak(t.high, cores > t.RaiseAbove), streak(t.low, cores < t.LowerBelow && t.boosts == 0)
	switch {
	case t.procs < t.Max && t.high >= t.RaiseAfter:
		t.change(t.Max, cores)
	case t.procs > 1 && t.low >= t.LowerAfter:
		t.change(1, cores)
	}
	return t.procs
}

// Boost raises GOMAXPROCS to Max at once for one long piece of work (a big
// status reply), which on one core would keep every other request waiting
// behind it; call done when it is over. GOMAXPROCS is lowered again by the
// usual rule, after LowerAfter quiet samples with no boost under way.
func (t *Tuner) Boost() (done func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	t.boosts++
	t.low = 0
	if t.procs < t.Max {
		t.change(t.Max, -1)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			t.boosts--
			t.mu.Unlock()
		})
	}
}

func streak(n int, on bool) int {
	if on {
		return n + 1
	}
	return 0
}

func (t *Tuner) change(to int, cores float64) {
	from := t.procs
	t.procs, t.high, t.low = to, 0, 0
	t.Set(to)
	if t.OnChange != nil {
		t.OnChange(from, to, cores)
	}
}
