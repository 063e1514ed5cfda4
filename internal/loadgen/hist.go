package loadgen

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's resolution: each power of two is split into
// 2^subBits buckets, so a recorded value is off by at most 1/32 (about 3 %).
const subBits = 5

const (
	subCount = 1 << subBits
	nBuckets = (64-subBits)*subCount + subCount
)

// Histogram records durations in log-linear buckets: exact below 64 ns,
// then 32 buckets per power of two up to the largest time.Duration. It has a
// fixed size (about 15 KiB), takes no locks and allocates nothing after
// NewHistogram; give each goroutine its own and Merge them at the end.
type Histogram struct {
	counts []uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{counts: make([]uint64, nBuckets)} }

func bucketOf(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	e := bits.Len64(v) - 1
	return (e-subBits)*subCount + int(v>>(e-subBits))
}

// bucketMid returns the middle of bucket i.
func bucketMid(i int) uint64 {
	if i < 2*subCount {
		return uint64(i)
	}
	e := i/subCount + subBits - 1
	m := uint64(i%subCount + subCount)
	width := uint64(1) << (e - subBits)
	return m<<(e-subBits) + width/2
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// Merge adds o's records to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count returns the number of records.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest record.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean returns the mean record, 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the value below which a fraction q (0..1) of the records
// lie, to within the bucket width; 0 when empty. The result never exceeds Max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.max)
		}
	}
	return h.max
}
