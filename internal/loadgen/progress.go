package loadgen

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const barWidth = 30

// progress redraws one status line in place (with \r) five times a second
// while a phase runs: a bar, and what was done so far. Its methods do
// nothing on a nil *progress.
type progress struct {
	w    io.Writer
	mu   sync.Mutex
	line func() string // the current phase's line; nil between phases
	quit chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w, quit: make(chan struct{})}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line != nil {
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line())
	}
}

func (p *progress) set(line func() string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.line = line
	p.mu.Unlock()
	p.draw()
}

// count shows a phase that does total things, done of them so far.
func (p *progress) count(label string, total int64, done *atomic.Int64) {
	p.set(func() string {
		n := done.Load()
		return fmt.Sprintf("%-12s %s %s/%s sessions", label, bar(float64(n)/float64(total)), group(float64(n)), group(float64(total)))
	})
}

// measure shows the measured phase: time gone and the rate of operations.
func (p *progress) measure(start time.Time, d time.Duration, c *counters) {
	var lastOps uint64
	last := start
	rate := 0.0
	p.set(func() string {
		now := time.Now()
		ops := c.ops.Load()
		if dt := now.Sub(last).Seconds(); dt >= 0.5 {
			rate = float64(ops-lastOps) / dt
			lastOps, last = ops, now
		}
		gone := min(now.Sub(start), d)
		return fmt.Sprintf("%-12s %s %4.0fs/%.0fs  %s ops/s  %s errors", "measuring",
			bar(gone.Seconds()/d.Seconds()), gone.Seconds(), d.Seconds(), group(rate), group(float64(c.errors.Load())))
	})
}

// done ends a phase: the line is drawn once more and left in place.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.draw()
	p.mu.Lock()
	if p.line != nil {
		fmt.Fprintln(p.w)
	}
	p.line = nil
	p.mu.Unlock()
}

// stop ends the current phase and the redrawing; it may be called twice.
func (p *progress) stop() {
	if p == nil {
		return
	}
	p.done()
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	p.wg.Wait()
}

func bar(f float64) string {
	f = min(max(f, 0), 1)
	n := int(f * barWidth)
	return "[" + strings.Repeat("=", n) + strings.Repeat(" ", barWidth-n) + "]" + fmt.Sprintf(" %3.0f%%", 100*f)
}
