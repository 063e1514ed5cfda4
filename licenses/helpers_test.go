package licenses_test

import (
	"context"
	"crypto/ed25519"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/licenses"
)

// vendorKey returns the vendor public key of srv's license, as the
// vendor's application carries it.
func vendorKey(t testing.TB, srv *servertest.Server) ed25519.PublicKey {
	t.Helper()
	data, err := os.ReadFile(srv.Files.VendorPub)
	if err != nil {
		t.Fatal(err)
	}
	k, err := licenses.ParseVendorKey(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testCtx returns a context that ends with the test, bounded.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// exits records what a client's OnExit and OnLost callbacks were told.
type exits struct {
	mu      sync.Mutex
	reasons []error
	lost    []string
	lostErr []error
	exited  chan struct{} // closed at the first OnExit
	once    sync.Once
}

func newExits() *exits { return &exits{exited: make(chan struct{})} }

func (e *exits) onExit(reason error) {
	e.mu.Lock()
	e.reasons = append(e.reasons, reason)
	e.mu.Unlock()
	e.once.Do(func() { close(e.exited) })
}

func (e *exits) onLost(feature string, err error) {
	e.mu.Lock()
	e.lost = append(e.lost, feature)
	e.lostErr = append(e.lostErr, err)
	e.mu.Unlock()
}

func (e *exits) Reasons() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.reasons...)
}

func (e *exits) Lost() ([]string, []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.lost...), append([]error(nil), e.lostErr...)
}

// newClient returns a client for user ann on host ws1 with its own state
// dir (unless o sets one), short request timeouts, and callbacks that record
// into the returned exits instead of ending the test binary.
func newClient(t testing.TB, o licenses.Options) (*licenses.Client, *exits) {
	t.Helper()
	if o.StateDir == "" {
		o.StateDir = t.TempDir()
	}
	if o.User == "" {
		o.User = "ann"
	}
	if o.Host == "" {
		o.Host = "ws1"
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 500 * time.Millisecond
	}
	ex := newExits()
	if o.OnExit == nil {
		o.OnExit = ex.onExit
	}
	if o.OnLost == nil {
		o.OnLost = ex.onLost
	}
	c, err := licenses.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c, ex
}

// usage returns the server's count of feature in use, borrowed and in grace.
func usage(t testing.TB, addr, feature string) (inUse, borrowed, grace int) {
	t.Helper()
	st, err := licenses.FetchStatus(context.Background(), addr, nil)
	if err != nil {
		t.Fatalf("status of %s: %v", addr, err)
	}
	for _, f := range st.Features {
		if f.Name == feature {
			return f.InUse, f.Borrowed, f.Grace
		}
	}
	t.Fatalf("status of %s has no feature %s", addr, feature)
	return
}

func wantInUse(t testing.TB, srv *servertest.Server, feature string, want int) {
	t.Helper()
	if got, _, _ := usage(t, srv.Addr, feature); got != want {
		t.Fatalf("%s in use = %d, want %d", feature, got, want)
	}
}

// patience bounds a wait for something that must happen. It is a failsafe,
// not a measure: a loaded machine may take long, and that is no failure.
const patience = 10 * time.Second

// waitFor polls cond every 10 ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// wantCode fails unless err carries code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if !licenses.IsCode(err, code) {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}
