// Package failover measures how long a HAL set takes to fail over: the
// time from kill -9 of the serving node to the first checkout the new
// serving node accepts, as a client that tries the three nodes sees it.
//
// Design: the set is three real licd processes (the binary given) on free
// loopback ports, set up by demo.SetupHAL and run with licd's default raft
// timeouts (Config.RaftTimeout tries others). Each round waits until #1 serves and all three agree (same
// term, same applied index, the followers hear from #1), runs a steady
// stream of checkout+checkin pairs from a few sessions (prober), kills #1
// with SIGKILL, and takes the first checkout another node accepts after
// the kill. Then the sessions check in everything they hold, #1 starts
// again with the same arguments, and the round ends when it serves again:
// that time is reported too. Every wait is bounded by Config.Wait.
package failover

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"
)

// ErrUsage marks a bad configuration value.
var ErrUsage = errors.New("usage")

// Config describes a measurement. Zero values take the defaults noted.
type Config struct {
	Licd     string        // the licd binary to run (required)
	Kills    int           // how many times to kill the serving node; default 20
	Clients  int           // sessions checking out and in meanwhile; default 4
	Timeout  time.Duration // bound on each request; default 2 s
	Wait     time.Duration // bound on each wait (the set settling, a takeover); default 60 s
	LogLevel string        // the nodes' --log-level; default warn (info logs every grant)
	// RaftTimeout, when set, is passed to the nodes as --raft-timeout;
	// 0 leaves licd's default, which is what the benchmark measures.
	RaftTimeout time.Duration
	// Dir receives the set's files and the nodes' logs and is kept; with
	// "" they go to a temporary dir, removed after a run that succeeded.
	Dir string
	// OnKill, when set, is called with each kill's figures as they come.
	OnKill func(Kill)
}

// Kill is one kill -9 of the serving node and what followed.
type Kill struct {
	N        int     `json:"kill"`
	Killed   int     `json:"killed"`    // the node killed (#1)
	TookOver int     `json:"took_over"` // the node that accepted the first checkout after it
	Ms       float64 `json:"ms"`        // kill → that checkout's reply
	// BackMs is from starting the killed node again until it serves and
	// the three agree again.
	BackMs float64 `json:"back_ms"`
}

// Result is the measurement.
type Result struct {
	Kills   int       `json:"kills"`
	P50     float64   `json:"p50_ms"`
	P90     float64   `json:"p90_ms"`
	Max     float64   `json:"max_ms"`
	Samples []float64 `json:"samples_ms"` // kill → first accepted checkout, in kill order
	Runs    []Kill    `json:"runs"`
	Clients int       `json:"clients"`
	Feature string    `json:"feature"`
	Nodes   [3]string `json:"nodes"` // the client addresses of #1, #2, #3
	// RaftTimeout is the --raft-timeout given to the nodes, "" for licd's
	// default.
	RaftTimeout string `json:"raft_timeout"`
}

func (c Config) withDefaults() (Config, error) {
	if c.Kills == 0 {
		c.Kills = 20
	}
	if c.Clients == 0 {
		c.Clients = 4
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Second
	}
	if c.Wait == 0 {
		c.Wait = time.Minute
	}
	if c.LogLevel == "" {
		c.LogLevel = "warn"
	}
	switch {
	case c.Licd == "":
		return c, fmt.Errorf("no licd binary given")
	case c.Kills < 1 || c.Kills > 1000:
		return c, fmt.Errorf("kills %d: give 1 to 1000", c.Kills)
	case c.Clients < 1 || c.Clients > 16:
		return c, fmt.Errorf("clients %d: give 1 to 16 (the HAL demo license's largest pool is 20)", c.Clients)
	case c.RaftTimeout < 0:
		return c, fmt.Errorf("raft timeout %v is negative", c.RaftTimeout)
	case c.Timeout < 10*time.Millisecond || c.Wait < time.Second:
		return c, fmt.Errorf("timeout %v, wait %v: give at least 10ms and 1s", c.Timeout, c.Wait)
	}
	return c, nil
}

// Run sets up a HAL set, measures cfg.Kills failovers and stops the set.
// On an error the set's files and logs are kept and the error names where.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	dir, temp := cfg.Dir, cfg.Dir == ""
	if temp {
		if dir, err = os.MkdirTemp("", "licbench-failover-"); err != nil {
			return nil, fmt.Errorf("work dir: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	res, err := runIn(ctx, cfg, dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w (the nodes' files and logs are kept in %s)", err, dir)
	case temp:
		os.RemoveAll(dir)
	}
	return res, nil
}

func runIn(ctx context.Context, cfg Config, dir string) (*Result, error) {
	extra := []string{"--log-level", cfg.LogLevel}
	if cfg.RaftTimeout > 0 {
		extra = append(extra, "--raft-timeout", cfg.RaftTimeout.String())
	}
	s, err := newSet(cfg.Licd, dir, extra)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	for id := 1; id <= 3; id++ {
		if err := s.start(id); err != nil {
			return nil, err
		}
	}
	m := &measurer{cfg: cfg, set: s}
	if err := m.settle(ctx); err != nil {
		return nil, fmt.Errorf("the new HAL set: %w", err)
	}
	if m.feature, err = m.pickFeature(ctx); err != nil {
		return nil, err
	}
	res := &Result{Kills: cfg.Kills, Clients: cfg.Clients, Feature: m.feature, Nodes: s.files.Clients}
	if cfg.RaftTimeout > 0 {
		res.RaftTimeout = cfg.RaftTimeout.String()
	}
	for k := 1; k <= cfg.Kills; k++ {
		kill, err := m.round(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("kill %d of %d: %w", k, cfg.Kills, err)
		}
		res.Runs = append(res.Runs, kill)
		res.Samples = append(res.Samples, kill.Ms)
		if cfg.OnKill != nil {
			cfg.OnKill(kill)
		}
	}
	res.P50, res.P90, res.Max = percentile(res.Samples, 50), percentile(res.Samples, 90), slices.Max(res.Samples)
	return res, nil
}

// percentile is the nearest-rank percentile p of samples.
func percentile(samples []float64, p float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(samples))
	rank := int(math.Ceil(float64(len(s))*p/100)) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// ms is d in milliseconds, to a tenth.
func ms(d time.Duration) float64 {
	return float64(d.Round(100*time.Microsecond)) / float64(time.Millisecond)
}
