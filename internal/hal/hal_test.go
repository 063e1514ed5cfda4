package hal

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// set is a HAL set in this process: real raft over loopback TCP, a real
// ledger in SQLite per node; the server around them is left out.
type set struct {
	t       *testing.T
	dir     string
	clients [3]string
	raft    [3]string
	nodes   [3]*Node
	engines [3]*engine.Engine
}

func newSet(t *testing.T) *set {
	t.Helper()
	s := &set{t: t, dir: t.TempDir()}
	for i := range 3 {
		s.clients[i] = fmt.Sprintf("127.0.0.1:%d", 7000+i) // only named in not_primary
		s.raft[i] = freeAddr(t)
	}
	t.Cleanup(func() {
		for _, n := range s.nodes {
			if n != nil {
				n.Close()
			}
		}
	})
	return s
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start starts node id (1, 2, 3) on its own data.
func (s *set) start(id int) {
	s.t.Helper()
	dir := filepath.Join(s.dir, fmt.Sprint(id))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "licd.db"), store.Options{Sync: store.SyncNormal})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { st.Close() })
	e, err := engine.Open(st, []*engine.Feature{{Name: "f", Version: "1.0", Count: 2, HostOK: true}},
		engine.Config{Lease: time.Minute, Replicated: true}, testNow, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	n, err := Start(Config{ID: id, Clients: s.clients, RaftListen: s.raft[id-1], RaftPeers: s.raft,
		Dir: filepath.Join(dir, "raft"), Timeout: 300 * time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnServe: func() error { return nil }, Fatal: func(err error) { s.t.Errorf("node #%d: %v", id, err) }}, e)
	if err != nil {
		s.t.Fatal(err)
	}
	e.SetLog(n)
	s.nodes[id-1], s.engines[id-1] = n, e
}

// waitServing waits until node id serves, failing the test if #3 ever
// does meanwhile.
func (s *set) waitServing(id int, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if n := s.nodes[2]; n != nil && n.Serving() {
			s.t.Fatal("#3 serves")
		}
		if s.nodes[id-1].Serving() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("#%d does not serve after %v", id, within)
}

// With #1 down, #2 serves whichever of #2 and #3 wins the election; when #1
// comes, #2 hands the service back to it; the others refuse with
// not_primary and #1's address.
func TestRolesSteerTheService(t *testing.T) {
	s := newSet(t)
	s.start(3)
	s.start(2)
	s.waitServing(2, 10*time.Second)
	res := s.engines[1].Submit(engine.Borrow{Now: testNow, Client: wire.Client{Session: "s", User: "u", Host: "h"},
		RequestID: "r", BorrowID: "b", Feature: "f", Hours: 1, Allowed: false})
	if res.Err == nil || res.Err.Code != wire.CodeBorrowNotAllowed {
		t.Fatalf("borrow through #2: %+v, want borrow_not_allowed", res)
	}

	s.start(1)
	s.waitServing(1, 15*time.Second)
	for _, id := range []int{2, 3} {
		err := s.nodes[id-1].Gate()
		if err == nil || err.Code != wire.CodeNotPrimary || err.Primary != s.clients[0] {
			t.Errorf("#%d's gate: %v, want not_primary naming %s", id, err, s.clients[0])
		}
	}
	res = s.engines[0].Submit(engine.Checkout{Now: testNow, Client: wire.Client{Session: "s", User: "u", Host: "h"},
		RequestID: "r", CheckoutID: "c", Feature: "f"})
	if res.Err != nil {
		t.Fatalf("checkout through #1: %v", res.Err)
	}
	// The entry is applied on every node.
	deadline := time.Now().Add(5 * time.Second)
	for _, e := range s.engines {
		for in, _ := e.InUse("f"); in != 1; in, _ = e.InUse("f") {
			if time.Now().After(deadline) {
				t.Fatalf("a node has %d in use, want 1", in)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// A lone node hears from no serving node: no_quorum.
func TestLoneNodeHasNoQuorum(t *testing.T) {
	s := newSet(t)
	s.start(1)
	time.Sleep(time.Second) // several election timeouts, with nobody to vote
	if err := s.nodes[0].Gate(); err == nil || err.Code != wire.CodeNoQuorum {
		t.Fatalf("gate of a lone #1: %v, want no_quorum", err)
	}
	res := s.engines[0].Submit(engine.Checkout{Now: testNow, Client: wire.Client{Session: "s", User: "u", Host: "h"},
		RequestID: "r", CheckoutID: "c", Feature: "f"})
	if res.Err == nil {
		t.Fatal("a lone node granted a checkout")
	}
}
