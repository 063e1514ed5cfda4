package faultnet_test

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/faultnet"
)

// quiet is how long a test waits to see that nothing arrives: long enough
// for loopback, short enough to keep the package fast.
const quiet = 300 * time.Millisecond

// echoServer listens on loopback and echoes every connection.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func proxyTo(t *testing.T, target string) *faultnet.Proxy {
	t.Helper()
	p, err := faultnet.Listen("127.0.0.1:0", target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// exchange writes msg and reads as many bytes back within wait.
func exchange(c net.Conn, msg string, wait time.Duration) (string, error) {
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	return readBack(c, len(msg), wait)
}

func readBack(c net.Conn, n int, wait time.Duration) (string, error) {
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, n)
	_, err := io.ReadFull(c, buf)
	return string(buf), err
}

func mustEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	got, err := exchange(c, msg, 5*time.Second)
	if err != nil || got != msg {
		t.Fatalf("echo of %q: got %q, %v", msg, got, err)
	}
}

// broken reports whether err is a closed or reset connection, not a
// timeout: what a peer sees at once when the proxy cuts.
func broken(err error) bool {
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

func TestPassForwardsBothWays(t *testing.T) {
	p := proxyTo(t, echoServer(t))
	c := dial(t, p.Addr())
	for _, msg := range []string{"hello", "world"} {
		mustEcho(t, c, msg)
	}
	if p.Accepted() != 1 {
		t.Fatalf("accepted %d connections, want 1", p.Accepted())
	}
}

func TestCutResetsOpenAndNewConnectionsUntilHeal(t *testing.T) {
	p := proxyTo(t, echoServer(t))
	old := dial(t, p.Addr())
	mustEcho(t, old, "before")

	p.Cut()
	if p.Mode() != faultnet.Reset {
		t.Fatalf("mode %v after Cut, want reset", p.Mode())
	}
	if _, err := exchange(old, "after", 2*time.Second); !broken(err) {
		t.Fatalf("open connection after Cut: %v, want it closed", err)
	}
	// The kernel may complete the handshake before the proxy resets, so a
	// new connection fails at the dial or at the first read.
	if c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second); err == nil {
		defer c.Close()
		if _, err := exchange(c, "new", 2*time.Second); !broken(err) {
			t.Fatalf("new connection while cut: %v, want it reset", err)
		}
	}

	p.Heal()
	mustEcho(t, dial(t, p.Addr()), "healed")
}

func TestBlackholeHoldsTrafficAndHealDeliversIt(t *testing.T) {
	p := proxyTo(t, echoServer(t))
	old := dial(t, p.Addr())
	mustEcho(t, old, "before")

	p.Blackhole()
	if _, err := exchange(old, "held", quiet); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("open connection in a blackhole: %v, want a read timeout", err)
	}
	fresh := dial(t, p.Addr()) // accepted, never answered
	if _, err := exchange(fresh, "fresh", quiet); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("new connection in a blackhole: %v, want a read timeout", err)
	}

	p.Heal()
	for c, msg := range map[net.Conn]string{old: "held", fresh: "fresh"} {
		if got, err := readBack(c, len(msg), 5*time.Second); err != nil || got != msg {
			t.Fatalf("after Heal, held %q came back as %q, %v", msg, got, err)
		}
	}
}

func TestBlackholeThenCutResetsHeldConnections(t *testing.T) {
	p := proxyTo(t, echoServer(t))
	c := dial(t, p.Addr())
	mustEcho(t, c, "before")
	p.Blackhole()
	fresh := dial(t, p.Addr())
	p.Cut()
	for _, conn := range []net.Conn{c, fresh} {
		if _, err := exchange(conn, "x", 2*time.Second); !broken(err) {
			t.Fatalf("held connection after Cut: %v, want it closed", err)
		}
	}
}

func TestDelaySlowsEveryChunk(t *testing.T) {
	p := proxyTo(t, echoServer(t))
	c := dial(t, p.Addr())
	mustEcho(t, c, "warm")
	const d = 100 * time.Millisecond
	p.SetDelay(d)
	start := time.Now()
	mustEcho(t, c, "slow")
	if took := time.Since(start); took < 2*d {
		t.Fatalf("round trip took %v with a delay of %v each way", took, d)
	}
	p.SetDelay(0)
	mustEcho(t, c, "fast")
}

func TestDeadTargetResetsTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p := proxyTo(t, dead)
	// The reset may come so fast that the dial itself fails.
	c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	if _, err := exchange(c, "anyone?", 5*time.Second); !broken(err) {
		t.Fatalf("connection through a proxy to a dead target: %v, want it reset", err)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	p, err := faultnet.Listen("127.0.0.1:0", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p.Addr())
	mustEcho(t, c, "up")
	p.Blackhole()
	dial(t, p.Addr()) // one held connection that Close must end too

	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if n := p.Open(); n != 0 {
		t.Fatalf("%d connections open after Close", n)
	}
	if _, err := exchange(c, "x", 2*time.Second); !broken(err) {
		t.Fatalf("connection after Close: %v, want it closed", err)
	}
	if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("the proxy still accepts after Close")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
