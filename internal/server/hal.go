package server

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/hal"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// HALConfig makes a server one node of a HAL set (see package hal).
type HALConfig struct {
	ID               int      // 1, 2 or 3
	Listen           string   // the client address licd listens on (--listen)
	RaftListen       string   // where the raft transport listens
	RaftPeers        []string // raft addresses of #1, #2, #3 as this node dials them
	Timeout          time.Duration
	SnapshotEntries  uint64
	SnapshotInterval time.Duration
}

// TakeoverLease is the lease every session gets from a node that starts
// serving: as long as a client with default options may take to find it.
// Such a client heartbeats only the server it checked out from until
// licenses.DefaultHeartbeatAttempts heartbeats in a row have failed, one a
// heartbeat interval, and then tries the others: it reaches the new node
// at most that many intervals after its last heartbeat, which was at most
// one interval before the failover. Half an interval more is slack.
func TakeoverLease(heartbeat time.Duration) time.Duration {
	return (licenses.DefaultHeartbeatAttempts+1)*heartbeat + heartbeat/2
}

// checkHAL checks that the features and the HAL flags agree, and returns
// the HAL_SERVERS the node serves (nil on a single node). Each refusal is
// one line naming what to change.
func checkHAL(features []*engine.Feature, cfg *HALConfig) ([]string, error) {
	var halF, single *engine.Feature
	for _, f := range features {
		if len(f.HALServers) == 0 {
			single = cmp.Or(single, f)
			continue
		}
		if halF == nil {
			halF = f
		} else if !slices.Equal(halF.HALServers, f.HALServers) {
			return nil, fmt.Errorf("license %s: feature %s has HAL_SERVERS %q, but %s at %s has %q: one HAL set serves one list",
				f.Where, f.Name, strings.Join(f.HALServers, " "), halF.Name, halF.Where, strings.Join(halF.HALServers, " "))
		}
	}
	switch {
	case halF != nil && single != nil:
		return nil, fmt.Errorf("license %s: feature %s has no HAL_SERVERS, but %s at %s has: a licd serves HAL features or single-server ones, not both (run a licd for each)",
			single.Where, single.Name, halF.Name, halF.Where)
	case halF != nil && cfg == nil:
		return nil, fmt.Errorf("license %s: feature %s has HAL_SERVERS: it is served by three licd nodes, each started with --hal-id N --raft-listen ADDR --raft-peers A,B,C",
			halF.Where, halF.Name)
	case halF == nil && cfg != nil:
		return nil, fmt.Errorf("--hal-id %d given, but no feature of the licenses has HAL_SERVERS: a single server takes no HAL flags", cfg.ID)
	case cfg == nil:
		return nil, nil
	}
	return halF.HALServers, checkHALFlags(halF, cfg)
}

// checkHALFlags checks a HAL node's flags against its license.
func checkHALFlags(f *engine.Feature, cfg *HALConfig) error {
	if cfg.ID < 1 || cfg.ID > 3 {
		return fmt.Errorf("--hal-id %d: want 1, 2 or 3 (the node's place in HAL_SERVERS)", cfg.ID)
	}
	if cfg.RaftListen == "" {
		return fmt.Errorf("--raft-listen is missing: a HAL node needs the address its raft transport listens on")
	}
	if len(cfg.RaftPeers) != 3 {
		return fmt.Errorf("--raft-peers %q: want the raft addresses of nodes #1, #2, #3, comma-separated", strings.Join(cfg.RaftPeers, ","))
	}
	seen := map[string]bool{}
	for _, p := range cfg.RaftPeers {
		if _, _, err := net.SplitHostPort(p); err != nil {
			return fmt.Errorf("--raft-peers: %q is not host:port", p)
		}
		if seen[p] {
			return fmt.Errorf("--raft-peers %q: %s is named twice; want three distinct addresses", strings.Join(cfg.RaftPeers, ","), p)
		}
		seen[p] = true
	}
	mine := f.HALServers[cfg.ID-1]
	_, want, _ := net.SplitHostPort(mine)
	_, got, err := net.SplitHostPort(cfg.Listen)
	if err != nil || got != want {
		return fmt.Errorf("--listen %s: HAL node #%d's address in HAL_SERVERS (license %s) is %s: listen on port %s, which clients and the other nodes are told",
			cfg.Listen, cfg.ID, f.Where, mine, want)
	}
	return nil
}

// startHAL joins the HAL set; the engine was opened replicated.
func (s *Server) startHAL(servers []string) error {
	c := s.cfg.HAL
	n, err := hal.Start(hal.Config{
		ID:               c.ID,
		Clients:          [3]string(servers),
		RaftListen:       c.RaftListen,
		RaftPeers:        [3]string(c.RaftPeers),
		Dir:              filepath.Join(s.cfg.DataDir, "raft"),
		Timeout:          c.Timeout,
		SnapshotEntries:  c.SnapshotEntries,
		SnapshotInterval: c.SnapshotInterval,
		Logger:           s.log,
		OnServe:          s.takeOver,
	}, s.engine)
	if err != nil {
		return fmt.Errorf("HAL node #%d: %w", c.ID, err)
	}
	s.hal = n
	s.engine.SetLog(n)
	return nil
}

// takeOver runs when this node starts serving: every session gets the
// takeover lease, and the node's features become the set's.
func (s *Server) takeOver() error {
	now := s.clock.Now()
	s.engine.Promote(now, TakeoverLease(s.cfg.HeartbeatInterval))
	s.mu.Lock()
	local, rules := s.local, s.localPolicy
	s.mu.Unlock()
	res := s.engine.Submit(engine.SetFeatures{Now: now, Features: local, Policy: rules, Kind: wire.EventStart,
		Detail: fmt.Sprintf("HAL node #%d (%s) serving, instance %s", s.hal.ID(), hal.RoleOf(s.hal.ID()), s.instance)})
	if res.Err != nil {
		return res.Err
	}
	return nil
}

// halGate refuses client requests on a HAL node that does not serve.
func (s *Server) halGate(*http.Request) *wire.Error {
	if s.hal == nil {
		return nil
	}
	return s.hal.Gate()
}

// adminGate is the admin token check, then halGate.
func (s *Server) adminGate(r *http.Request) *wire.Error {
	if err := s.checkAdmin(r); err != nil {
		return err
	}
	return s.halGate(r)
}

// serving reports whether this server serves client requests: always on
// a single node, on a HAL node only while it is the serving one.
func (s *Server) serving() bool { return s.hal == nil || s.hal.Serving() }

// borrowAllowed is false on a HAL node other than #1 (seed 002).
func (s *Server) borrowAllowed() bool { return s.hal == nil || s.hal.ID() == 1 }
