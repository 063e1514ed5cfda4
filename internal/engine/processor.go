package engine

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("engine closed")

// maxBatch bounds how many commands share one transaction.
const maxBatch = 512

// flushChunk is how many heartbeat times one batch writes: about 3 ms of
// work on sessions next to each other in the table.
const flushChunk = 512

type pending struct {
	cmd Command
	res chan Result
}

// pendings are reused: a busy server submits tens of thousands a second.
var pendings = sync.Pool{New: func() any { return &pending{res: make(chan Result, 1)} }}

// Submit applies cmd and returns its result once it is durable. A command
// whose batch could not be committed is refused with code unavailable.
func (e *Engine) Submit(cmd Command) Result {
	p := pendings.Get().(*pending)
	p.cmd = cmd
	select {
	case e.queue <- p:
	case <-e.done:
		return Result{Err: wire.Errorf(wire.CodeUnavailable, "server is shutting down")}
	}
	select {
	case r := <-p.res:
		p.cmd = nil
		pendings.Put(p)
		return r
	case <-e.stopped:
		select {
		case r := <-p.res:
			return r
		default:
			return Result{Err: wire.Errorf(wire.CodeUnavailable, "server is shutting down")}
		}
	}
}

// Close stops the processor after the batch in hand, writes the pending
// heartbeat times and returns. It does not close the store.
func (e *Engine) Close() error {
	select {
	case <-e.done:
	default:
		close(e.done)
	}
	<-e.stopped
	e.mu.Lock()
	defer e.mu.Unlock()
	t := &txn{e: e}
	e.startFlush()
	e.flushNext(t, len(e.flushing))
	return t.commit()
}

func (e *Engine) run() {
	defer close(e.stopped)
	batch := make([]*pending, 0, maxBatch)
	for {
		select {
		case <-e.done:
			return
		case p := <-e.queue:
			batch = append(batch[:0], p)
		}
		e.gather()
	drain:
		for len(batch) < maxBatch {
			select {
			case p := <-e.queue:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		e.applyBatch(batch)
	}
}

// gather lets the goroutines that are ready to run submit their commands
// before the batch closes. The first command wakes the processor at once
// (Go runs a goroutine woken by a channel send next), so without this a
// batch often holds only the command that woke it, above all when licd has
// one CPU: every command then pays a commit of its own. Yielding puts the
// processor behind the runnable request goroutines, which each run until
// they block in Submit. It costs no timer and adds no latency when nothing
// else is runnable.
func (e *Engine) gather() { runtime.Gosched() }

// applyBatch applies a batch in one transaction and replies to each command
// only after the commit.
func (e *Engine) applyBatch(batch []*pending) {
	results := make([]Result, len(batch))
	e.mu.Lock()
	t := &txn{e: e}
	var now time.Time
	for i, p := range batch {
		results[i] = p.cmd.apply(e, t)
		now = maxTime(now, p.cmd.time())
	}
	if len(e.flushing) == 0 && now.Sub(e.lastFlush) >= e.cfg.FlushPeriod {
		e.startFlush()
		e.lastFlush = now
	}
	e.flushNext(t, flushChunk)
	start := time.Now()
	err := t.commit()
	e.stats.record(len(batch), t.tx != nil, time.Since(start))
	if err != nil {
		if t.tx != nil {
			t.tx.Rollback()
		}
		e.seq -= int64(len(t.events))
		results = e.fail(err, len(batch), now)
		t.events = nil
	}
	e.mu.Unlock()
	// Events go out before the replies, so a client that was answered
	// finds its change in the logs, metrics and event streams.
	if len(t.events) > 0 && e.onEvent != nil {
		e.onEvent(t.events)
	}
	for i, p := range batch {
		p.res <- results[i]
	}
}

// fail handles a batch that could not be committed: memory goes back to what
// the store holds, and every command of the batch is refused.
func (e *Engine) fail(err error, n int, now time.Time) []Result {
	code := wire.CodeUnavailable
	msg := fmt.Sprintf("the server could not record this in %s: %v", e.store.Path(), err)
	if errors.Is(err, store.ErrDiskFull) {
		msg = fmt.Sprintf("the server's disk is full (%s): nothing was recorded", e.store.Path())
	}
	if lerr := e.load(now); lerr != nil {
		msg += fmt.Sprintf("; reloading state also failed: %v", lerr)
	}
	out := make([]Result, n)
	for i := range out {
		out[i] = Result{Err: &wire.Error{Code: code, Message: msg}}
	}
	return out
}

// startFlush queues the heartbeat times not yet written, in id order (the
// table's order, so each chunk touches few pages), after any still queued.
func (e *Engine) startFlush() {
	ids := make([]string, 0, len(e.dirty))
	for _, s := range e.dirty {
		if s.dirty && e.sessions[s.ID] == s { // still live
			ids = append(ids, s.ID)
		}
		s.dirty = false
	}
	slices.Sort(ids)
	e.flushing = append(e.flushing, ids...)
	clear(e.dirty)
	e.dirty = e.dirty[:0]
}

// flushNext writes up to n queued heartbeat times, each session's latest.
func (e *Engine) flushNext(t *txn, n int) {
	n = min(n, len(e.flushing))
	for _, id := range e.flushing[:n] {
		if s := e.sessions[id]; s != nil {
			t.write(func(tx *store.Tx) { tx.Heartbeat(id, s.LastHeartbeat) })
		}
	}
	e.flushing = e.flushing[n:]
	if len(e.flushing) == 0 {
		e.flushing = nil
	}
}

// PruneEvents trims the audit trail to the configured size. It runs on the
// caller's goroutine; the store serialises it with the processor's writes.
func (e *Engine) PruneEvents() (int64, error) {
	return e.store.PruneEvents(e.cfg.KeepEvents)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// commitStats count the processor's batches, for /metrics: how many
// commands share a commit is what group commit buys.
type commitStats struct {
	batches  atomic.Uint64
	commands atomic.Uint64
	commits  atomic.Uint64 // batches that wrote something
	commitNs atomic.Int64
}

func (s *commitStats) record(commands int, wrote bool, took time.Duration) {
	s.batches.Add(1)
	s.commands.Add(uint64(commands))
	if wrote {
		s.commits.Add(1)
		s.commitNs.Add(int64(took))
	}
}

// CommitStats are the processor's totals since start.
type CommitStats struct {
	Batches    uint64        // batches of commands applied
	Commands   uint64        // commands in them
	Commits    uint64        // batches that wrote to the store
	CommitTime time.Duration // spent writing and committing those, fsync included
}

// CommitStats returns the processor's totals since start.
func (e *Engine) CommitStats() CommitStats {
	return CommitStats{
		Batches:    e.stats.batches.Load(),
		Commands:   e.stats.commands.Load(),
		Commits:    e.stats.commits.Load(),
		CommitTime: time.Duration(e.stats.commitNs.Load()),
	}
}
