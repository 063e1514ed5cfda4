package licenses_test

import (
	"io"
	"net"
	"sync"
	"testing"
)

// proxyMode is what a cutProxy does with traffic.
type proxyMode int

const (
	proxyPass   proxyMode = iota // forward both ways
	proxyReset                   // reset every connection, old and new
	proxySilent                  // accept and swallow bytes, never answer (a pulled cable)
)

// cutProxy is a TCP proxy in front of a license server that a test can cut:
// reset connections, go silent, or lose the next replies.
type cutProxy struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu       sync.Mutex
	mode     proxyMode
	drop     int // replies still to lose
	accepted int // connections accepted
	pairs    map[*proxyPair]struct{}
}

type proxyPair struct {
	client, upstream net.Conn
	silent           bool // guarded by cutProxy.mu
}

func startProxy(t testing.TB, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, ln: ln, target: target, pairs: map[*proxyPair]struct{}{}}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *cutProxy) Addr() string { return p.ln.Addr().String() }

// Accepted returns how many connections the proxy has accepted.
func (p *cutProxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// SetMode switches the proxy. Reset cuts every open connection at once;
// silent makes every open connection swallow what the client sends.
func (p *cutProxy) SetMode(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for pr := range p.pairs {
		switch m {
		case proxyReset:
			resetConn(pr.client)
			pr.upstream.Close()
		case proxySilent:
			pr.silent = true
			pr.upstream.Close()
		}
	}
}

// DropReplies makes the proxy lose the next n replies: the request reaches
// the server, and the client's connection is reset instead of answered.
func (p *cutProxy) DropReplies(n int) {
	p.mu.Lock()
	p.drop = n
	p.mu.Unlock()
}

func (p *cutProxy) close() {
	p.ln.Close()
	p.SetMode(proxyReset)
}

func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		mode := p.mode
		p.mu.Unlock()
		switch mode {
		case proxyReset:
			resetConn(c)
		case proxySilent:
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		default:
			go p.pass(c)
		}
	}
}

func (p *cutProxy) pass(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		resetConn(c)
		return
	}
	pr := &proxyPair{client: c, upstream: up}
	p.mu.Lock()
	p.pairs[pr] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pairs, pr)
		p.mu.Unlock()
		c.Close()
		up.Close()
	}()
	go p.replies(pr)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			p.mu.Lock()
			silent := pr.silent
			p.mu.Unlock()
			if !silent {
				if _, werr := up.Write(buf[:n]); werr != nil && !silentNow(p, pr) {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func silentNow(p *cutProxy, pr *proxyPair) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return pr.silent
}

// replies copies the server's bytes back, unless they are to be lost.
func (p *cutProxy) replies(pr *proxyPair) {
	buf := make([]byte, 32<<10)
	for {
		n, err := pr.upstream.Read(buf)
		if n > 0 {
			p.mu.Lock()
			drop := p.drop > 0 && !pr.silent
			if drop {
				p.drop--
			}
			silent := pr.silent
			p.mu.Unlock()
			if drop {
				resetConn(pr.client)
				return
			}
			if !silent {
				if _, werr := pr.client.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if !silentNow(p, pr) {
				pr.client.Close() // the server closed: pass that on
			}
			return
		}
	}
}
