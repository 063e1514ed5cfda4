package chaos

import (
	"sort"
	"sync"
	"time"
)

// Kind is what a recorded operation asked the server to do.
type Kind int

// Kinds of operation. Every one but Lapse is a request a client sent;
// a Lapse is the server's right to end a session whose lease ran out
// (see lapses).
const (
	OpCheckout Kind = iota
	OpHeartbeat
	OpCheckin
	OpCheckinAll
	OpBorrow
	OpReturn
	OpGrace
	OpLapse
)

var kindNames = [...]string{"checkout", "heartbeat", "checkin", "checkin-all", "borrow", "return", "grace", "lapse"}

func (k Kind) String() string { return kindNames[k] }

// Outcome is what a reply said, as far as the ledger is concerned.
type Outcome int

// Outcomes.
const (
	// Done: the server did it. Granted checkouts and borrows carry their
	// ID, heartbeats the session's checkouts, checkins the number released.
	Done Outcome = iota
	// Denied: count_exhausted, the pool was full.
	Denied
	// NoSession: a heartbeat the server answered with unknown_session.
	NoSession
	// NoEffect: a refusal that changed nothing (not_primary, no_quorum,
	// borrow_not_allowed, ...).
	NoEffect
	// Unknown: no reply (timeout, reset) or unavailable: the request may
	// have taken effect, at any time after it was sent.
	Unknown
)

var outcomeNames = [...]string{"done", "denied", "no-session", "no-effect", "unknown"}

func (o Outcome) String() string { return outcomeNames[o] }

// Input is what an operation asked.
type Input struct {
	Kind    Kind
	Client  int    // the session's number in the run
	Session string // the session id
	Feature string
	Request string // checkout and borrow request id
	ID      string // checkin: the checkout id; return: the borrow id
	// Final marks a Lapse after which the session never again asks about
	// its checkouts: a client process that died.
	Final bool
	// At is when the operation was called; Until, for a request that may
	// still take effect (pending), the time after which it cannot. The
	// checker sets both.
	At, Until time.Duration
}

// Output is what the reply said.
type Output struct {
	Outcome Outcome
	ID      string   // granted checkout or borrow
	IDs     []string // heartbeat: the session's checkouts
	N       int      // checkin: released; return: 1 when returned
	Code    string   // the error code, or the transport error
	// Lease is the end of the session's lease as the server reported it,
	// on the run's clock (0: not reported): by a heartbeat, or by a
	// granted checkout (its start plus the lease).
	Lease time.Duration

	primary  string        // with not_primary: the serving node's address
	leaseFor time.Duration // a granted checkout's lease, from when it was asked for
}

// Op is one recorded request and its reply. Return is Never for a
// request whose outcome is Unknown.
type Op struct {
	Input  Input
	Output Output
	Call   time.Duration // since the run started
	Return time.Duration
	Node   int // the node that answered (0: none)
}

// Never is the return time of an operation that may take effect at any
// later time.
const Never = time.Duration(1<<63 - 1)

// Recorder collects the operations of every client; safe for concurrent
// use.
type Recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []Op
}

// NewRecorder starts the run's clock.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

// Now is the time since the run started.
func (r *Recorder) Now() time.Duration { return time.Since(r.start) }

// At converts a server's wall-clock time to the run's clock.
func (r *Recorder) At(t time.Time) time.Duration { return t.Sub(r.start) }

// Add records op.
func (r *Recorder) Add(op Op) {
	if op.Output.Outcome == Unknown {
		op.Return = Never
	}
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// Ops returns the recorded operations in call order.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	ops := append([]Op(nil), r.ops...)
	r.mu.Unlock()
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
	return ops
}
