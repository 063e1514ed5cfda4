package chaos

import (
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/floatlic/floatlic/internal/faultnet"
)

// The fault scheduler: one fault at a time, chosen and timed by a seeded
// random source, each healed before the next. The serving node is the
// favourite target: its faults are the ones that can over-issue.

// Fault names, as the report counts them.
const (
	FaultKillServing = "kill -9 serving node"
	FaultKillOther   = "kill -9 other node"
	FaultPause       = "SIGSTOP serving node"
	FaultIsolate     = "partition serving node from the others"
	FaultSplit       = "partition all three nodes"
	FaultWipe        = "data dir lost, node rejoins empty"
	FaultClientCut   = "one client host cut off (reset)"
	FaultClientHole  = "one client host blackholed"
	FaultResets      = "client connections to serving node reset"
	FaultClientDelay = "client links delayed"
)

// fault is one kind of fault: how often it is picked, and what it does.
type fault struct {
	name   string
	weight int
	hal    bool // only on a HAL set
	// holds: the fault holds clients' requests and lets them go when it
	// heals (a paused node, a blackhole, a delay), rather than losing them.
	holds bool
	do    func(s *scheduler) error
}

var faults = []fault{
	{FaultKillServing, 4, false, false, (*scheduler).killServing},
	{FaultKillOther, 1, true, false, (*scheduler).killOther},
	{FaultPause, 2, false, true, (*scheduler).pause},
	{FaultIsolate, 2, true, false, (*scheduler).isolate},
	{FaultSplit, 1, true, false, (*scheduler).split},
	{FaultWipe, 1, true, false, (*scheduler).wipe},
	{FaultClientCut, 1, false, false, (*scheduler).clientCut},
	{FaultClientHole, 1, false, true, (*scheduler).clientHole},
	{FaultResets, 1, false, false, (*scheduler).resets},
	{FaultClientDelay, 1, false, true, (*scheduler).delay},
}

// scheduler injects faults into a cluster.
type scheduler struct {
	c      *Cluster
	rng    *mrand.Rand
	hosts  int
	counts map[string]int
	log    func(format string, args ...any)
	start  time.Time
	// heartbeat is the servers' heartbeat interval: client faults last up
	// to a few of them, so that some outlast a lease.
	heartbeat time.Duration
	rec       *Recorder // the run's clock
	// spans are when each fault that holds requests began and was healed,
	// on the run's clock.
	spans [][2]time.Duration
}

// inFlight says until when a request sent at sent may still reach a server
// and take effect, given the spans of the faults that hold requests: when
// the last of them that was on within timeout of sending healed, and
// inFlightSlack for the server to get to it. Without such a fault a request
// that got no answer was lost (a reset, a killed server) or taken at once,
// before the client sent it again: inFlight returns sent.
func inFlight(spans [][2]time.Duration, timeout time.Duration) func(time.Duration) time.Duration {
	return func(sent time.Duration) time.Duration {
		end := sent
		for _, sp := range spans {
			if sp[0] <= sent+timeout && sp[1] >= sent {
				end = max(end, sp[1]+inFlightSlack)
			}
		}
		return end
	}
}

func newScheduler(c *Cluster, rec *Recorder, seed uint64, hosts int, heartbeat time.Duration, log func(string, ...any)) *scheduler {
	return &scheduler{c: c, rng: mrand.New(mrand.NewPCG(seed, 0)), hosts: hosts, counts: map[string]int{},
		log: log, start: time.Now(), heartbeat: heartbeat, rec: rec}
}

// run injects faults until stop is closed, and returns with every fault
// healed and every node running; the first error a fault met ends it.
func (s *scheduler) run(stop <-chan struct{}) error {
	var menu []fault
	total := 0
	for _, f := range faults {
		if !f.hal || s.c.HAL() {
			menu = append(menu, f)
			total += f.weight
		}
	}
	for {
		if !s.sleep(stop, s.between(300*time.Millisecond, 1500*time.Millisecond)) {
			return nil
		}
		n := s.rng.IntN(total)
		for _, f := range menu {
			if n -= f.weight; n < 0 {
				s.counts[f.name]++
				s.log("%6.1fs fault: %s", time.Since(s.start).Seconds(), f.name)
				from := s.rec.Now()
				err := f.do(s)
				if f.holds {
					s.spans = append(s.spans, [2]time.Duration{from, s.rec.Now()})
				}
				if err != nil {
					return fmt.Errorf("%s: %w", f.name, err)
				}
				if err := s.c.Exited(); err != nil {
					return fmt.Errorf("after %s: %w", f.name, err)
				}
				break
			}
		}
	}
}

func (s *scheduler) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

// sleep waits d, or until stop; it returns false on stop.
func (s *scheduler) sleep(stop <-chan struct{}, d time.Duration) bool {
	select {
	case <-stop:
		return false
	case <-time.After(d):
		return true
	}
}

// hold waits d: a fault, once begun, always runs its course.
func (s *scheduler) hold(d time.Duration) { time.Sleep(d) }

// serving returns the serving node, or a random one when none serves.
func (s *scheduler) serving() int {
	if n := s.c.Serving(); n > 0 {
		return n
	}
	return 1 + s.rng.IntN(s.c.Nodes())
}

func (s *scheduler) killServing() error { return s.killRestart(s.serving(), false) }

func (s *scheduler) killOther() error {
	n := s.serving()%s.c.Nodes() + 1
	return s.killRestart(n, false)
}

func (s *scheduler) wipe() error {
	n := s.serving()%s.c.Nodes() + 1
	return s.killRestart(n, true)
}

// killRestart kills node n with SIGKILL, leaves it down a while (losing
// its data dir when wipe), and starts it again.
func (s *scheduler) killRestart(n int, wipe bool) error {
	if err := s.c.Kill(n); err != nil {
		return err
	}
	s.hold(s.between(0, 1500*time.Millisecond))
	if wipe {
		if err := s.c.Wipe(n); err != nil {
			return err
		}
	}
	return s.c.Start(n)
}

// pause stops the serving node for longer than an election takes, and
// sometimes longer than a lease.
func (s *scheduler) pause() error {
	n := s.serving()
	if err := s.c.Pause(n); err != nil {
		return err
	}
	s.hold(s.between(500*time.Millisecond, 5*s.heartbeat))
	return s.c.Resume(n)
}

func (s *scheduler) isolate() error {
	n := s.serving()
	s.c.IsolateRaft(n, s.mode())
	s.hold(s.between(1500*time.Millisecond, 5*time.Second))
	s.c.HealRaft()
	return nil
}

func (s *scheduler) split() error {
	s.c.SplitRaft(s.mode())
	s.hold(s.between(1500*time.Millisecond, 4*time.Second))
	s.c.HealRaft()
	return nil
}

func (s *scheduler) mode() faultnet.Mode {
	if s.rng.IntN(2) == 0 {
		return faultnet.Reset
	}
	return faultnet.Blackhole
}

func (s *scheduler) clientCut() error  { return s.cutHost(faultnet.Reset) }
func (s *scheduler) clientHole() error { return s.cutHost(faultnet.Blackhole) }

// cutHost cuts one client host off from every node, sometimes for longer
// than its sessions' leases.
func (s *scheduler) cutHost(m faultnet.Mode) error {
	s.c.HostLinks(s.rng.IntN(s.hosts), m)
	s.hold(s.between(300*time.Millisecond, 6*s.heartbeat))
	s.c.HealClients()
	return nil
}

func (s *scheduler) resets() error {
	s.c.NodeLinks(s.serving(), faultnet.Reset)
	s.hold(s.between(100*time.Millisecond, time.Second))
	s.c.HealClients()
	return nil
}

func (s *scheduler) delay() error {
	s.c.SetClientDelay(s.between(20*time.Millisecond, 400*time.Millisecond))
	s.hold(s.between(500*time.Millisecond, 3*time.Second))
	s.c.HealClients()
	return nil
}
