package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Transports of a run's HTTP client.
const (
	TransportLean    = "lean"
	TransportNetHTTP = "net/http"
)

// leanTransport is licbench's default HTTP transport: it writes each request
// and reads its reply on the caller's goroutine, over a pool of at most
// conns keep-alive connections.
//
// Why not net/http's: its Transport runs a reading and a writing goroutine
// for every connection, so each request passes between three goroutines.
// With licbench and the server on the same two cores, those hand-offs were
// most of licbench's own delay: at 5,900 pairs/s, pinned, the p99 of how late
// licbench began a pair fell from 2.1–2.3 to 0.9–1.0 ms with this transport,
// and licbench's CPU from 76 to 55 % of a core. The server sees the same
// requests either way; --transport net/http measures with Go's.
//
// It speaks only what licbench needs: plain HTTP/1.1 to http:// servers,
// bodies read whole.
type leanTransport struct {
	slots chan struct{} // one per connection in use
	dial  func(ctx context.Context, network, addr string) (net.Conn, error)

	mu   sync.Mutex
	idle map[string][]*leanConn // by host:port, most recent last
}

type leanConn struct {
	nc  net.Conn
	br  *bufio.Reader
	out []byte // the request being written
}

func newLeanTransport(conns int) *leanTransport {
	return &leanTransport{
		slots: make(chan struct{}, conns),
		dial:  (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		idle:  map[string][]*leanConn{},
	}
}

// RoundTrip sends req and returns its reply with the body read whole. A
// request that fails on a connection reused from the pool (the server may
// have closed it meanwhile) is sent once more on a new one: every floatlic
// request may be repeated.
func (t *leanTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return nil, fmt.Errorf("licbench's lean transport speaks plain http, not %s: use --transport net/http", req.URL.Scheme)
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		body = b
	}
	ctx := req.Context()
	select {
	case t.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.slots }()
	lc, reused := t.get(req.URL.Host)
	resp, err := t.exchange(ctx, lc, req, body)
	if err != nil && reused && ctx.Err() == nil {
		lc, reused = nil, false
		resp, err = t.exchange(ctx, lc, req, body)
	}
	return resp, err
}

// exchange sends req on lc, or on a new connection when lc is nil, and
// reads the reply. The connection goes back to the pool after a reply that
// does not close it; on any error it is closed.
func (t *leanTransport) exchange(ctx context.Context, lc *leanConn, req *http.Request, body []byte) (*http.Response, error) {
	if lc == nil {
		nc, err := t.dial(ctx, "tcp", req.URL.Host)
		if err != nil {
			return nil, err
		}
		nc = stamped(nc)
		lc = &leanConn{nc: nc, br: bufio.NewReaderSize(nc, 4096)}
	}
	deadline, _ := ctx.Deadline()
	lc.nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { lc.nc.SetDeadline(time.Now()) }) // cancellation
	defer stop()
	sc, _ := lc.nc.(arrivalReader)
	if sc != nil {
		sc.arm()
	}
	resp, err := lc.roundTrip(req, body)
	if at := arrivalSlot(ctx); at != nil && sc != nil && err == nil {
		*at = sc.arrival()
	}
	if err != nil {
		lc.nc.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, err
	}
	if resp.Close {
		lc.nc.Close()
	} else {
		t.put(req.URL.Host, lc)
	}
	return resp, nil
}

// roundTrip writes req with body and reads the reply whole.
func (lc *leanConn) roundTrip(req *http.Request, body []byte) (*http.Response, error) {
	b := append(lc.out[:0], req.Method...)
	b = append(b, ' ')
	b = append(b, req.URL.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, req.URL.Host...)
	b = append(b, "\r\n"...)
	for k, vs := range req.Header {
		for _, v := range vs {
			b = append(append(append(append(b, k...), ": "...), v...), "\r\n"...)
		}
	}
	if body != nil || req.Method == http.MethodPost {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(append(b, "\r\n"...), body...)
	lc.out = b
	if _, err := lc.nc.Write(b); err != nil {
		return nil, fmt.Errorf("write request: %w", err)
	}
	resp, err := http.ReadResponse(lc.br, req)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the server closed the connection: say so as net/http does
		}
		return nil, fmt.Errorf("read reply: %w", err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read reply body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}

// get takes the most recently used idle connection to host, if any.
func (t *leanTransport) get(host string) (*leanConn, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.idle[host]
	if len(l) == 0 {
		return nil, false
	}
	lc := l[len(l)-1]
	t.idle[host] = l[:len(l)-1]
	return lc, true
}

func (t *leanTransport) put(host string, lc *leanConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.idle[host] = append(t.idle[host], lc)
}

// CloseIdleConnections closes the pooled connections, as http.Client's
// method of that name expects.
func (t *leanTransport) CloseIdleConnections() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for host, l := range t.idle {
		for _, lc := range l {
			lc.nc.Close()
		}
		delete(t.idle, host)
	}
}
