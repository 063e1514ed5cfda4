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
	if err := t.commit(); err != nil {
		return err
	}
	return e.store.SyncWAL()
}

func (e *Engine) run() {
	var synced chan *done
	if e.store.GroupSync() {
		synced = make(chan *done, syncQueue)
		syncerDone := make(chan struct{})
		go e.syncer(synced, syncerDone)
		defer func() { close(synced); <-syncerDone }()
	}
	defer close(e.stopped) // deferred first, so it runs after the syncer is done
	for {
		var batch []*pending // a new one each time: the syncer may still hold the last
		select {
		case <-e.done:
			return
		case p := <-e.queue:
			batch = append(make([]*pending, 0, 32), p)
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
		var d *done
		if p := e.broken.Load(); p != nil {
			d = &done{batch: batch, results: make([]Result, len(batch)), failed: true}
			d.refuse(e.syncFailure(*p))
		} else {
			d = e.applyBatch(batch)
		}
		// A batch that wrote nothing (heartbeats, mostly) need not wait for
		// a sync, unless an earlier batch still does: replies keep their order.
		if synced == nil || d.failed || (!d.wrote && e.unsynced.Load() == 0) {
			d.send(e)
		} else {
			e.unsynced.Add(1)
			synced <- d
		}
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

// done is an applied batch: its events and replies, which go out once the
// batch is durable.
type done struct {
	batch   []*pending
	results []Result
	events  []wire.Event
	wrote   bool // committed something that is not yet synced
	failed  bool // refused whole: nothing to wait for
}

// send publishes the batch's events, then replies to each command. Events
// go out before the replies, so a client that was answered finds its
// change in the logs, metrics and event streams.
func (d *done) send(e *Engine) {
	if len(d.events) > 0 && e.onEvent != nil {
		e.onEvent(d.events)
	}
	for i, p := range d.batch {
		p.res <- d.results[i]
	}
}

// applyBatch applies a batch in one transaction and commits it. With a
// group-syncing store the commit is not yet durable: the syncer sends the
// replies after the next SyncWAL. Otherwise it is, and the caller may reply.
func (e *Engine) applyBatch(batch []*pending) *done {
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
	d := &done{batch: batch, results: results, events: t.events, wrote: t.tx != nil}
	if err != nil {
		if t.tx != nil {
			t.tx.Rollback()
		}
		e.seq -= int64(len(t.events))
		d.results, d.events, d.wrote, d.failed = e.fail(err, len(batch), now), nil, false, true
	}
	e.mu.Unlock()
	return d
}

// syncQueue bounds the batches waiting for an fsync; the processor waits
// when it is full.
const syncQueue = 64

// syncer makes committed batches durable and then answers them, in order.
// It takes every batch that is waiting and syncs once for all of them, while
// the processor goes on committing the next: one fsync serves several
// commits, and nobody waits for an fsync while holding the ledger.
//
// If the sync fails, what reached the disk is unknown (Linux may even drop
// the unwritten pages): the waiting commands are refused and so is every
// later one, until licd is restarted and reads back what the disk holds.
func (e *Engine) syncer(in chan *done, finished chan struct{}) {
	defer close(finished)
	var ready []*done
	for d := range in {
		ready = append(ready[:0], d)
	more:
		for {
			select {
			case d, ok := <-in:
				if !ok {
					break more
				}
				ready = append(ready, d)
			default:
				break more
			}
		}
		e.syncAndSend(ready)
	}
}

func (e *Engine) syncAndSend(ready []*done) {
	wrote := false
	for _, d := range ready {
		wrote = wrote || d.wrote
	}
	var err error
	if wrote {
		start := time.Now()
		err = e.syncWAL()
		e.stats.recordSync(time.Since(start))
		if err != nil {
			e.broken.Store(&err)
		}
	}
	if p := e.broken.Load(); p != nil {
		err = *p
	}
	for _, d := range ready {
		if err != nil && !d.failed {
			d.refuse(e.syncFailure(err))
		}
		d.send(e)
	}
	e.unsynced.Add(-int64(len(ready)))
}

// refuse replaces the batch's results with err and drops its events.
func (d *done) refuse(err *wire.Error) {
	for i := range d.results {
		d.results[i] = Result{Err: err}
	}
	d.events = nil
}

func (e *Engine) syncFailure(err error) *wire.Error {
	return &wire.Error{Code: wire.CodeUnavailable,
		Message: fmt.Sprintf("the server could not make its records durable (%v): restart licd", err)}
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
	syncs    atomic.Uint64
	syncNs   atomic.Int64
}

func (s *commitStats) recordSync(took time.Duration) {
	s.syncs.Add(1)
	s.syncNs.Add(int64(took))
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
	CommitTime time.Duration // spent committing those
	Syncs      uint64        // fsyncs that made commits durable (group sync only)
	SyncTime   time.Duration // spent in them
}

// CommitStats returns the processor's totals since start.
func (e *Engine) CommitStats() CommitStats {
	return CommitStats{
		Batches:    e.stats.batches.Load(),
		Commands:   e.stats.commands.Load(),
		Commits:    e.stats.commits.Load(),
		CommitTime: time.Duration(e.stats.commitNs.Load()),
		Syncs:      e.stats.syncs.Load(),
		SyncTime:   time.Duration(e.stats.syncNs.Load()),
	}
}
