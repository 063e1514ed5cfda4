// Package chaos proves floatlic's promise under faults: licenses held never
// exceed COUNT, no acknowledged checkout is lost, and no seat outlives its
// holder by more than a lease, through crashes, failovers, partitions and
// flaky networks.
//
// A run starts real licd processes (one node, or a HAL set of three) on
// loopback behind TCP proxies it controls (cluster.go), runs client
// sessions against small COUNTs (client.go) while a seeded scheduler
// injects faults (schedule.go), records every request and reply, and then
// checks the history (check.go): against a sequential model of the pools
// with porcupine (model.go), for licenses held over COUNT by the clients'
// own account, for acknowledged checkouts lost, and that the pools drain
// once every client has stopped.
package chaos

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Config is one run.
type Config struct {
	Licd     string // the licd binary
	Dir      string // work dir
	HAL      bool
	Seed     uint64
	Duration time.Duration // of load and faults
	// Out is where porcupine's visualisation of a failing history goes.
	Out string
	// CheckTimeout bounds porcupine's search.
	CheckTimeout time.Duration
	Log          func(format string, args ...any)
}

// The run's fixed shape. The heartbeat is short so that leases (3.5
// intervals) run out within a fault; the raft timeout is the e2e tests'
// (see e2e's halRaftTimeout: shorter ones make leaders step down on a
// loaded 2-core machine, which is a fault, but not the one chosen).
const (
	interval    = time.Second // licd --heartbeat-interval
	raftTimeout = time.Second
	hosts       = 4
	// drainLimit bounds the wait for the pools to empty once every client
	// has stopped: a lease, or the lease a new serving node gives every
	// session (server.TakeoverLease, 6.5 intervals), and a reaper pass.
	drainLimit = 13*interval/2 + 2*interval
	// inFlightSlack is how long after a fault heals a request it held may
	// still take effect: the time a resumed or reached server takes to
	// get to it, with a margin for a loaded machine.
	inFlightSlack = 2 * time.Second
)

var loads = []FeatureLoad{
	{Name: "cad_pro", Count: 5, Sessions: 9, Borrow: true, Grace: true},
	{Name: "solver", Count: 2, Sessions: 5, Borrow: true},
}

// Report is what a run found.
type Report struct {
	Mode       string
	Seed       uint64
	Operations int
	Faults     map[string]int
	Violations []string
	// Linearizability is porcupine's answer: ok, illegal, or unknown
	// when it ran out of time.
	Linearizability string
	Drained         time.Duration // from the last client's stop to empty pools
}

// FaultCount is the number of faults injected.
func (r *Report) FaultCount() int {
	n := 0
	for _, c := range r.Faults {
		n += c
	}
	return n
}

// Summary is the report's first line.
func (r *Report) Summary() string {
	return fmt.Sprintf("%s seed %d: operations: %d, faults: %d, violations: %d (linearizability: %s, drained in %s)",
		r.Mode, r.Seed, r.Operations, r.FaultCount(), len(r.Violations), r.Linearizability, r.Drained.Round(10*time.Millisecond))
}

// String is the whole report.
func (r *Report) String() string {
	var b strings.Builder
	b.WriteString(r.Summary() + "\n")
	names := sortedKeys(r.Faults)
	for _, f := range names {
		fmt.Fprintf(&b, "  %4d  %s\n", r.Faults[f], f)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  VIOLATION: %s\n", v)
	}
	return b.String()
}

// Run runs the cluster, the load and the faults, and checks the history.
// An error means the run could not be made (a node that will not start);
// a broken promise is a violation in the report.
func Run(cfg Config) (*Report, error) {
	mode := "single"
	if cfg.HAL {
		mode = "hal"
	}
	rep := &Report{Mode: mode, Seed: cfg.Seed}
	c, err := StartCluster(ClusterConfig{Licd: cfg.Licd, Dir: cfg.Dir, HAL: cfg.HAL, ClientHosts: hosts,
		Heartbeat: interval, RaftTimeout: raftTimeout, SnapshotEntries: 64})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rec := NewRecorder()
	// Clients heartbeat twice an interval, as package licenses may be set
	// to: a single server promises a lease of 1.5 intervals after its last
	// written heartbeat time, so a client heartbeating once an interval
	// outlives its promise at any hiccup, which is no fault of the server,
	// and each such lapse costs the checker a branch.
	w := &Workload{Rec: rec, Hosts: hosts, Servers: c.ClientServers, NodeOf: c.NodeOf, Features: loads,
		Heartbeat: interval / 2, Timeout: time.Second, Seed: cfg.Seed, DieEvery: 150}
	sched := newScheduler(c, rec, cfg.Seed, hosts, interval, cfg.Log)

	stopClients, stopFaults := make(chan struct{}), make(chan struct{})
	clientsDone := make(chan struct{})
	go func() { w.Run(stopClients); close(clientsDone) }()
	faultErr := make(chan error, 1)
	go func() { faultErr <- sched.run(stopFaults) }()

	time.Sleep(cfg.Duration)
	close(stopFaults)
	err = <-faultErr
	rep.Faults = sched.counts
	if err == nil {
		err = settle(c)
	}
	close(stopClients)
	<-clientsDone
	if err != nil {
		return rep, fmt.Errorf("%w\n%s", err, tails(c))
	}
	drained, v := drain(c)
	rep.Drained = drained
	rep.Violations = append(rep.Violations, v...)
	rep.Violations = append(rep.Violations, agree(c)...)

	ops := rec.Ops()
	rep.Operations = len(ops)
	for _, u := range w.Unexpected() {
		rep.Violations = append(rep.Violations, "unexpected reply: "+u)
	}
	count := map[string]int{}
	for _, f := range loads {
		count[f.Name] = f.Count
	}
	rep.Violations = append(rep.Violations, OverCount(ops, count)...)
	rep.Violations = append(rep.Violations, Lost(ops)...)
	html := ""
	if cfg.Out != "" {
		html = filepath.Join(cfg.Out, fmt.Sprintf("floatlic-chaos-%s-%d.html", mode, cfg.Seed))
	}
	cfg.Log("checking %d operations", len(ops))
	t0 := time.Now()
	res, v := Linearizable(ops, count, inFlight(sched.spans, w.Timeout), cfg.CheckTimeout, html)
	cfg.Log("porcupine: %s in %s", res, time.Since(t0).Round(time.Millisecond))
	rep.Linearizability = string(res)
	rep.Violations = append(rep.Violations, v...)
	if len(rep.Violations) > 0 && cfg.Out != "" {
		saveFailure(cfg, mode, tails(c), Recorded{Ops: ops, Faults: sched.spans, Timeout: w.Timeout})
	}
	return rep, nil
}

// Recorded is what a failing run saves, for the checks to be run again
// (TestRecheck): the history, the faults' spans and the request timeout.
type Recorded struct {
	Ops     []Op
	Faults  [][2]time.Duration
	Timeout time.Duration
}

// saveFailure writes the nodes' logs and the recorded history (JSON) into
// cfg.Out.
func saveFailure(cfg Config, mode, logs string, r Recorded) {
	base := filepath.Join(cfg.Out, fmt.Sprintf("floatlic-chaos-%s-%d", mode, cfg.Seed))
	if os.WriteFile(base+".log", []byte(logs), 0o644) == nil {
		cfg.Log("node logs: %s.log", base)
	}
	if b, err := json.Marshal(r); err == nil && os.WriteFile(base+".json", b, 0o644) == nil {
		cfg.Log("history: %s.json", base)
	}
}

// settle heals every fault, starts every node that is down and waits for
// one to serve.
func settle(c *Cluster) error {
	c.HealRaft()
	c.HealClients()
	for n := 1; n <= c.Nodes(); n++ {
		switch {
		case c.Paused(n):
			if err := c.Resume(n); err != nil {
				return err
			}
		case !c.Running(n):
			if err := c.Start(n); err != nil {
				return err
			}
		}
	}
	if _, err := c.WaitServing(30 * time.Second); err != nil {
		return err
	}
	// With every node up, #2 hands the set back to #1: wait for that, so
	// that the drain is timed from the last takeover.
	if c.HAL() {
		_, err := c.WaitServedBy(1, 30*time.Second)
		return err
	}
	return nil
}

// drain waits until the serving node holds no checkout and no borrow, and
// returns how long that took.
func drain(c *Cluster) (time.Duration, []string) {
	start := time.Now()
	limit := start.Add(drainLimit)
	var last string
	for {
		if n := c.Serving(); n > 0 {
			if st, err := c.Status(n); err == nil {
				held := 0
				var parts []string
				for _, f := range st.Features {
					held += f.InUse + f.Borrowed
					parts = append(parts, fmt.Sprintf("%s in use %d, borrowed %d", f.Name, f.InUse, f.Borrowed))
				}
				if held == 0 {
					return time.Since(start), nil
				}
				last = strings.Join(parts, "; ")
			}
		}
		if time.Now().After(limit) {
			return time.Since(start), []string{fmt.Sprintf("licenses still held %s after every client stopped: %s", drainLimit, last)}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// agree checks, on a HAL set, that every node's ledger ends the same as
// the serving node's: the same applied index and the same pools.
func agree(c *Cluster) []string {
	if !c.HAL() {
		return nil
	}
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		last = ""
		var want string
		for n := 1; n <= c.Nodes(); n++ {
			st, err := c.Status(n)
			if err != nil {
				last = fmt.Sprintf("node %d: %v", n, err)
				break
			}
			var pools []string
			for _, f := range st.Features {
				pools = append(pools, fmt.Sprintf("%s %d/%d", f.Name, f.InUse, f.Borrowed))
			}
			slices.Sort(pools)
			got := fmt.Sprintf("applied %d, %s", st.Server.Applied, strings.Join(pools, ", "))
			if n == 1 {
				want = got
			} else if got != want {
				last = fmt.Sprintf("node 1: %s; node %d: %s", want, n, got)
			}
		}
		if last == "" {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return []string{"the nodes' ledgers differ at the end: " + last}
}

// tails is the end of every node's log.
func tails(c *Cluster) string {
	var b strings.Builder
	for n := 1; n <= c.Nodes(); n++ {
		fmt.Fprintf(&b, "--- node %d:\n%s\n", n, c.LogTail(n, 60))
	}
	return b.String()
}
