// Package faultnet is a TCP proxy that tests put between two processes to
// break the network between them on purpose: cut it with resets, make it a
// blackhole that swallows traffic until the peers time out, slow it down,
// and heal it again. The HAL end-to-end tests put one proxy on every raft
// link (node i dials node j through its own proxy i→j), so that a test can
// isolate any node, or cut a single direction.
//
// A Proxy forwards each accepted connection to its target over a new
// connection. Its mode says what happens to traffic:
//
//   - Pass forwards both ways (after the proxy's delay, if any).
//   - Reset (Cut) closes every open connection with a TCP reset and resets
//     every new one at once: the peers see "connection reset" or "refused"
//     at once, as when a process dies or a firewall rejects.
//   - Blackhole forwards nothing and closes nothing: bytes already read are
//     held, new connections are accepted and held without dialing the
//     target, so the peers wait for their own timeouts, as when a cable is
//     pulled. Nothing is lost: after Heal the held bytes and connections go
//     on as TCP would after a short outage (unless a peer gave up and closed
//     its end meanwhile).
//
// Mode changes take effect at once on every connection, open or new, and
// are safe from any goroutine. Close stops the proxy and closes everything.
package faultnet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Mode is what a Proxy does with traffic.
type Mode int

// Modes of a Proxy.
const (
	Pass      Mode = iota // forward both ways
	Reset                 // reset open and new connections
	Blackhole             // hold everything, forward nothing, close nothing
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Reset:
		return "reset"
	case Blackhole:
		return "blackhole"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// dialTimeout bounds the dial to the target, so a dead target resets the
// client's connection instead of leaving it waiting.
const dialTimeout = 5 * time.Second

// Proxy is a TCP proxy to one target address.
type Proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup // the accept loop and every connection's goroutines

	mu       sync.Mutex
	mode     Mode
	delay    time.Duration
	closed   bool
	changed  chan struct{} // closed and replaced on every change of mode, delay or closed
	conns    map[net.Conn]struct{}
	accepted int
}

// Listen starts a proxy listening on addr (e.g. "127.0.0.1:0") that
// forwards every connection to target. It starts in Pass mode.
func Listen(addr, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("faultnet: listen on %s: %w", addr, err)
	}
	p := &Proxy{ln: ln, target: target, changed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the address the proxy listens on: what the client dials
// instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target returns the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Cut resets every open connection and every new one until Heal.
func (p *Proxy) Cut() { p.SetMode(Reset) }

// Blackhole holds every open and new connection, forwarding nothing, until
// Heal.
func (p *Proxy) Blackhole() { p.SetMode(Blackhole) }

// Heal forwards traffic again, including what a blackhole held.
func (p *Proxy) Heal() { p.SetMode(Pass) }

// SetMode switches the proxy to m.
func (p *Proxy) SetMode(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.mode = m
	if m == Reset {
		p.resetAllLocked()
	}
	p.notifyLocked()
}

// Mode returns the proxy's mode.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// SetDelay makes the proxy hold every chunk of bytes for d before it
// forwards it, in both directions; 0 forwards at once.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
	p.notifyLocked()
}

// Accepted returns how many connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Open returns how many connections, on either side, are open.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Close stops listening, closes every connection and waits for the proxy's
// goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.ln.Close()
	p.resetAllLocked()
	p.notifyLocked()
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Proxy) resetAllLocked() {
	for c := range p.conns {
		reset(c)
	}
	clear(p.conns)
}

// reset closes c with a TCP reset rather than an orderly close, as a dead
// host's kernel or a rejecting firewall would.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// state returns the mode, the delay and a channel closed at the next
// change; closed proxies report Reset.
func (p *Proxy) state() (Mode, time.Duration, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return Reset, 0, p.changed
	}
	return p.mode, p.delay, p.changed
}

// track records an open connection; it refuses (and resets) c when the
// proxy is closed or cut meanwhile.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.mode == Reset {
		reset(c)
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a failed accept (e.g. too many files) ends no proxy
		}
		p.mu.Lock()
		p.accepted++
		p.mu.Unlock()
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve waits while the proxy is a blackhole, then dials the target and
// forwards both ways until either side closes.
func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	defer p.untrack(c)
	if !p.waitPass() {
		return
	}
	up, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		reset(c)
		return
	}
	if !p.track(up) {
		return
	}
	defer p.untrack(up)
	var pipes sync.WaitGroup
	pipes.Add(2)
	go p.pipe(up, c, &pipes)
	go p.pipe(c, up, &pipes)
	pipes.Wait()
}

// waitPass blocks while the proxy is a blackhole, and reports whether
// traffic may pass (false once it is cut or closed).
func (p *Proxy) waitPass() bool {
	for {
		mode, _, changed := p.state()
		switch mode {
		case Pass:
			return true
		case Reset:
			return false
		}
		<-changed
	}
}

// pipe copies src to dst, chunk by chunk, holding each chunk while the
// proxy is a blackhole and for the proxy's delay. At src's EOF it passes the
// half close on (a request-then-EOF peer still gets its reply); on any
// other end it closes both connections, as a broken path would.
func (p *Proxy) pipe(dst, src net.Conn, wg *sync.WaitGroup) {
	defer wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitPass() || !p.hold() {
				break
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if errors.Is(err, io.EOF) {
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
				return
			}
		}
		if err != nil {
			break
		}
	}
	_ = src.Close()
	_ = dst.Close()
}

// hold waits out the proxy's delay; it reports false when the proxy was
// cut or closed meanwhile.
func (p *Proxy) hold() bool {
	_, d, changed := p.state()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return p.waitPass()
		case <-changed:
			mode, _, ch := p.state()
			if mode == Reset {
				return false
			}
			changed = ch
		}
	}
}
