package httpfront

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ioTimeout bounds every read, write and wait of a test: a broken server
// fails the test instead of hanging it.
const ioTimeout = 5 * time.Second

// maxBody is the test servers' MaxBody: twice the read buffer, so that a
// body can be larger than the buffer and still be the front's.
const maxBody = 2 * headBuffer

type testServer struct {
	*Server
	addr     string
	accepted *atomic.Int32 // connections accepted
	serveErr chan error    // Serve's result
	log      *syncBuffer   // Fallback.ErrorLog's output, the front's too
}

// startServer serves a Server on a fresh 127.0.0.1 port, with the routes
// "POST /echo" (200, "echo:" and the body) and "POST /conflict" (409), and
// a Fallback that echoes method, path and body with X-Served-By: net/http.
// configure, if not nil, adjusts the server before it starts.
func startServer(t *testing.T, configure func(*Server)) *testServer {
	t.Helper()
	logBuf := new(syncBuffer)
	s := &Server{
		Routes: map[string]Handler{
			"POST /echo": func(dst, body []byte) (int, []byte) {
				return http.StatusOK, append(append(dst, "echo:"...), body...)
			},
			"POST /conflict": func(dst, body []byte) (int, []byte) {
				return http.StatusConflict, append(dst, `{"error":"conflict"}`...)
			},
		},
		Header: "Content-Type: application/json\r\nX-Test: front\r\n",
		Fallback: &http.Server{
			Handler:           http.HandlerFunc(fallbackEcho),
			ReadHeaderTimeout: ioTimeout,
			ReadTimeout:       ioTimeout,
			WriteTimeout:      ioTimeout,
			IdleTimeout:       ioTimeout,
			ErrorLog:          log.New(logBuf, "", 0),
		},
		MaxBody: maxBody,
	}
	ts := &testServer{Server: s, serveErr: make(chan error, 1), log: logBuf}
	// Registered before configure runs, so that cleanups configure
	// registers (releasing blocked handlers) run before this one.
	served := false
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if !served {
			return
		}
		if err := ts.wait(); err != http.ErrServerClosed {
			t.Errorf("Serve returned %v, want %v", err, http.ErrServerClosed)
		}
	})
	if configure != nil {
		configure(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	ts.addr, ts.accepted = ln.Addr().String(), &cl.n
	served = true
	go func() { ts.serveErr <- s.Serve(cl) }()
	return ts
}

// wait returns Serve's result, waiting for it at most ioTimeout. It may be
// called more than once.
func (ts *testServer) wait() error {
	select {
	case err := <-ts.serveErr:
		ts.serveErr <- err // for the next caller
		return err
	case <-time.After(ioTimeout):
		return errors.New("Serve did not return")
	}
}

// fallbackEcho is the Fallback's handler: the X-Served-By header tells its
// replies from the front's.
func fallbackEcho(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("X-Served-By", "net/http")
	fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, body)
}

type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// syncBuffer is a bytes.Buffer the server's goroutines may log to while a
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rawConn is a client connection that writes requests by hand and reads
// replies with net/http's parser.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(ioTimeout))
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

func (c *rawConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// reply reads the next final reply and its body; interim 1xx replies (100
// Continue) are skipped.
func (c *rawConn) reply(t *testing.T) (*http.Response, string) {
	t.Helper()
	for {
		resp, err := http.ReadResponse(c.br, nil)
		if err != nil {
			t.Fatalf("reading reply: %v", err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading reply body: %v", err)
		}
		if resp.StatusCode >= 200 {
			return resp, string(body)
		}
	}
}

// roundTrip sends req and returns its reply.
func (c *rawConn) roundTrip(t *testing.T, req string) (*http.Response, string) {
	t.Helper()
	c.send(t, req)
	return c.reply(t)
}

// expectClosed checks that the server closes c within d, reading and
// discarding anything it still sends.
func (c *rawConn) expectClosed(t *testing.T, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	n, err := io.Copy(io.Discard, c.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v (%d bytes read)", d, n)
	}
	// EOF (err == nil) or a reset: either way the server hung up.
}

// post is a raw request the front serves itself, when path is its route.
func post(path, body string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// servedBy tells who wrote a reply: "front", "net/http" (the Fallback's
// handler) or "" (net/http on its own, such as a 400 for a bad request).
func servedBy(resp *http.Response) string {
	front := resp.Header.Get("X-Test") == "front"
	fallback := resp.Header.Get("X-Served-By") == "net/http"
	switch {
	case front && !fallback:
		return "front"
	case fallback && !front:
		return "net/http"
	case !front && !fallback:
		return ""
	}
	return "both?"
}

// checkReply checks a reply's server, status and body.
func checkReply(t *testing.T, resp *http.Response, body, wantBy string, wantStatus int, wantBody string) {
	t.Helper()
	if by := servedBy(resp); by != wantBy || resp.StatusCode != wantStatus || body != wantBody {
		t.Errorf("reply from %q: %d %q; want from %q: %d %q", by, resp.StatusCode, body, wantBy, wantStatus, wantBody)
	}
}

func TestClientKeepAlive(t *testing.T) {
	ts := startServer(t, nil)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: ioTimeout}

	const requests = 50
	for i := range requests {
		path, body, wantStatus, wantBody := "/echo", fmt.Sprintf(`{"n":%d}`, i), http.StatusOK, fmt.Sprintf(`echo:{"n":%d}`, i)
		if i%10 == 9 {
			path, wantStatus, wantBody = "/conflict", http.StatusConflict, `{"error":"conflict"}`
		}
		reused := false
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused }}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
			"POST", "http://"+ts.addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("request %d: reading body: %v", i, err)
		}
		checkReply(t, resp, string(got), "front", wantStatus, wantBody)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("request %d: Content-Type %q", i, ct)
		}
		if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(wantBody)) || resp.ContentLength != int64(len(wantBody)) {
			t.Errorf("request %d: Content-Length %q (%d), want %d", i, cl, resp.ContentLength, len(wantBody))
		}
		// Date is cached per second: allow for the second it was made in.
		if d, err := http.ParseTime(resp.Header.Get("Date")); err != nil || d.Before(start.Truncate(time.Second)) || d.After(time.Now()) {
			t.Errorf("request %d: Date %q (%v), want the time of the request %v", i, resp.Header.Get("Date"), err, start)
		}
		if resp.Close || resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
			t.Errorf("request %d: reply %s, Close=%v; want HTTP/1.1 keep-alive", i, resp.Proto, resp.Close)
		}
		if i > 0 && !reused {
			t.Errorf("request %d: the client did not reuse its connection", i)
		}
	}
	if n := ts.accepted.Load(); n != 1 {
		t.Errorf("server accepted %d connections for %d requests, want 1", n, requests)
	}
}

func TestPipelined(t *testing.T) {
	ts := startServer(t, nil)
	c := dial(t, ts.addr)
	// Requests of every length up to past a buffer's worth, so that heads
	// and bodies straddle the read buffer's end.
	var reqs strings.Builder
	var bodies []string
	for i := range 60 {
		body := strings.Repeat(strconv.Itoa(i%10), i*7)
		bodies = append(bodies, body)
		path := "/echo"
		if i%5 == 4 {
			path = "/conflict"
		}
		reqs.WriteString(post(path, body))
	}
	if reqs.Len() < 2*headBuffer {
		t.Fatalf("only %d bytes of requests; want them to fill the buffer twice", reqs.Len())
	}
	c.send(t, reqs.String())
	for i, body := range bodies {
		resp, got := c.reply(t)
		if i%5 == 4 {
			checkReply(t, resp, got, "front", http.StatusConflict, `{"error":"conflict"}`)
		} else {
			checkReply(t, resp, got, "front", http.StatusOK, "echo:"+body)
		}
	}
}

// A request with Connection: close is the front's to serve; its reply
// says so, and the connection ends there, pipelined bytes and all.
func TestConnectionClose(t *testing.T) {
	ts := startServer(t, nil)
	c := dial(t, ts.addr)
	last := "POST /echo HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"
	c.send(t, post("/echo", "first")+last+post("/echo", "never"))
	resp, body := c.reply(t)
	checkReply(t, resp, body, "front", http.StatusOK, "echo:first")
	resp, body = c.reply(t)
	checkReply(t, resp, body, "front", http.StatusOK, "echo:abc")
	if !resp.Close {
		t.Error("the reply to Connection: close does not say Connection: close")
	}
	c.expectClosed(t, 2*time.Second)
}

func TestSplitWrites(t *testing.T) {
	ts := startServer(t, nil)
	for _, size := range []int{1, 2, 3, 7, 50} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			c := dial(t, ts.addr)
			// Two requests, so that the second starts with what follows
			// the first in the buffer.
			for _, body := range []string{"split body", "second"} {
				req := post("/echo", body)
				for len(req) > 0 {
					n := min(size, len(req))
					c.send(t, req[:n])
					req = req[n:]
					time.Sleep(time.Millisecond) // let each piece arrive on its own
				}
				resp, got := c.reply(t)
				checkReply(t, resp, got, "front", http.StatusOK, "echo:"+body)
			}
		})
	}
}

func TestBodySizes(t *testing.T) {
	ts := startServer(t, nil)
	tests := []struct {
		size   int
		wantBy string
	}{
		{0, "front"},
		{1, "front"},
		{headBuffer - 100, "front"}, // fits in the buffer, but not with its head
		{headBuffer, "front"},
		{headBuffer + 1, "front"},
		{maxBody, "front"},
		{maxBody + 1, "net/http"},
		{3 * maxBody, "net/http"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.size), func(t *testing.T) {
			c := dial(t, ts.addr)
			body := strings.Repeat("b", tt.size)
			// The small request pipelined after the body checks that the
			// body was read to its end, no further.
			c.send(t, post("/echo", body)+post("/echo", "next"))
			resp, got := c.reply(t)
			next, nextBody := c.reply(t)
			if tt.wantBy == "front" {
				checkReply(t, resp, got, "front", http.StatusOK, "echo:"+body)
				checkReply(t, next, nextBody, "front", http.StatusOK, "echo:next")
			} else {
				checkReply(t, resp, got, "net/http", http.StatusOK, "POST /echo "+body)
				checkReply(t, next, nextBody, "net/http", http.StatusOK, "POST /echo next")
			}
		})
	}
}

func TestHandOff(t *testing.T) {
	ts := startServer(t, nil)
	tests := []struct {
		name       string
		req        string
		wantBy     string // "" for a reply net/http makes without the handler
		wantStatus int
		wantBody   string // the body's start
		closes     bool   // the server hangs up after the reply
	}{
		{"GET", "GET /echo HTTP/1.1\r\nHost: test\r\n\r\n",
			"net/http", 200, "GET /echo ", false},
		{"other path", post("/other", "abc"),
			"net/http", 200, "POST /other abc", false},
		{"HTTP/1.0", "POST /echo HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
			"net/http", 200, "POST /echo abc", true},
		{"chunked", "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
			"net/http", 200, "POST /echo abcde", false},
		{"Expect", "POST /echo HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
			"net/http", 200, "POST /echo abc", false},
		{"Upgrade", "POST /echo HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nabc",
			"net/http", 200, "POST /echo abc", false},
		{"duplicate Content-Length", "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
			"net/http", 200, "POST /echo abc", false},
		{"Host with %", "POST /echo HTTP/1.1\r\nHost: a%41\r\nContent-Length: 3\r\n\r\nabc",
			"net/http", 200, "POST /echo abc", false},
		{"bare LF", "POST /echo HTTP/1.1\nHost: test\nContent-Length: 3\n\nabc",
			"net/http", 200, "POST /echo abc", false},
		{"head bigger than the buffer", "POST /echo HTTP/1.1\r\nHost: test\r\nX-Pad: " + strings.Repeat("p", headBuffer) + "\r\nContent-Length: 3\r\n\r\nabc",
			"net/http", 200, "POST /echo abc", false},
		{"missing Host", "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
			"", 400, "400 Bad Request", true},
		{"two Hosts", "POST /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 3\r\n\r\nabc",
			"", 400, "400 Bad Request", true},
		{"garbage", "hello\r\n\r\n",
			"", 400, "400 Bad Request", true},
		{"garbage bigger than the buffer", strings.Repeat("g", 2*headBuffer) + "\r\n\r\n",
			"", 400, "400 Bad Request", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			// Start with a request the front serves, so that the hand-off
			// comes mid-connection, and pipeline one after the hand-off:
			// it must reach net/http, which keeps the connection. (Not
			// when net/http hangs up: bytes it leaves unread could turn
			// its close into a reset that loses the reply.)
			reqs := post("/echo", "first") + tt.req
			if !tt.closes {
				reqs += post("/echo", "after")
			}
			c.send(t, reqs)
			resp, body := c.reply(t)
			checkReply(t, resp, body, "front", http.StatusOK, "echo:first")

			resp, body = c.reply(t)
			if by := servedBy(resp); by != tt.wantBy || resp.StatusCode != tt.wantStatus || !strings.HasPrefix(body, tt.wantBody) {
				t.Errorf("reply from %q: %d %q; want from %q: %d %q...", by, resp.StatusCode, body, tt.wantBy, tt.wantStatus, tt.wantBody)
			}
			if tt.closes {
				c.expectClosed(t, ioTimeout)
				return
			}
			resp, body = c.reply(t)
			checkReply(t, resp, body, "net/http", http.StatusOK, "POST /echo after")
			// And one sent on its own, later.
			resp, body = c.roundTrip(t, post("/echo", "later"))
			checkReply(t, resp, body, "net/http", http.StatusOK, "POST /echo later")
		})
	}
}

// TestHandOffFirst hands off connections on their very first bytes.
func TestHandOffFirst(t *testing.T) {
	ts := startServer(t, nil)
	tests := []struct {
		name       string
		req        string
		wantBy     string
		wantStatus int
		wantBody   string // the body's start
		closes     bool
	}{
		{"GET", "GET /x HTTP/1.1\r\nHost: test\r\n\r\n", "net/http", 200, "GET /x ", false},
		{"garbage", "hello\r\n\r\n", "", 400, "400 Bad Request", true},
		{"NULs bigger than the buffer", strings.Repeat("\x00", 2*headBuffer) + "\r\n\r\n", "", 400, "400 Bad Request", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			resp, body := c.roundTrip(t, tt.req)
			if by := servedBy(resp); by != tt.wantBy || resp.StatusCode != tt.wantStatus || !strings.HasPrefix(body, tt.wantBody) {
				t.Errorf("reply from %q: %d %q; want from %q: %d %q...", by, resp.StatusCode, body, tt.wantBy, tt.wantStatus, tt.wantBody)
			}
			if tt.closes {
				c.expectClosed(t, ioTimeout)
				return
			}
			resp, body = c.roundTrip(t, post("/echo", "b"))
			checkReply(t, resp, body, "net/http", http.StatusOK, "POST /echo b")
		})
	}
}

func TestTimeouts(t *testing.T) {
	const short = 200 * time.Millisecond
	tests := []struct {
		name      string
		configure func(*http.Server)
		start     func(t *testing.T, c *rawConn) // what the client does before it falls silent
	}{
		{"idle new connection", func(s *http.Server) { s.IdleTimeout = short },
			func(t *testing.T, c *rawConn) {}},
		{"idle after a request", func(s *http.Server) { s.IdleTimeout = short },
			func(t *testing.T, c *rawConn) {
				resp, body := c.roundTrip(t, post("/echo", "a"))
				checkReply(t, resp, body, "front", http.StatusOK, "echo:a")
			}},
		{"idle after a hand-off", func(s *http.Server) { s.IdleTimeout = short },
			func(t *testing.T, c *rawConn) {
				resp, body := c.roundTrip(t, post("/other", "a"))
				checkReply(t, resp, body, "net/http", http.StatusOK, "POST /other a")
			}},
		{"idle defaults to ReadTimeout", func(s *http.Server) { s.IdleTimeout = 0; s.ReadTimeout = short },
			func(t *testing.T, c *rawConn) {
				resp, body := c.roundTrip(t, post("/echo", "a"))
				checkReply(t, resp, body, "front", http.StatusOK, "echo:a")
			}},
		{"part of a head", func(s *http.Server) { s.ReadHeaderTimeout = short },
			func(t *testing.T, c *rawConn) { c.send(t, "POST /echo HTTP/1.1\r\nHost: te") }},
		{"part of a head after a request", func(s *http.Server) { s.ReadHeaderTimeout = short },
			func(t *testing.T, c *rawConn) {
				resp, body := c.roundTrip(t, post("/echo", "a"))
				checkReply(t, resp, body, "front", http.StatusOK, "echo:a")
				c.send(t, "POST /echo HTTP/1.1\r\nHost: te")
			}},
		{"part of a body", func(s *http.Server) { s.ReadTimeout = short },
			func(t *testing.T, c *rawConn) {
				c.send(t, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc")
			}},
		{"part of a large body", func(s *http.Server) { s.ReadTimeout = short },
			func(t *testing.T, c *rawConn) { c.send(t, post("/echo", strings.Repeat("a", maxBody))[:2*headBuffer]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case waits out its timeout
			ts := startServer(t, func(s *Server) { tt.configure(s.Fallback) })
			c := dial(t, ts.addr)
			tt.start(t, c)
			// Well before the other timeouts (ioTimeout) would close it.
			c.expectClosed(t, ioTimeout/2)
		})
	}
}

// blockRoute adds "POST /block" to s: its handler signals entered, then
// waits until release is called. release is called at the test's end too,
// so that a failing test leaves no handler blocked.
func blockRoute(t *testing.T, s *Server) (entered <-chan struct{}, release func()) {
	in := make(chan struct{}, 10)
	out := make(chan struct{})
	s.Routes["POST /block"] = func(dst, body []byte) (int, []byte) {
		in <- struct{}{}
		<-out
		return http.StatusOK, append(append(dst, "released:"...), body...)
	}
	release = sync.OnceFunc(func() { close(out) })
	t.Cleanup(release) // registered after startServer's cleanup, so it runs before its Shutdown
	return in, release
}

// waitFor waits for ch, at most ioTimeout.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(ioTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestShutdown(t *testing.T) {
	var entered <-chan struct{}
	var release func()
	ts := startServer(t, func(s *Server) { entered, release = blockRoute(t, s) })

	idle := dial(t, ts.addr)
	resp, body := idle.roundTrip(t, post("/echo", "a"))
	checkReply(t, resp, body, "front", http.StatusOK, "echo:a")

	busy := dial(t, ts.addr)
	busy.send(t, post("/block", "b"))
	waitFor(t, entered, "the handler")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		done <- ts.Shutdown(ctx)
	}()

	idle.expectClosed(t, ioTimeout)
	if c, err := net.DialTimeout("tcp", ts.addr, ioTimeout); err == nil {
		c.Close()
		t.Error("a new connection was accepted during Shutdown")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v while a request was in flight", err)
	default:
	}

	release()
	resp, body = busy.reply(t)
	checkReply(t, resp, body, "front", http.StatusOK, "released:b")
	if !resp.Close {
		t.Error("the reply to the request in flight lacks Connection: close")
	}
	busy.expectClosed(t, ioTimeout)

	if err := waitFor(t, done, "Shutdown"); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := ts.wait(); err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want %v", err, http.ErrServerClosed)
	}
	if c, err := net.DialTimeout("tcp", ts.addr, ioTimeout); err == nil {
		c.Close()
		t.Error("a new connection was accepted after Shutdown")
	}
}

// waitRoute makes Fallback's handler signal the returned channel on a
// request to /wait, before it reads the body.
func waitRoute(s *Server) <-chan struct{} {
	entered := make(chan struct{}, 1)
	s.Fallback.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" {
			entered <- struct{}{}
		}
		fallbackEcho(w, r)
	})
	return entered
}

// chunkedWait is a request to /wait whose body's end, chunkedEnd, is still
// to be sent: its handler is running, reading the body.
const (
	chunkedWait = "POST /wait HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n"
	chunkedEnd  = "0\r\n\r\n"
)

// TestShutdownHandedOff checks that Shutdown closes the connections it
// handed to net/http, idle ones at once and busy ones after their request.
func TestShutdownHandedOff(t *testing.T) {
	var entered <-chan struct{}
	ts := startServer(t, func(s *Server) { entered = waitRoute(s) })

	idle := dial(t, ts.addr)
	resp, body := idle.roundTrip(t, post("/other", "a"))
	checkReply(t, resp, body, "net/http", http.StatusOK, "POST /other a")

	busy := dial(t, ts.addr)
	// A first request hands the connection off well before Shutdown: the
	// front forgets a connection only after net/http has it, and a
	// Shutdown in between is TestShutdownJustHandedOff's.
	resp, body = busy.roundTrip(t, post("/other", "b"))
	checkReply(t, resp, body, "net/http", http.StatusOK, "POST /other b")
	busy.send(t, chunkedWait)
	waitFor(t, entered, "net/http's handler")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		done <- ts.Shutdown(ctx)
	}()
	idle.expectClosed(t, ioTimeout)

	busy.send(t, chunkedEnd)
	resp, body = busy.reply(t)
	checkReply(t, resp, body, "net/http", http.StatusOK, "POST /wait b")
	if !resp.Close {
		t.Error("net/http's reply during Shutdown lacks Connection: close")
	}
	busy.expectClosed(t, ioTimeout)
	if err := waitFor(t, done, "Shutdown"); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestShutdownTimeout checks that Shutdown gives up on a request that
// outlives its context, and closes its connection.
func TestShutdownTimeout(t *testing.T) {
	var entered <-chan struct{}
	ts := startServer(t, func(s *Server) { entered, _ = blockRoute(t, s) })
	busy := dial(t, ts.addr)
	busy.send(t, post("/block", "b"))
	waitFor(t, entered, "the handler")

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown returned %v, want %v", err, context.DeadlineExceeded)
	}
	busy.expectClosed(t, ioTimeout)
	if err := ts.wait(); err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want %v", err, http.ErrServerClosed)
	}
}

func TestClose(t *testing.T) {
	var entered <-chan struct{}
	ts := startServer(t, func(s *Server) { entered, _ = blockRoute(t, s) })

	idle := dial(t, ts.addr)
	resp, body := idle.roundTrip(t, post("/echo", "a"))
	checkReply(t, resp, body, "front", http.StatusOK, "echo:a")

	handedOff := dial(t, ts.addr)
	resp, body = handedOff.roundTrip(t, post("/other", "a"))
	checkReply(t, resp, body, "net/http", http.StatusOK, "POST /other a")

	partial := dial(t, ts.addr)
	partial.send(t, "POST /echo HTTP/1.1\r\nHost: te")

	busy := dial(t, ts.addr)
	busy.send(t, post("/block", "b"))
	waitFor(t, entered, "the handler")

	if err := ts.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// The handler is still blocked: Close does not wait for it.
	for _, c := range []*rawConn{idle, handedOff, partial, busy} {
		c.expectClosed(t, ioTimeout)
	}
	if err := ts.wait(); err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want %v", err, http.ErrServerClosed)
	}
	if c, err := net.DialTimeout("tcp", ts.addr, ioTimeout); err == nil {
		c.Close()
		t.Error("a new connection was accepted after Close")
	}
}

// TestServeAfterShutdown checks that a server shut down before Serve
// refuses to start.
func TestServeAfterShutdown(t *testing.T) {
	s := &Server{Fallback: &http.Server{}}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := s.Serve(ln); err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want %v", err, http.ErrServerClosed)
	}
}

func TestHandlerPanic(t *testing.T) {
	ts := startServer(t, func(s *Server) {
		s.Routes["POST /panic"] = func(dst, body []byte) (int, []byte) { panic("handler panic") }
	})
	other := dial(t, ts.addr) // a connection open before the panic

	c := dial(t, ts.addr)
	resp, body := c.roundTrip(t, post("/echo", "a"))
	checkReply(t, resp, body, "front", http.StatusOK, "echo:a")
	c.send(t, post("/panic", "b"))
	c.expectClosed(t, ioTimeout)
	if log := ts.log.String(); !strings.Contains(log, "panic") || !strings.Contains(log, "handler panic") {
		t.Errorf("the panic is not in the error log: %q", log)
	}

	resp, body = other.roundTrip(t, post("/echo", "other"))
	checkReply(t, resp, body, "front", http.StatusOK, "echo:other")
	resp, body = dial(t, ts.addr).roundTrip(t, post("/echo", "new"))
	checkReply(t, resp, body, "front", http.StatusOK, "echo:new")
}

// TestBusyConnShortIdleTimeout sends requests at half the idle timeout:
// the connection is never idle that long, and must stay open, as it does
// with net/http (the same requests after a hand-off pass).
func TestBusyConnShortIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	ts := startServer(t, func(s *Server) { s.Fallback.IdleTimeout = idle })
	c := dial(t, ts.addr)
	for i := range 6 {
		resp, body := c.roundTrip(t, post("/echo", strconv.Itoa(i)))
		checkReply(t, resp, body, "front", http.StatusOK, "echo:"+strconv.Itoa(i))
		time.Sleep(idle / 3)
	}
}

// TestShortWriteTimeout sends requests further apart than WriteTimeout:
// each reply must still be written, as net/http does, since the write
// timeout runs from the request, not from the first reply.
func TestShortWriteTimeout(t *testing.T) {
	const write = 200 * time.Millisecond
	ts := startServer(t, func(s *Server) { s.Fallback.WriteTimeout = write })
	c := dial(t, ts.addr)
	for i := range 3 {
		resp, body := c.roundTrip(t, post("/echo", strconv.Itoa(i)))
		checkReply(t, resp, body, "front", http.StatusOK, "echo:"+strconv.Itoa(i))
		time.Sleep(write * 3 / 2)
	}
}

// TestShutdownFinishesBody starts Shutdown while a request's body is still
// arriving: Shutdown is to let the request finish, as net/http does (see
// TestShutdownHandedOff).
func TestShutdownFinishesBody(t *testing.T) {
	ts := startServer(t, nil)
	c := dial(t, ts.addr)
	c.send(t, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\nabc")
	time.Sleep(20 * time.Millisecond) // for the front to wait on the body's rest

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		done <- ts.Shutdown(ctx)
	}()
	// Once new connections are refused, Shutdown is under way.
	deadline := time.Now().Add(ioTimeout)
	for {
		nc, err := net.DialTimeout("tcp", ts.addr, ioTimeout)
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("Shutdown did not close the listener")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // for stop to reach the connection

	c.send(t, "def")
	resp, body := c.reply(t)
	checkReply(t, resp, body, "front", http.StatusOK, "echo:abcdef")
	if !resp.Close {
		t.Error("the reply during Shutdown lacks Connection: close")
	}
	if err := waitFor(t, done, "Shutdown"); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestShutdownJustHandedOff starts Shutdown as soon as net/http's handler
// runs on a connection's first request, many times over: the request is
// net/http's to finish, as in TestShutdownHandedOff.
func TestShutdownJustHandedOff(t *testing.T) {
	for i := range 200 {
		var entered <-chan struct{}
		ts := startServer(t, func(s *Server) { entered = waitRoute(s) })
		c := dial(t, ts.addr)
		c.send(t, chunkedWait)
		waitFor(t, entered, "net/http's handler")
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
			defer cancel()
			done <- ts.Shutdown(ctx)
		}()
		c.send(t, chunkedEnd)
		resp, body := c.reply(t)
		if by := servedBy(resp); by != "net/http" || resp.StatusCode != http.StatusOK || body != "POST /wait b" {
			t.Fatalf("attempt %d: reply from %q: %d %q; want net/http's 200", i, by, resp.StatusCode, body)
		}
		if err := waitFor(t, done, "Shutdown"); err != nil {
			t.Fatalf("attempt %d: Shutdown: %v", i, err)
		}
	}
}
