// Package engine is floatlic's license ledger: the in-memory state of
// sessions, checkouts, borrows and grace reports, the typed commands that
// change it, and the batches that apply them to the store.
//
// Design: every state change is a Command, applied in batches, one batch at
// a time. Commands are deterministic: the time and any new ids come in the
// command, never from the wall clock or a random source inside apply, so
// the same commands replicated to another node (HAL) give the same state.
// Submit queues a command; the Submit that finds no batch under way leads
// one: it takes every command queued by then (after yielding once, so that
// request goroutines ready to submit do), applies them in one SQLite
// transaction and commits before any reply is sent (group commit), then
// passes the lead to the first command queued meanwhile. A checkout is
// durable before the client hears of it, and concurrent requests share one
// commit. If a commit fails (full disk, I/O error), the memory state is
// reloaded from the store and the whole batch is refused, so memory and disk
// never disagree.
//
// Heartbeats change memory only (the lease), so they are applied at once,
// under the lock, not queued. Their times are written in bulk, not one by
// one: every FlushPeriod the sessions heard from since the last flush are
// sorted by id and written a chunk per batch (any batch, or a Flush command
// when nothing else is going on), so that a large flush neither stalls one
// batch nor touches the same page twice. A restart continues each
// session's lease from its stored time (see Config.RestartFloor), so a
// crash loses at most a flush period of lease: a dead client's seat is
// freed a little early, never kept. Only a restart reads the stored times,
// and a live client is covered by the restart floor however old its time
// is, so they need not be fresh: every 5 minutes by default. Written every
// minute, 100,000 sessions heartbeating every 30 s spent a tenth of licd's
// CPU on it (2.7 % of a core; BENCHMARKS.md).
//
// Invariant: for every feature, licenses in use plus borrowed ≤ COUNT.
// Grace licenses are reported, not counted.
package engine

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floatlic/floatlic/internal/policy"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// Feature is a served network license: the limits that checkouts are held to.
type Feature struct {
	Name        string
	Version     string // major.minor
	Count       int
	GraceHours  int       // 0: no grace
	BorrowHours int       // 0: no borrowing
	Expire      string    // as written: YYYY-MM-DD or permanent
	Expires     time.Time // zero when permanent
	Start       time.Time // zero when no START
	HostOK      bool      // HOSTID absent or matching this machine
	HostIDs     []string
	// TokenKeys are the license's TOKEN_KEY: the server keys that may sign
	// its grace and borrow tokens. Block is the vendor-signed FEATURE
	// block that tokens carry as proof of them (licfile.Format).
	TokenKeys []string
	Block     string
	// HALServers is the license's HAL_SERVERS: nil, or the client
	// addresses of HAL nodes #1, #2, #3.
	HALServers []string
	Where      string // file:line of its FEATURE block, for messages
}

// Config tunes the engine.
type Config struct {
	Lease       time.Duration // a session's lease after each request from it
	KeepEvents  int64         // events kept in the audit trail; 0: 1,000,000
	FlushPeriod time.Duration // how often heartbeat times are written; 0: 5 min
	// RestartFloor is the least lease a session gets when the ledger is
	// loaded (a restart): its lease runs on from its stored last heartbeat,
	// but never ends sooner than this after the load, so that a live client
	// has the time to reach the server. Long enough for one heartbeat
	// interval and some slack; 0: the whole lease (a fresh lease each
	// restart, which a server restarted in a loop renews for ever).
	RestartFloor time.Duration
	// ClockTolerance is how far the clock may read behind the newest time
	// the ledger has seen (stored or since) before it is taken as set back;
	// 0: 5 minutes. See Clock.
	ClockTolerance time.Duration
	// OnWindback, if set, hears when the clock is found set back: newest is
	// the time the ledger had seen, now the clock's. Once per finding.
	OnWindback func(newest, now time.Time)
	// Replicated makes the engine a HAL node's ledger: batches go through
	// the Log (SetLog) and are applied by ApplyEntries on every node;
	// heartbeat times are not written (a node that starts serving gives
	// every session a fresh lease, see Promote); and the clock mark is
	// written with every entry, so that it is the same on every node.
	Replicated bool
	// OnHealth, if set, hears when commits start failing (err), when they
	// fail for another cause, and when they succeed again (nil): once per
	// change, not once per failed batch, so that it can log each.
	OnHealth func(err error)
}

type session struct {
	store.Session
	handle     string // what status and remove name it by (wire.SessionHandle)
	leaseUntil time.Time
	// stored is the last heartbeat time written to the store: what a
	// restart continues the lease from (see promised).
	stored    time.Time
	checkouts []*store.Checkout
	dirty     bool // in Engine.dirty: its heartbeat time is not yet written
}

func (s *session) byRequest(id string) *store.Checkout {
	for _, c := range s.checkouts {
		if c.RequestID == id {
			return c
		}
	}
	return nil
}

func (s *session) drop(id string) *store.Checkout {
	for i, c := range s.checkouts {
		if c.ID == id {
			s.checkouts = append(s.checkouts[:i], s.checkouts[i+1:]...)
			return c
		}
	}
	return nil
}

type use struct {
	inUse, borrowed int
	holders         map[holder]int // in use and borrowed, by user and host (see hold)
}

// Engine holds the ledger. Reads (Status, Lookup) may run concurrently with
// a batch; all changes go through Submit.
type Engine struct {
	cfg   Config
	store *store.Store
	// restarted: the ledger held events when loaded (for plantedBug only).
	restarted bool

	features atomic.Pointer[map[string]*Feature] // replaced whole on reload; read without the lock
	policy   atomic.Pointer[policy.Set]          // the options file's rules, set with the features

	mu        sync.RWMutex
	sessions  map[string]*session
	checkouts map[string]*store.Checkout
	borrows   map[string]*store.Borrow
	graces    map[graceKey]*store.Grace
	use       map[string]*use
	seq       int64
	dirty     []*session // sessions whose heartbeat time is not yet written (some may have ended)
	flushing  []string   // sorted ids of sessions whose time the current flush writes next
	lastFlush time.Time
	newest    time.Time // the latest command time seen, stored or not
	markTime  time.Time // the newest time last written to the store's clock mark
	windback  bool      // the clock was found set back, and OnWindback told
	// idleFloor is when this node began to hear heartbeats (a load, or
	// Promote): a TIMEOUT counts a session idle from no sooner (see Idle).
	idleFloor time.Time

	stats commitStats

	hmu     sync.Mutex
	cause   string                // on hmu: store.Cause of the failure last reported, "" when healthy
	failing atomic.Pointer[error] // the last commit's error; nil after a good one

	qmu     sync.Mutex
	idle    sync.Cond  // on qmu: broadcast when a lead ends
	queue   []*pending // commands waiting for the next batch
	leading bool       // a Submit is applying a batch, or is about to
	closed  atomic.Bool
	batch   []*pending // the batch in hand; only the leader touches it

	onEvent func([]wire.Event)

	log     Log    // replicated: where batches go
	applied uint64 // on mu: the last log entry applied

	qs queueState // on mu: queued checkout requests and admins' holds (queue.go)
}

// Open loads the state from st. Every restored session's lease runs on from
// its stored last heartbeat, and at least RestartFloor from now, so clients
// that heartbeat carry on without checking out again and dead ones are
// reclaimed as if the server had not stopped.
// onEvent, if set, receives each committed batch of events, in order, on the
// goroutine that applied the batch, before its replies.
func Open(st *store.Store, features []*Feature, cfg Config, now time.Time, onEvent func([]wire.Event)) (*Engine, error) {
	if cfg.Lease <= 0 {
		return nil, fmt.Errorf("engine: lease must be positive, not %v", cfg.Lease)
	}
	if cfg.KeepEvents <= 0 {
		cfg.KeepEvents = 1_000_000
	}
	if cfg.FlushPeriod <= 0 {
		cfg.FlushPeriod = 5 * time.Minute
	}
	if cfg.ClockTolerance <= 0 {
		cfg.ClockTolerance = 5 * time.Minute
	}
	if cfg.RestartFloor <= 0 || cfg.RestartFloor > cfg.Lease {
		cfg.RestartFloor = cfg.Lease
	}
	e := &Engine{cfg: cfg, store: st, onEvent: onEvent}
	e.idle.L = &e.qmu
	e.setFeatures(features)
	e.setPolicy(nil)
	if err := e.load(now); err != nil {
		return nil, err
	}
	if cfg.Replicated {
		if err := e.loadRaftState(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// load replaces the memory state with the store's.
func (e *Engine) load(now time.Time) error {
	snap, err := e.store.Load()
	if err != nil {
		return err
	}
	e.sessions = make(map[string]*session, len(snap.Sessions))
	e.checkouts = make(map[string]*store.Checkout, len(snap.Checkouts))
	e.borrows = make(map[string]*store.Borrow, len(snap.Borrows))
	e.graces = make(map[graceKey]*store.Grace, len(snap.Graces))
	e.use = make(map[string]*use)
	e.dirty = nil
	e.flushing = nil
	e.seq = snap.LastSeq
	e.restarted = snap.LastSeq > 0
	e.lastFlush = now
	e.idleFloor = now
	e.newest = maxTime(e.newest, snap.Newest) // a reload after a failed commit never lowers it
	e.markTime = snap.Newest
	for _, s := range snap.Sessions {
		e.sessions[s.ID] = &session{Session: s, handle: wire.SessionHandle(s.ID), leaseUntil: e.restoredLease(s.LastHeartbeat, now),
			stored: s.LastHeartbeat}
	}
	for i := range snap.Checkouts {
		c := &snap.Checkouts[i]
		s := e.sessions[c.Session]
		if s == nil { // cannot happen through the engine; keep the license counted anyway
			s = &session{Session: store.Session{ID: c.Session, Created: c.Since, LastHeartbeat: c.Since},
				handle: wire.SessionHandle(c.Session), leaseUntil: e.restoredLease(c.Since, now)}
			e.sessions[c.Session] = s
		}
		s.checkouts = append(s.checkouts, c)
		e.checkouts[c.ID] = c
		e.hold(c.Feature, s.User, s.Host, c.Count, false)
	}
	for i := range snap.Borrows {
		b := &snap.Borrows[i]
		e.borrows[b.ID] = b
		e.hold(b.Feature, b.User, b.Host, 1, true)
	}
	for i := range snap.Graces {
		g := &snap.Graces[i]
		e.graces[keyOf(g)] = g
	}
	e.loadQueue(snap)
	return nil
}

// restoredLease is the lease of a session loaded at now whose last stored
// heartbeat is at last: its own, or the floor for live clients to reach us.
func (e *Engine) restoredLease(last, now time.Time) time.Time {
	return maxTime(last.Add(e.cfg.Lease), now.Add(e.cfg.RestartFloor))
}

// promised is the end of the lease the session is told it has at now: the
// time until which its licenses are its own, whatever happens to the server.
// Its lease runs on in memory to now + Lease, but a crash loses heartbeat
// times not yet written, and a restart continues the lease only from the
// stored one, or for RestartFloor. So a single server promises no more than
// a restart at now would keep: the chaos suite found a restarted licd
// reclaiming a seat before the lease end it had told its client. A HAL
// node's successor gives every session server.TakeoverLease, which covers
// the whole lease.
func (e *Engine) promised(s *session, now time.Time) time.Time {
	if e.cfg.Replicated {
		return s.leaseUntil
	}
	return minTime(s.leaseUntil, e.restoredLease(s.stored, now))
}

func (e *Engine) useOf(feature string) *use {
	u := e.use[feature]
	if u == nil {
		u = &use{}
		e.use[feature] = u
	}
	return u
}

func (e *Engine) setFeatures(fs []*Feature) {
	m := make(map[string]*Feature, len(fs))
	for _, f := range fs {
		m[f.Name] = f
	}
	e.features.Store(&m)
}

func (e *Engine) feature(name string) *Feature { return (*e.features.Load())[name] }

// Features returns the served features, sorted by name.
func (e *Engine) Features() []*Feature {
	fs := *e.features.Load()
	out := make([]*Feature, 0, len(fs))
	for _, f := range fs {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Feature returns the served feature called name, or nil.
func (e *Engine) Feature(name string) *Feature { return e.feature(name) }

// Lease returns the lease a request gives its session.
func (e *Engine) Lease() time.Duration { return e.cfg.Lease }

// InUse returns the licenses of feature in use and borrowed.
func (e *Engine) InUse(feature string) (inUse, borrowed int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if u := e.use[feature]; u != nil {
		return u.inUse, u.borrowed
	}
	return 0, 0
}

// Sessions returns the number of live sessions.
func (e *Engine) Sessions() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.sessions)
}

// Due lists what a Reap at now would reclaim: the sessions whose lease ran
// out, in id order, and whether any borrow or grace record is due; so the
// caller submits Reaps only when there is work, and a few sessions to each.
func (e *Engine) Due(now time.Time) (sessions []string, others bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.sessions {
		if !now.Before(s.leaseUntil) {
			sessions = append(sessions, s.ID)
		}
	}
	sort.Strings(sessions)
	for _, b := range e.borrows {
		if !now.Before(b.Expires) {
			return sessions, true
		}
	}
	for _, g := range e.graces {
		if !now.Before(g.Expires) {
			return sessions, true
		}
	}
	return sessions, e.holdsDue(now)
}

// Clock reports whether the clock, reading now, was set back: now is more
// than ClockTolerance behind the newest time the ledger has stored or seen.
// It tells OnWindback once, when it first finds it so.
func (e *Engine) Clock(now time.Time) (newest time.Time, setBack bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.newest, e.setBack(now)
}

// setBack is Clock with the lock held. Features with an EXPIRE or START are
// refused while it holds: the clock is all that dates them.
func (e *Engine) setBack(now time.Time) bool {
	if e.newest.Sub(now) <= e.cfg.ClockTolerance {
		e.windback = false
		return false
	}
	if !e.windback && e.cfg.OnWindback != nil {
		e.cfg.OnWindback(e.newest, now)
	}
	e.windback = true
	return true
}

// saw moves the newest time seen up to now, and writes it to the store
// when it has moved a minute since last written: a clock set back is then
// still noticed after a restart, whatever else the store holds.
func (e *Engine) saw(t *txn, now time.Time) {
	if !now.After(e.newest) {
		return
	}
	e.newest = now
	if t != nil && (e.cfg.Replicated || now.Sub(e.markTime) >= time.Minute) {
		e.markTime = now
		t.write(func(tx *store.Tx) { tx.SetNewest(now) })
	}
}

// Err is a refusal: it becomes the reply's error object.
func refuse(code, format string, args ...any) Result {
	return Result{Err: wire.Errorf(code, format, args...)}
}
