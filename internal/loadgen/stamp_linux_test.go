package loadgen

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// loopbackPair returns a stamped client connection and the server's end.
func loopbackPair(t *testing.T) (*stampConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close(); srv.Close() })
	sc, ok := stamped(nc).(*stampConn)
	if !ok {
		t.Fatal("a loopback TCP connection was not stamped")
	}
	// The kernel turns receive timestamps on for the whole machine a moment
	// after the first socket asks (in a work queue): data before that has
	// none.
	for i := 0; ; i++ {
		sc.arm()
		srv.Write([]byte("x"))
		if _, err := sc.Read(make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		if !sc.arrival().IsZero() {
			return sc, srv
		}
		if i == 100 {
			t.Fatal("no receive time after 100 tries")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The arrival is when the kernel had the data, not when it was read: a
// reply read 50 ms after it came keeps the time it came.
func TestStampConnArrival(t *testing.T) {
	sc, srv := loopbackPair(t)
	sc.arm()
	sent := time.Now()
	if _, err := srv.Write([]byte("reply one")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	buf := make([]byte, 4)
	n, err := sc.Read(buf)
	read := time.Now()
	if err != nil || string(buf[:n]) != "repl" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	at := sc.arrival()
	if at.Before(sent.Add(-time.Millisecond)) || read.Sub(at) < 40*time.Millisecond {
		t.Fatalf("arrival %v after the write, %v before the read; want about 0 and 50ms", at.Sub(sent), read.Sub(at))
	}
	// The rest of the same reply does not move the arrival; arm does.
	sc.Read(buf)
	if sc.arrival() != at {
		t.Fatal("a second read of the same reply moved the arrival")
	}
	sc.arm()
	if !sc.arrival().IsZero() {
		t.Fatal("arm kept the old arrival")
	}
	srv.Write([]byte("two"))
	if _, err := sc.Read(buf); err != nil || !sc.arrival().After(at) {
		t.Fatalf("second reply: %v, arrival %v (first %v)", err, sc.arrival(), at)
	}
}

// A stamped connection ends and times out as a net.Conn does.
func TestStampConnEndsAsNetConn(t *testing.T) {
	sc, srv := loopbackPair(t)
	sc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := sc.Read(make([]byte, 8))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	sc.SetReadDeadline(time.Time{})
	srv.Close()
	if _, err := sc.Read(make([]byte, 8)); err != io.EOF {
		t.Fatalf("read after the peer closed: %v, want io.EOF", err)
	}
}
