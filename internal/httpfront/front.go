// Package httpfront serves the few requests that make up nearly all of a
// busy server's traffic itself, and hands every other connection to a
// net/http server.
//
// A checkout on net/http pays for more than its handler: a header map, a
// context, a goroutine that watches the connection while the handler runs,
// two deadline updates and a buffered response, about a third of licd's
// CPU at saturation. The front reads a request's head in place, and when it
// is a plain HTTP/1.1 POST to one of its routes (Content-Length, nothing it
// would have to interpret) it calls the route's handler on the body and
// writes the reply in one write. A request with Connection: close is served
// so too, and the connection closed after its reply, as net/http does.
//
// Anything else — another path or method, HTTP/1.0, chunked bodies,
// Expect, a missing Host, a head it cannot read — hands the
// connection, with every byte not yet consumed, to net/http for the rest of
// its life. So net/http still decides every request the front does not
// understand, and words every refusal.
package httpfront

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A Handler answers a request from its body: it appends the reply's body to
// dst and returns it with the HTTP status, 200 or above and neither 204 nor
// 304 (the reply always has a body). The body is valid only during the call.
type Handler func(dst, body []byte) (status int, reply []byte)

// Server is an HTTP/1.1 front for Routes, with Fallback behind it.
type Server struct {
	// Routes maps "POST /path" to its handler.
	Routes map[string]Handler
	// Header holds the lines every reply carries besides Date and
	// Content-Length, each ending in "\r\n", e.g. "Content-Type: application/json\r\n".
	Header string
	// Fallback serves the connections the front hands over. Its timeouts
	// are the front's too: ReadHeaderTimeout, ReadTimeout, WriteTimeout,
	// IdleTimeout and ErrorLog.
	Fallback *http.Server
	// MaxBody is the largest body the front reads itself; a larger one is
	// handed to Fallback with its connection.
	MaxBody int

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*conn]struct{}
	wg       sync.WaitGroup
	closing  atomic.Bool
	handoffs *handoffListener
}

// headBuffer is the read buffer: the largest head the front reads itself.
const headBuffer = 4096

// deadlineSlack is how stale a connection's deadline may get before it is
// set again, at most: a quarter of the timeout for short ones. Setting a
// deadline takes two locks and a timer update; one a second early costs
// nothing.
const deadlineSlack = time.Second

// Serve accepts connections on ln until Shutdown or Close, and returns
// http.ErrServerClosed then.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.ln = ln
	s.conns = map[*conn]struct{}{}
	s.handoffs = newHandoffListener(ln.Addr())
	s.mu.Unlock()
	// Fallback's Serve ends when the front closes handoffs; its connections
	// end at Fallback's Shutdown or Close.
	go s.Fallback.Serve(s.handoffs)

	var delay time.Duration // on temporary accept errors, as net/http does
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Temporary() { // out of file descriptors, say
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("httpfront: accept error: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := &conn{s: s, nc: nc, br: bufio.NewReaderSize(nc, headBuffer)}
		if !s.track(c) {
			nc.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

// track adds c to the live connections, unless the server is closing.
func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// Shutdown stops accepting, lets each connection finish the request it is
// serving (its reply says Connection: close) and closes idle ones, and
// shuts Fallback down alongside. If ctx ends first, the remaining
// connections are closed and ctx's error returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	fallback := make(chan error, 1)
	go func() { fallback <- s.Fallback.Shutdown(ctx) }()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		s.closeConns()
		err = ctx.Err()
	}
	if ferr := <-fallback; err == nil {
		err = ferr
	}
	return err
}

// Close closes the listener, every connection and Fallback at once.
func (s *Server) Close() error {
	s.stop()
	s.closeConns()
	return s.Fallback.Close()
}

// stop refuses new connections and wakes the idle ones, which then see
// closing and hang up. A connection idles only while it waits, with
// nothing buffered, for its next request: one reading a request, serving
// it or being handed off is left to finish.
func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Swap(true) {
		return
	}
	if s.ln != nil {
		s.ln.Close()
		s.handoffs.Close()
	}
	now := time.Now()
	for c := range s.conns {
		if c.idle.Load() {
			c.nc.SetReadDeadline(now)
		}
	}
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.Fallback.ErrorLog != nil {
		s.Fallback.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// conn is one client connection while the front serves it.
type conn struct {
	s         *Server
	nc        net.Conn
	br        *bufio.Reader
	idle      atomic.Bool // waiting for a request, nothing of it read
	out       []byte      // the reply being written
	reply     []byte      // the reply's body, from the handler
	readDL    time.Time
	writeDL   time.Time
	tightRead bool // the read deadline is a head or body timeout, not the idle one
}

// serve runs c's requests until it closes or is handed over.
func (c *conn) serve() {
	handedOff := false
	defer func() {
		if r := recover(); r != nil {
			c.s.logf("httpfront: panic serving %v: %v\n%s", c.nc.RemoteAddr(), r, debug.Stack())
		}
		if !handedOff {
			c.nc.Close()
		}
		c.s.untrack(c)
	}()
	for {
		// In this order, against stop's: either stop sees c idle and wakes
		// it, or c sees closing.
		c.idleDeadline(time.Now())
		c.idle.Store(c.br.Buffered() == 0)
		if c.s.closing.Load() {
			return
		}
		head, err := c.readHead()
		c.idle.Store(false)
		if err != nil {
			if errors.Is(err, errHandOff) {
				handedOff = c.handOff()
			}
			return
		}
		req, ok := parseHead(head)
		h := c.s.Routes[string(req.route)]
		if !ok || h == nil || req.contentLength > c.s.MaxBody || c.s.headTooBig(len(head)) {
			handedOff = c.handOff()
			return
		}
		c.br.Discard(len(head))
		body, inPlace, err := c.readBody(req.contentLength)
		if err != nil {
			return
		}
		status, reply := h(c.reply[:0], body)
		c.reply = reply
		if inPlace {
			c.br.Discard(len(body))
		}
		if err := c.writeReply(status, reply, req.close); err != nil || req.close {
			return
		}
	}
}

var errHandOff = errors.New("hand off")

// readHead returns the next request's head, through its blank line, still
// in c's read buffer. A head longer than the buffer is to be handed off.
func (c *conn) readHead() ([]byte, error) {
	for {
		n := c.br.Buffered()
		buf, _ := c.br.Peek(n)
		if i := indexHeadEnd(buf); i >= 0 {
			return buf[:i], nil
		}
		if n == c.br.Size() {
			return nil, errHandOff
		}
		if n > 0 && !c.tightRead {
			// A head in pieces: the rest must come within the header timeout.
			c.setReadDeadline(deadline(time.Now(), c.s.headerTimeout()), true)
		}
		if _, err := c.br.Peek(n + 1); err != nil {
			return nil, err
		}
		c.idle.Store(false)
	}
}

// readBody returns the body of n bytes: in place when it fits in the read
// buffer (inPlace: it is still to be discarded), else read into a buffer
// of its own.
func (c *conn) readBody(n int) (body []byte, inPlace bool, err error) {
	if n > c.br.Buffered() {
		c.setReadDeadline(deadline(time.Now(), c.s.Fallback.ReadTimeout), true)
	}
	if n <= c.br.Size() {
		body, err = c.br.Peek(n)
		return body, true, err
	}
	body = make([]byte, n) // rare: not worth keeping for the connection's life
	_, err = io.ReadFull(c.br, body)
	return body, false, err
}

// writeReply writes the status line, the headers and reply in one write;
// last says the connection closes after it.
func (c *conn) writeReply(status int, reply []byte, last bool) error {
	now := time.Now()
	b := append(c.out[:0], "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	b = append(b, c.s.Header...)
	b = append(b, "Date: "...)
	b = appendDate(b, now)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(reply)), 10)
	if last || c.s.closing.Load() {
		b = append(b, "\r\nConnection: close"...)
	}
	b = append(b, "\r\n\r\n"...)
	b = append(b, reply...)
	c.out = b
	d := c.s.Fallback.WriteTimeout
	if want := deadline(now, d); stale(c.writeDL, want, d) {
		c.writeDL = want
		c.nc.SetWriteDeadline(want)
	}
	_, err := c.nc.Write(b)
	return err
}

// idleDeadline gives the wait for the next request the idle timeout,
// setting the connection's deadline only when it is stale by more than
// deadlineSlack.
func (c *conn) idleDeadline(now time.Time) {
	d := c.s.idleTimeout()
	if want := deadline(now, d); c.tightRead || stale(c.readDL, want, d) {
		c.setReadDeadline(want, false)
	}
}

// deadline is now plus d, or no deadline (the zero time) when d is not
// positive.
func deadline(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(d)
}

// stale reports whether a deadline set to have should be moved to want, a
// timeout of d from now.
func stale(have, want time.Time, d time.Duration) bool {
	if have.IsZero() || want.IsZero() {
		return !have.Equal(want)
	}
	return want.Sub(have) > min(deadlineSlack, d/4)
}

// headTooBig reports whether a head of n bytes is over Fallback's limit,
// for net/http to refuse.
func (s *Server) headTooBig(n int) bool {
	return s.Fallback.MaxHeaderBytes > 0 && n > s.Fallback.MaxHeaderBytes
}

// headerTimeout and idleTimeout default as net/http's do, to ReadTimeout.
func (s *Server) headerTimeout() time.Duration {
	if d := s.Fallback.ReadHeaderTimeout; d > 0 {
		return d
	}
	return s.Fallback.ReadTimeout
}

func (s *Server) idleTimeout() time.Duration {
	if d := s.Fallback.IdleTimeout; d > 0 {
		return d
	}
	return s.Fallback.ReadTimeout
}

func (c *conn) setReadDeadline(t time.Time, tight bool) {
	c.readDL, c.tightRead = t, tight
	c.nc.SetReadDeadline(t)
}

// handOff gives the connection, and what the front has buffered of it, to
// Fallback. It reports whether Fallback took it.
func (c *conn) handOff() bool {
	c.nc.SetDeadline(time.Time{}) // net/http sets its own
	return c.s.handoffs.give(&replayConn{Conn: c.nc, r: c.br})
}

// replayConn reads first what the front had buffered, then the connection.
type replayConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// handoffListener is the listener Fallback serves: its connections are the
// ones the front hands over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// give hands c to Fallback's accept loop, or reports false if it is closed.
func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// dateCache holds the Date header's value for the current second.
var dateCache atomic.Pointer[cachedDate]

type cachedDate struct {
	unix int64
	text []byte
}

// appendDate appends now in HTTP's date format, formatted once a second.
func appendDate(b []byte, now time.Time) []byte {
	sec := now.Unix()
	d := dateCache.Load()
	if d == nil || d.unix != sec {
		d = &cachedDate{unix: sec, text: now.UTC().AppendFormat(nil, http.TimeFormat)}
		dateCache.Store(d)
	}
	return append(b, d.text...)
}
