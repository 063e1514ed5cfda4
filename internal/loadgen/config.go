// Package loadgen drives a license server over the real protocol with the
// public client package (licenses): many simulated client sessions that
// check licenses out and in (churn), hold one and heartbeat (heartbeat), or
// both at once (mixed). It measures throughput and latency per request kind,
// counts errors by code, and reads the server's memory and CPU from its
// /metrics. licbench is its command line; Baseline serves the same protocol
// from a bare net/http handler so that a run can be put beside the transport
// limit.
//
// Design: every simulated client is one licenses.Client (one session). They
// share one HTTP transport with a bounded number of keep-alive connections
// (Config.Conns): 100,000 sessions on one machine cannot each keep a socket
// open, and a real client that heartbeats every 30 s to 2 min need not
// either. Latency is measured per request; with an open-loop rate (Rate, or
// the heartbeat schedule) it is measured from the time the request was due,
// so a server that falls behind shows it in its latency instead of hiding it
// by slowing the load down. Each worker goroutine keeps its own histograms
// and they are merged at the end, so measuring takes no locks.
package loadgen

import (
	"fmt"
	"io"
	"time"
)

// Mode is what the simulated clients do.
type Mode string

// Modes of a run.
const (
	// Churn: each of Clients sessions checks a license out and in again, in
	// a loop (closed loop), or at Rate pairs per second in all (open loop).
	Churn Mode = "churn"
	// Heartbeat: Sessions sessions check one license out each, then
	// heartbeat every Interval, spread evenly over the interval.
	Heartbeat Mode = "heartbeat"
	// Mixed: Sessions heartbeating sessions plus Clients churning ones.
	Mixed Mode = "mixed"
)

// ParseMode checks a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Churn, Heartbeat, Mixed:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: use churn, heartbeat or mixed", s)
}

// Config describes a run. Zero values take the defaults noted.
type Config struct {
	Server   string // host:port or URL of the license server
	Mode     Mode   // default Churn
	Feature  string // default: the served feature with the most free licenses
	Version  string // version asked for; "" takes any
	Clients  int    // churning sessions (churn, mixed); default 64
	Sessions int    // heartbeating sessions (heartbeat, mixed); default Clients in heartbeat mode, 1000 in mixed
	// Duration is how long the measured phase lasts; default 10 s. Setting
	// the sessions up before and closing them after is not measured.
	Duration time.Duration
	Interval time.Duration // heartbeat interval of each session; default 30 s
	// Rate, when above 0, makes churn open-loop: this many checkout+checkin
	// pairs per second in all, started on schedule whether or not earlier
	// ones finished (Clients then bounds how many run at once).
	Rate float64
	// Workers is how many goroutines send heartbeats; default 256 (at most
	// Sessions).
	Workers int
	// Conns bounds the HTTP connections all sessions share; default the
	// number of goroutines sending requests (Clients plus Workers), at most 1024.
	Conns int
	// NewConns sends every request on a new connection, closed after it:
	// clients that keep no connection open between heartbeats. It implies
	// Go's transport.
	NewConns bool
	// Transport is the HTTP client's transport: TransportLean (the
	// default; see leanTransport) or TransportNetHTTP, Go's own.
	Transport string
	// Timeout bounds each request; default 10 s.
	Timeout time.Duration
	// ServerPID, when set, is the local server process whose CPU time and
	// memory are read from /proc (Linux), for servers without those in
	// /metrics; it also gives the peak resident memory.
	ServerPID int
	// Progress, when set, receives a progress bar, redrawn in place.
	Progress io.Writer
}

// withDefaults fills in the defaults and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Mode == "" {
		c.Mode = Churn
	}
	if _, err := ParseMode(string(c.Mode)); err != nil {
		return c, err
	}
	if c.Server == "" {
		return c, fmt.Errorf("no server: give --server host:port")
	}
	if c.Clients == 0 {
		c.Clients = 64
	}
	if c.Sessions == 0 {
		switch c.Mode {
		case Heartbeat:
			c.Sessions = c.Clients
		case Mixed:
			c.Sessions = 1000
		}
	}
	if c.Mode == Heartbeat {
		c.Clients = 0
	}
	switch c.Transport {
	case "":
		c.Transport = TransportLean
	case TransportLean, TransportNetHTTP:
	default:
		return c, fmt.Errorf("transport %q: use %s or %s", c.Transport, TransportLean, TransportNetHTTP)
	}
	if c.NewConns {
		c.Transport = TransportNetHTTP
	}
	if c.Mode == Churn {
		c.Sessions = 0
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Interval == 0 {
		c.Interval = 30 * time.Second
	}
	if c.Workers == 0 {
		c.Workers = 256
	}
	c.Workers = min(c.Workers, c.Sessions)
	if c.Conns == 0 {
		c.Conns = min(max(c.Clients+c.Workers, 1), 1024)
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	switch {
	case c.Clients < 0 || c.Sessions < 0 || c.Workers < 0 || c.Conns < 0:
		return c, fmt.Errorf("clients, sessions, workers and conns must not be negative")
	case c.Clients+c.Sessions > 1_000_000:
		return c, fmt.Errorf("%d sessions is more than the 1,000,000 a license can count", c.Clients+c.Sessions)
	case c.Duration < 0 || c.Duration > 24*time.Hour:
		return c, fmt.Errorf("duration %v: give 1s to 24h", c.Duration)
	case c.Interval < 10*time.Millisecond:
		return c, fmt.Errorf("interval %v is shorter than 10ms", c.Interval)
	case c.Rate < 0 || c.Rate > 1e6:
		return c, fmt.Errorf("rate %g: give 0 (closed loop) to 1,000,000 pairs/s", c.Rate)
	case c.Rate > 0 && c.Mode == Heartbeat:
		return c, fmt.Errorf("--rate paces checkout+checkin pairs: use it with churn or mixed")
	}
	return c, nil
}
