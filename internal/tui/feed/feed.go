// Package feed keeps licstat's view of a license server current: it fetches
// the status, follows the server's event stream, refetches the status after
// events (at most every Throttle) and every Poll, and reconnects with backoff
// when the server goes away. It hands the UI StatusMsg, EventsMsg and ConnMsg.
package feed

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// State is the state of the connection to the server.
type State int

// States.
const (
	Connecting State = iota // no answer yet
	Live                    // status fetched and the event stream open
	Down                    // the server cannot be reached; retrying
)

// ConnMsg reports a change of the connection's state.
type ConnMsg struct {
	State   State
	Addr    string    // the server that answered, or the last one tried
	Err     error     // why the server is down
	Since   time.Time // when it went down
	Attempt int       // failed attempts since it went down
	Retry   time.Time // when the next attempt is due
}

// StatusMsg carries a fresh status.
type StatusMsg struct {
	Status *wire.Status
	Addr   string
	At     time.Time // local time of the reply
}

// EventsMsg carries events in the order the server sent them. After a
// reconnect the server replays its latest events, so some may repeat.
type EventsMsg struct {
	Instance string // of the server that sent them
	Events   []wire.Event
}

// Options configure a Feed.
type Options struct {
	Servers  []string      // tried in order; the first that answers is followed
	HTTP     *http.Client  // must not set a Timeout: the event stream is long-lived
	Throttle time.Duration // least time between two status fetches; default 250ms, more when fetches are slow
	Poll     time.Duration // refetch this often without events; default 2s
	Timeout  time.Duration // for one status fetch; default 5s
	MaxWait  time.Duration // longest wait between reconnect attempts; default 5s
	// Clock tells the time for the throttle, the slow-fetch gap and the
	// reconnect backoff; default the system clock. Event batches are still
	// paced and Poll still ticks in real time.
	Clock clock.Clock
}

// Feed runs in its own goroutine until its context ends.
type Feed struct {
	opts Options
	ctx  context.Context
	out  chan tea.Msg
	kick chan struct{}
	addr atomic.Value // string: the server that answered last
}

// Start starts following the servers until ctx ends.
func Start(ctx context.Context, opts Options) *Feed {
	if opts.Throttle <= 0 {
		opts.Throttle = 250 * time.Millisecond
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 5 * time.Second
	}
	opts.Clock = clock.Or(opts.Clock)
	f := &Feed{opts: opts, ctx: ctx, out: make(chan tea.Msg, 64), kick: make(chan struct{}, 1)}
	go f.run()
	return f
}

// Next returns a command that waits for the feed's next message. The UI
// calls it again after each message from the feed.
func (f *Feed) Next() tea.Cmd {
	return func() tea.Msg {
		select {
		case m := <-f.out:
			return m
		case <-f.ctx.Done():
			return nil
		}
	}
}

// Addr returns the server that answered last, or the first one before any
// answered.
func (f *Feed) Addr() string {
	if a, ok := f.addr.Load().(string); ok {
		return a
	}
	if len(f.opts.Servers) > 0 {
		return f.opts.Servers[0]
	}
	return ""
}

// Refresh asks for a status fetch now, or a reconnect attempt now when the
// server is down.
func (f *Feed) Refresh() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

func (f *Feed) now() time.Time { return f.opts.Clock.Now() }

func (f *Feed) send(m tea.Msg) {
	select {
	case f.out <- m:
	case <-f.ctx.Done():
	}
}

// stableAfter is how long a connection must last to count as a live spell:
// a stream that keeps breaking at once backs off like an unreachable server.
const stableAfter = 5 * time.Second

// run connects, follows, and reconnects until the context ends.
func (f *Feed) run() {
	var down ConnMsg
	for f.ctx.Err() == nil {
		st, addr, err := f.fetchAny()
		if err == nil {
			f.addr.Store(addr)
			f.send(ConnMsg{State: Live, Addr: addr})
			since := f.now()
			f.send(StatusMsg{Status: st, Addr: addr, At: since})
			err = f.follow(addr, st.Server.Instance)
			if f.now().Sub(since) > stableAfter {
				down = ConnMsg{}
			}
		}
		if f.ctx.Err() != nil {
			return
		}
		down = f.failed(down, addr, err)
		f.waitUntil(down.Retry)
	}
}

// failed reports a failure and returns the new down state; prev is the
// state of the previous failure, or zero after a live spell. The first
// retry is at once, then they back off up to MaxWait.
func (f *Feed) failed(prev ConnMsg, addr string, err error) ConnMsg {
	now := f.now()
	m := ConnMsg{State: Down, Addr: addr, Err: err, Since: prev.Since, Attempt: prev.Attempt + 1}
	if m.Since.IsZero() {
		m.Since = now
	}
	wait := time.Duration(0)
	if m.Attempt > 1 {
		wait = min(f.opts.MaxWait, 250*time.Millisecond<<min(m.Attempt-1, 10))
	}
	m.Retry = now.Add(wait)
	f.send(m)
	return m
}

// waitUntil waits until the clock reaches due, or less when Refresh is
// called or the context ends, and says whether it was cut short. It reads
// the clock at least every Throttle rather than trusting one long timer, so
// that the feed waits on the clock it was given: a test moves a fake clock
// and sees the feed act on it, without waiting in real time.
func (f *Feed) waitUntil(due time.Time) (interrupted bool) {
	for {
		d := min(due.Sub(f.now()), f.opts.Throttle)
		if d <= 0 {
			return false
		}
		if f.wait(d) {
			return true
		}
	}
}

// wait sleeps for d, or less when Refresh is called or the context ends,
// and says whether it was cut short.
func (f *Feed) wait(d time.Duration) (interrupted bool) {
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return false
	case <-f.kick:
	case <-f.ctx.Done():
	}
	return true
}

// fetchAny fetches the status from the first server that answers.
func (f *Feed) fetchAny() (*wire.Status, string, error) {
	var firstErr error
	addr := ""
	for _, a := range f.opts.Servers {
		st, err := f.fetch(f.ctx, a)
		if err == nil {
			return st, a, nil
		}
		if firstErr == nil {
			firstErr, addr = err, a
		}
	}
	return nil, addr, firstErr
}

// fetch gets the status of addr and, from a HAL node, the other nodes' own
// view of themselves (WithNodes).
func (f *Feed) fetch(ctx context.Context, addr string) (*wire.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	st, err := licenses.FetchStatus(ctx, addr, f.opts.HTTP)
	if err == nil {
		WithNodes(ctx, st, f.opts.HTTP)
	}
	return st, err
}

// follow reads the event stream of addr, sends the events in batches and
// refetches the status after them, until the stream or a fetch fails.
func (f *Feed) follow(addr, instance string) error {
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	b := &batch{wake: make(chan struct{}, 1)}
	streamErr := make(chan error, 1)
	go func() {
		streamErr <- licenses.WatchEvents(ctx, addr, f.opts.HTTP, b.add)
	}()
	poll := time.NewTicker(f.opts.Poll)
	defer poll.Stop()
	last, gap := f.now(), f.opts.Throttle
	for {
		select {
		case err := <-streamErr:
			return err
		case <-b.wake:
			f.flush(b, instance)
			f.passEvents(last.Add(gap), b, instance)
		case <-poll.C:
			f.passEvents(last.Add(gap), b, instance)
		case <-f.kick:
		}
		start := f.now()
		st, err := f.fetch(ctx, addr)
		if err != nil {
			return err
		}
		last = f.now()
		gap = nextGap(f.opts.Throttle, last.Sub(start))
		f.send(StatusMsg{Status: st, Addr: addr, At: last})
	}
}

// fetchShare bounds the share of its time a monitor spends fetching the
// status. On a busy site a status of 100,000 checkouts takes a few tenths
// of a second to serve and more to decode, so a monitor fetches it every
// few seconds instead of again as soon as the last fetch ends.
const fetchShare = 10

// nextGap is the least time before the next status fetch, after one that
// took took.
func nextGap(throttle, took time.Duration) time.Duration {
	return max(throttle, fetchShare*took)
}

// passEvents waits until the clock reaches the next status fetch (or a
// refresh is asked for), passing events on meanwhile, at most one batch a
// Throttle.
func (f *Feed) passEvents(due time.Time, b *batch, instance string) {
	for {
		d := min(due.Sub(f.now()), f.opts.Throttle)
		if d <= 0 || f.wait(d) {
			f.flush(b, instance)
			return
		}
		f.flush(b, instance)
	}
}

func (f *Feed) flush(b *batch, instance string) {
	if evs := b.take(); len(evs) > 0 {
		f.send(EventsMsg{Instance: instance, Events: evs})
	}
}

// batch collects events from the stream's goroutine without ever blocking it.
type batch struct {
	mu     sync.Mutex
	events []wire.Event
	wake   chan struct{}
}

func (b *batch) add(ev wire.Event) {
	b.mu.Lock()
	b.events = append(b.events, ev)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *batch) take() []wire.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	evs := b.events
	b.events = nil
	return evs
}
