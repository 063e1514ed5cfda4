package licborrow_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/licenses"
)

// TestE2ECheckoutQueue: with solver's two licenses held, two `checkout
// --queue` wait at positions 1 and 2; each checkin moves the queue on, and
// the second waiter prints its new position before it gets the license.
func TestE2ECheckoutQueue(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{HeartbeatInterval: 100 * time.Millisecond, Lease: time.Minute})
	var holders []started
	for range 2 {
		p := start(t, t.TempDir(), "checkout", "solver", "--server", srv.Addr)
		p.waitLine(t, "checked out solver 3.1 from "+srv.Addr)
		holders = append(holders, p)
	}
	first := start(t, t.TempDir(), "checkout", "solver", "--queue", "--server", srv.Addr)
	first.waitLine(t, "queued for solver: position 1 of 1")
	second := start(t, t.TempDir(), "checkout", "solver", "--queue", "--server", srv.Addr)
	second.waitLine(t, "queued for solver: position 2 of 2")

	holders[0].Signal(syscall.SIGINT)
	first.waitLine(t, "checked out solver 3.1 from "+srv.Addr)
	second.waitLine(t, "queued for solver: position 1 of 1")
	holders[1].Signal(syscall.SIGINT)
	second.waitLine(t, "checked out solver 3.1 from "+srv.Addr)

	// Ctrl-C while queued leaves the queue.
	third := start(t, t.TempDir(), "checkout", "solver", "--queue", "--server", srv.Addr)
	third.waitLine(t, "queued for solver: position 1 of 1")
	third.Signal(syscall.SIGINT)
	if code := third.wait(t); code != 1 {
		t.Errorf("interrupted while queued: exit %d, want 1; stderr %s", code, third.Stderr())
	}
	for _, p := range []started{holders[0], holders[1]} {
		p.wait(t)
	}
	if n := inUse(t, srv.Addr, "solver"); n != 2 {
		t.Errorf("in use = %d, want 2 (the two that waited)", n)
	}
	st, err := licenses.FetchStatus(context.Background(), srv.Addr, nil)
	if err != nil || len(st.Queue) != 0 {
		t.Errorf("queue after the interrupted wait: %v %+v, want empty", err, st)
	}
}
