package server

import (
	"time"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/policy"
)

// loadPolicy reads the options file at path (none when empty) and checks
// it against the features the licenses serve. A bad file is one error
// naming file:line: licd refuses to start on it, and a reload keeps the
// rules in force.
func loadPolicy(path string, features []*engine.Feature) (*policy.Policy, error) {
	if path == "" {
		return nil, nil
	}
	p, err := policy.Load(path)
	if err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(features))
	for _, f := range features {
		counts[f.Name] = f.Count
	}
	if err := p.Validate(counts); err != nil {
		return nil, err
	}
	return p, nil
}

// warnTimeouts logs each TIMEOUT no longer than the heartbeat interval
// clients are told: a client that heartbeats on time would still lose the
// feature between two heartbeats. A client may be set to heartbeat more
// often, so it is a warning, not a refusal.
func (s *Server) warnTimeouts(p *policy.Policy) {
	if p == nil {
		return
	}
	for _, t := range p.Timeouts {
		if time.Duration(t.Seconds)*time.Second <= s.cfg.HeartbeatInterval {
			s.log.Warn("a TIMEOUT no longer than the heartbeat interval: clients that heartbeat on time lose the feature between two heartbeats",
				"rule", t.String(), "heartbeat_interval", s.cfg.HeartbeatInterval.String())
		}
	}
}

// reapIdle reclaims the checkouts an options file's TIMEOUT ends at now.
func (s *Server) reapIdle(now time.Time) {
	if ids := s.engine.Idle(now); len(ids) > 0 {
		s.engine.Submit(engine.Reap{Now: now, Checkouts: ids})
	}
}
