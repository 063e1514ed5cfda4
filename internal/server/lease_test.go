package server_test

import (
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// A server restarted more often than the lease (a crash loop) continues each
// lease from the session's stored last heartbeat, with a floor of 1.5
// heartbeat intervals from the restart for live clients to reach it: a dead
// client's checkout is reclaimed within lease + floor of its last
// heartbeat, while a live one keeps its own.
func TestRestartsContinueLeases(t *testing.T) {
	const (
		interval = time.Second
		lease    = 4 * time.Second
		floor    = interval + interval/2
		every    = 3 * time.Second // restart period, shorter than the lease
	)
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: interval, Lease: lease})
	dead, live := newClient("dead"), newClient("live")
	for _, c := range []wire.Client{dead, live} {
		if _, err := checkout(t, s.Addr, c, "r", "cad_pro"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := fc.Now().Add(lease + floor)
	for cycle := 0; cycle < 10; cycle++ {
		s.Restart()
		for range every / interval {
			fc.Advance(interval)
			if _, err := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: live}, nil); err != nil {
				t.Fatalf("cycle %d: live client's heartbeat: %v", cycle, err)
			}
		}
		if fc.Now().Before(deadline) {
			continue
		}
		waitFor(t, "the dead client's checkout to be reclaimed", func() bool {
			used, _ := inUse(t, s.Addr, "cad_pro")
			return used == 1
		})
		return
	}
	t.Fatal("the clock never passed the deadline")
}
