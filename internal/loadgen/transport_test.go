package loadgen

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// leanServer is a loopback server that counts the connections it accepted.
func leanServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Type", r.Header.Get("Content-Type"))
	io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+string(b))
}

func leanPost(t *testing.T, c *http.Client, url, body string) (string, *http.Response) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp
}

func TestLeanTransportKeepsOneConnection(t *testing.T) {
	srv, conns := leanServer(t, echo)
	c := &http.Client{Transport: newLeanTransport(4), Timeout: 5 * time.Second}
	for i := range 20 {
		body := strings.Repeat("x", i*100)
		got, resp := leanPost(t, c, srv.URL+"/v1/checkout?a=b", body)
		if want := "POST /v1/checkout?a=b " + body; got != want || resp.StatusCode != 200 || resp.Header.Get("X-Type") != "application/json" {
			t.Fatalf("reply %d %q (X-Type %q), want %q", resp.StatusCode, got, resp.Header.Get("X-Type"), want)
		}
	}
	resp, err := c.Get(srv.URL + "/status")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "GET /status " {
		t.Fatalf("GET reply %q", b)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 21 requests in a row, want 1", n)
	}
}

func TestLeanTransportBoundsConnections(t *testing.T) {
	var active, most atomic.Int32
	srv, conns := leanServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := active.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		active.Add(-1)
		echo(w, r)
	})
	c := &http.Client{Transport: newLeanTransport(3), Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() { leanPost(t, c, srv.URL+"/x", "y") })
	}
	wg.Wait()
	if most.Load() > 3 || conns.Load() > 3 {
		t.Fatalf("%d requests at once on %d connections, want at most 3", most.Load(), conns.Load())
	}
}

// A pooled connection the server closed meanwhile costs a new connection,
// not an error.
func TestLeanTransportRedialsAClosedConnection(t *testing.T) {
	srv, conns := leanServer(t, echo)
	c := &http.Client{Transport: newLeanTransport(2), Timeout: 5 * time.Second}
	leanPost(t, c, srv.URL+"/a", "1")
	srv.CloseClientConnections()
	if got, _ := leanPost(t, c, srv.URL+"/a", "2"); got != "POST /a 2" {
		t.Fatalf("reply %q", got)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// A reply that says Connection: close, or comes chunked, is read whole and
// its connection not reused.
func TestLeanTransportChunkedAndClose(t *testing.T) {
	big := strings.Repeat("0123456789", 20_000)
	srv, conns := leanServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		for i := 0; i < len(big); i += 50_000 {
			io.WriteString(w, big[i:i+50_000])
			w.(http.Flusher).Flush() // makes the body chunked
		}
	})
	c := &http.Client{Transport: newLeanTransport(2), Timeout: 5 * time.Second}
	for range 2 {
		if got, _ := leanPost(t, c, srv.URL+"/big", ""); got != big {
			t.Fatalf("body of %d bytes, want %d", len(got), len(big))
		}
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections after two Connection: close replies, want 2", n)
	}
}

func TestLeanTransportTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv, _ := leanServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(time.Minute): // answers, too late, if the timeout failed
		}
	})
	defer close(release)
	c := &http.Client{Transport: newLeanTransport(2), Timeout: 100 * time.Millisecond}
	start := time.Now()
	if _, err := c.Post(srv.URL+"/slow", "application/json", strings.NewReader("{}")); err == nil {
		t.Fatal("a reply that never came was not an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/slow", strings.NewReader("{}"))
	if _, err := (&http.Client{Transport: newLeanTransport(2)}).Do(req); err == nil {
		t.Fatal("a cancelled request was not an error")
	}
	// 100 ms each, but a loaded machine may take longer: the bound only
	// tells them from the minute the handler waits.
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("the timeout and the cancel took %v", d)
	}
}

func TestLeanTransportRefusesHTTPS(t *testing.T) {
	c := &http.Client{Transport: newLeanTransport(1)}
	_, err := c.Get("https://127.0.0.1:1/")
	if err == nil || !strings.Contains(err.Error(), "--transport net/http") {
		t.Fatalf("https: %v", err)
	}
}
