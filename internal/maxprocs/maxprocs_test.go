package maxprocs

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestObserve feeds a Tuner one sample a second, each the share of a core
// the process used in that second, and checks the GOMAXPROCS it sets.
func TestObserve(t *testing.T) {
	tests := []struct {
		name  string
		cores []float64
		want  []int // GOMAXPROCS after each sample
	}{
		{"stays on one core while the load fits",
			[]float64{0.3, 0.85, 0.85, 0.85, 0.95, 0.95, 0.5},
			[]int{1, 1, 1, 1, 1, 1, 1}},
		{"raises to the ceiling after three busy samples",
			[]float64{0.95, 0.99, 1.2},
			[]int{1, 1, 4}},
		{"a quiet sample restarts the busy count",
			[]float64{0.95, 0.99, 0.7, 0.99, 1.2, 0.95},
			[]int{1, 1, 1, 1, 1, 4}},
		{"lowers to one after ten quiet samples",
			[]float64{1, 1, 1, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3},
			[]int{1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1}},
		{"a busy sample restarts the quiet count",
			[]float64{1, 1, 1, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.6, 0.3},
			[]int{1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var set []int
			tu := &Tuner{Max: 4, Set: func(n int) { set = append(set, n) }}
			at := time.Unix(1000, 0)
			var cpu time.Duration
			tu.Observe(cpu, at) // the first sample only starts the count
			for i, c := range tt.cores {
				at = at.Add(time.Second)
				cpu += time.Duration(c * float64(time.Second))
				if got := tu.Observe(cpu, at); got != tt.want[i] {
					t.Fatalf("after sample %d (%.2f cores): GOMAXPROCS %d, want %d", i+1, c, got, tt.want[i])
				}
			}
			// Set is called only on a change, with the new value.
			prev := 1
			for _, w := range tt.want {
				if w != prev {
					if len(set) == 0 || set[0] != w {
						t.Fatalf("Set calls %v, want a change to %d", set, w)
					}
					set, prev = set[1:], w
				}
			}
			if len(set) != 0 {
				t.Fatalf("extra Set calls %v", set)
			}
		})
	}
}

// A Boost raises GOMAXPROCS at once, and it is not lowered until the boost
// is done and the process has been quiet for LowerAfter samples.
func TestBoost(t *testing.T) {
	var set []int
	tu := &Tuner{Max: 4, LowerAfter: 3, Set: func(n int) { set = append(set, n) }}
	at := time.Unix(1000, 0)
	tu.Observe(0, at)
	quiet := func(n int) int {
		for range n {
			at = at.Add(time.Second)
			tu.Observe(0, at)
		}
		return tu.Procs()
	}
	done := tu.Boost()
	if got := tu.Procs(); got != 4 || len(set) != 1 || set[0] != 4 {
		t.Fatalf("after Boost: GOMAXPROCS %d, Set calls %v; want 4, [4]", got, set)
	}
	if got := quiet(5); got != 4 {
		t.Fatalf("quiet while boosted: GOMAXPROCS %d, want 4", got)
	}
	done()
	done() // a second call changes nothing
	if got := quiet(2); got != 4 {
		t.Fatalf("two quiet samples after the boost: GOMAXPROCS %d, want 4", got)
	}
	if got := quiet(1); got != 1 {
		t.Fatalf("three quiet samples after the boost: GOMAXPROCS %d, want 1", got)
	}
}

func TestObserveIgnoresTimeThatDidNotMove(t *testing.T) {
	tu := &Tuner{Max: 2, RaiseAfter: 1, Set: func(int) { t.Fatal("Set called") }}
	at := time.Unix(1000, 0)
	tu.Observe(0, at)
	if got := tu.Observe(time.Hour, at); got != 1 {
		t.Fatalf("GOMAXPROCS %d, want 1", got)
	}
}

func TestRunLeavesOneCoreAlone(t *testing.T) {
	tu := &Tuner{Max: 1, CPU: func() (time.Duration, bool) { t.Fatal("sampled"); return 0, false },
		Set: func(int) { t.Fatal("Set called") }}
	done := make(chan struct{})
	go func() { tu.Run(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return with Max 1")
	}
}

// TestRun runs a real ticker with a short period: the process starts on one
// core, is raised while its CPU time grows twice as fast as the clock, and
// lowered again once it stops growing.
func TestRun(t *testing.T) {
	var procs atomic.Int32
	// While busy the process uses two cores; then its CPU time stops.
	start := time.Now()
	var stopped atomic.Int64
	changes := make(chan [2]int, 3)
	tu := &Tuner{Max: 2, Period: time.Millisecond, LowerAfter: 3,
		CPU: func() (time.Duration, bool) {
			if d := stopped.Load(); d != 0 {
				return time.Duration(d), true
			}
			return 2 * time.Since(start), true
		},
		Set:      func(n int) { procs.Store(int32(n)) },
		OnChange: func(from, to int, _ float64) { changes <- [2]int{from, to} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tu.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for _, want := range [][2]int{{2, 1}, {1, 2}, {2, 1}} {
		select {
		case got := <-changes:
			if got != want {
				t.Fatalf("GOMAXPROCS changed %d -> %d, want %d -> %d", got[0], got[1], want[0], want[1])
			}
			if int(procs.Load()) != want[1] {
				t.Fatalf("GOMAXPROCS set to %d, want %d", procs.Load(), want[1])
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no change to %d within 5s", want[1])
		}
		if want == [2]int{1, 2} {
			stopped.Store(int64(2 * time.Since(start)))
		}
	}
}

func TestPinned(t *testing.T) {
	for env, want := range map[string]bool{"": false, "0": false, "x": false, "-1": false, "1": true, "8": true} {
		t.Setenv("GOMAXPROCS", env)
		if got := Pinned(); got != want {
			t.Errorf("GOMAXPROCS=%q: Pinned() = %v, want %v", env, got, want)
		}
	}
}
