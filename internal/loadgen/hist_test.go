package loadgen

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsAreOrderedAndTight(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, 123456789, 1 << 40, 1<<63 - 1} {
		i := bucketOf(v)
		if i < prev || i >= nBuckets {
			t.Fatalf("bucket of %d is %d (previous %d, %d buckets)", v, i, prev, nBuckets)
		}
		prev = i
		mid := bucketMid(i)
		if diff := float64(max(mid, v) - min(mid, v)); diff > float64(v)/subCount+1 {
			t.Errorf("value %d: bucket middle %d is off by more than 1/%d", v, mid, subCount)
		}
		if bucketOf(mid) != i {
			t.Errorf("value %d: the middle %d of its bucket %d is in bucket %d", v, mid, i, bucketOf(mid))
		}
	}
}

func TestQuantiles(t *testing.T) {
	tests := []struct {
		name   string
		values []time.Duration
	}{
		{"one", []time.Duration{3 * time.Millisecond}},
		{"uniform", uniform(10000)},
		{"tail", append(slices.Repeat([]time.Duration{time.Millisecond}, 990), slices.Repeat([]time.Duration{time.Second}, 10)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistogram()
			for _, v := range tt.values {
				h.Record(v)
			}
			sorted := slices.Sorted(slices.Values(tt.values))
			for _, q := range []float64{0.5, 0.99, 0.999, 1} {
				want := sorted[max(int(q*float64(len(sorted))+0.5), 1)-1]
				got := h.Quantile(q)
				if diff := (got - want).Abs(); float64(diff) > float64(want)/subCount+1 {
					t.Errorf("q%g = %v, want %v within 1/%d", q, got, want, subCount)
				}
			}
			if h.Max() != sorted[len(sorted)-1] || h.Count() != uint64(len(sorted)) {
				t.Errorf("max %v count %d", h.Max(), h.Count())
			}
		})
	}
	if q := NewHistogram().Quantile(0.5); q != 0 {
		t.Errorf("empty histogram: %v", q)
	}
}

func TestMerge(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	a.Record(time.Millisecond)
	b.Record(time.Second)
	b.Record(-time.Second) // counts as zero
	a.Merge(b)
	if a.Count() != 3 || a.Max() != time.Second || a.Quantile(0) != 0 {
		t.Fatalf("merged: count %d max %v min %v", a.Count(), a.Max(), a.Quantile(0))
	}
}

func uniform(n int) []time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(r.Int64N(int64(10 * time.Millisecond)))
	}
	return out
}

// Latency counts from the due time when an operation began late, and from
// its start when it began early.
func TestStartedCountsFromTheEarlier(t *testing.T) {
	due := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	rec := newRecorder(&counters{})
	for _, tt := range []struct {
		now, want time.Time
		lag       time.Duration
	}{
		{due.Add(3 * time.Millisecond), due, 3 * time.Millisecond},
		{due.Add(-time.Millisecond), due.Add(-time.Millisecond), 0},
		{due, due, 0},
	} {
		if got := rec.started(due, tt.now); !got.Equal(tt.want) {
			t.Errorf("started at %v: latency from %v, want %v", tt.now.Sub(due), got.Sub(due), tt.want.Sub(due))
		}
	}
	if n, lagMax := rec.lag.Count(), rec.lag.Max(); n != 3 || lagMax < 3*time.Millisecond || lagMax > 4*time.Millisecond {
		t.Errorf("lag: %d records, max %v; want 3, about 3ms", n, lagMax)
	}
}
