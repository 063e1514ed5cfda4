package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/procstat"
)

// Result is what a run measured. Its JSON form is what `licbench --json`
// prints.
type Result struct {
	Mode       Mode    `json:"mode"`
	Server     string  `json:"server"`
	Feature    string  `json:"feature,omitempty"`
	Clients    int     `json:"clients"`              // churning sessions
	Sessions   int     `json:"sessions"`             // heartbeating sessions
	IntervalS  float64 `json:"interval_s,omitempty"` // heartbeat interval
	TargetRate float64 `json:"target_rate,omitempty"`
	Conns      int     `json:"conns"`
	NewConns   bool    `json:"new_conns,omitempty"` // a new connection per request
	Transport  string  `json:"transport"`           // the HTTP client's: lean or net/http
	DurationS  float64 `json:"duration_s"`
	// Op is what one operation is: a checkout+checkin "pair" (churn), a
	// "heartbeat", or in mixed mode "op" (either).
	Op        string  `json:"op"`
	Ops       uint64  `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	// The latency of the main request: checkout (churn, mixed) or
	// heartbeat, in milliseconds.
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	P999ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
	// Errors counts failed requests; ErrorsByCode splits them by code
	// (count_exhausted, no_server, timeout, ...), ErrorSamples holds one
	// message per code.
	Errors       uint64            `json:"errors"`
	ErrorsByCode map[string]uint64 `json:"errors_by_code"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	// Requests has the figures of each request kind sent.
	Requests map[string]RequestStats `json:"requests"`
	// StartLag is how late licbench itself began operations after their
	// due times, when they have due times (--rate, heartbeats): its own
	// share of the latencies, which count from the due time.
	StartLag *RequestStats `json:"start_lag,omitempty"`
	// ReadLag is how long replies waited in licbench's socket before it had
	// read them: its own share on the receiving side. AtSocket has each
	// request kind's latency until the reply reached the socket, which
	// leaves that share out. Both need the kernel's receive times (Linux,
	// lean transport).
	ReadLag  *RequestStats           `json:"read_lag,omitempty"`
	AtSocket map[string]RequestStats `json:"at_socket,omitempty"`
	// From the server's /metrics, when it has them.
	ServerRSSBytes   int64   `json:"server_rss_bytes,omitempty"`
	ServerPeakBytes  int64   `json:"server_peak_rss_bytes,omitempty"` // with --pid only
	ServerCPUPercent float64 `json:"server_cpu_percent,omitempty"`    // of one core, over the run
	ServerSessions   int     `json:"server_sessions,omitempty"`
	// This process (licbench: the load generator, and with baseline the
	// bare handler too).
	LoadgenRSSBytes   int64   `json:"loadgen_rss_bytes,omitempty"`
	LoadgenCPUPercent float64 `json:"loadgen_cpu_percent,omitempty"`
	// Machine is what the whole machine's cores did over the run (Linux).
	Machine *MachineStats `json:"machine,omitempty"`
}

// MachineStats are the whole machine's CPU figures over a run, in percent of
// the time of all its cores together.
type MachineStats struct {
	Cores       int     `json:"cores"`
	BusyPercent float64 `json:"busy_percent"`
	// StealPercent is time the cores were ready to run but the hypervisor
	// (on a virtual machine) ran something else. Every process waited
	// meanwhile, which adds to latencies without showing in anyone's CPU:
	// runs with steal are not comparable with runs without.
	StealPercent float64 `json:"steal_percent"`
}

// RequestStats are the figures of one request kind.
type RequestStats struct {
	Count  uint64  `json:"count"`
	PerSec float64 `json:"per_sec"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	P999ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *run) result(rec *recorder, elapsed time.Duration, before, after sample) *Result {
	c := r.cfg
	res := &Result{Mode: c.Mode, Server: c.Server, Feature: r.feature, Clients: c.Clients, Sessions: c.Sessions,
		TargetRate: c.Rate, Conns: c.Conns, NewConns: c.NewConns, Transport: c.Transport, DurationS: elapsed.Seconds(), Ops: rec.ops,
		OpsPerSec: float64(rec.ops) / elapsed.Seconds(), ErrorsByCode: rec.errs, ErrorSamples: rec.sample,
		Requests: map[string]RequestStats{}}
	if c.Sessions > 0 {
		res.IntervalS = c.Interval.Seconds()
	}
	res.Op = map[Mode]string{Churn: "pair", Heartbeat: "heartbeat", Mixed: "op"}[c.Mode]
	for k, h := range rec.hists {
		if h.Count() > 0 {
			res.Requests[kindNames[k]] = stats(h, elapsed)
		}
	}
	if rec.lag.Count() > 0 {
		lag := stats(rec.lag, elapsed)
		res.StartLag = &lag
	}
	if rec.readLag.Count() > 0 {
		lag := stats(rec.readLag, elapsed)
		res.ReadLag = &lag
		res.AtSocket = map[string]RequestStats{}
		for k, h := range rec.socket {
			if h.Count() > 0 {
				res.AtSocket[kindNames[k]] = stats(h, elapsed)
			}
		}
	}
	h := rec.hists[mainKind(c.Mode)]
	res.P50ms, res.P99ms, res.P999ms, res.MaxMs = ms(h.Quantile(0.5)), ms(h.Quantile(0.99)), ms(h.Quantile(0.999)), ms(h.Max())
	for _, n := range rec.errs {
		res.Errors += n
	}
	wall := after.at.Sub(before.at).Seconds()
	if after.server && wall > 0 {
		res.ServerRSSBytes, res.ServerPeakBytes = int64(after.serverRSS), after.serverPeak
		res.ServerSessions = int(after.sessions)
		if after.serverCPU > 0 {
			res.ServerCPUPercent = 100 * (after.serverCPU - before.serverCPU) / wall
		}
	}
	if before.hasMachine && after.hasMachine {
		res.Machine = machineStats(after.machine.Sub(before.machine))
	}
	res.LoadgenRSSBytes = after.selfRSS
	if after.selfHasCPU && wall > 0 {
		res.LoadgenCPUPercent = 100 * (after.selfCPU - before.selfCPU).Seconds() / wall
	}
	return res
}

// mainKind is the request whose latency a run's headline figures give:
// checkout, or heartbeat in heartbeat mode.
func mainKind(m Mode) kind {
	if m == Heartbeat {
		return kindHeartbeat
	}
	return kindCheckout
}

func machineStats(d procstat.Machine) *MachineStats {
	total := d.Total()
	if total <= 0 {
		return nil
	}
	pct := func(x time.Duration) float64 { return 100 * float64(x) / float64(total) }
	return &MachineStats{Cores: d.Cores, BusyPercent: pct(d.Busy), StealPercent: pct(d.Steal)}
}

func stats(h *Histogram, elapsed time.Duration) RequestStats {
	return RequestStats{Count: h.Count(), PerSec: float64(h.Count()) / elapsed.Seconds(),
		P50ms: ms(h.Quantile(0.5)), P99ms: ms(h.Quantile(0.99)), P999ms: ms(h.Quantile(0.999)),
		MaxMs: ms(h.Max()), MeanMs: ms(h.Mean())}
}

// WriteText writes the result for people: one line per figure.
func (res *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s against %s, feature %s: %s\n", res.Mode, res.Server, res.Feature, res.load())
	fmt.Fprintf(&b, "  %-10s %s %ss in %.1fs: %s/s\n", "throughput", group(float64(res.Ops)), res.Op, res.DurationS, group(res.OpsPerSec))
	for _, k := range kindNames {
		if s, ok := res.Requests[k]; ok {
			fmt.Fprintf(&b, "  %-10s p50 %s  p99 %s  p99.9 %s  max %s  (%s, %s/s)\n", k,
				fmtMs(s.P50ms), fmtMs(s.P99ms), fmtMs(s.P999ms), fmtMs(s.MaxMs), group(float64(s.Count)), group(s.PerSec))
		}
	}
	if s := res.StartLag; s != nil {
		fmt.Fprintf(&b, "  %-10s p50 %s  p99 %s  p99.9 %s  max %s  (licbench's own delay, included above)\n", "start lag",
			fmtMs(s.P50ms), fmtMs(s.P99ms), fmtMs(s.P999ms), fmtMs(s.MaxMs))
	}
	if s := res.ReadLag; s != nil {
		fmt.Fprintf(&b, "  %-10s p50 %s  p99 %s  p99.9 %s  max %s  (replies waiting to be read: licbench's own delay, included above)\n", "read lag",
			fmtMs(s.P50ms), fmtMs(s.P99ms), fmtMs(s.P999ms), fmtMs(s.MaxMs))
		main := kindNames[mainKind(res.Mode)]
		if s, ok := res.AtSocket[main]; ok {
			fmt.Fprintf(&b, "  %-10s p50 %s  p99 %s  p99.9 %s  max %s  (%s, until the reply reached licbench's socket)\n", "at socket",
				fmtMs(s.P50ms), fmtMs(s.P99ms), fmtMs(s.P999ms), fmtMs(s.MaxMs), main)
		}
	}
	fmt.Fprintf(&b, "  %-10s %s\n", "errors", res.errorLine())
	if res.ServerRSSBytes > 0 {
		peak := ""
		if res.ServerPeakBytes > 0 {
			peak = " (peak " + mib(res.ServerPeakBytes) + ")"
		}
		cpu := "CPU unknown (give --pid)"
		if res.ServerCPUPercent > 0 {
			cpu = fmt.Sprintf("CPU %.1f%% of one core", res.ServerCPUPercent)
		}
		sessions := ""
		if res.ServerSessions > 0 {
			sessions = fmt.Sprintf(", %s live sessions", group(float64(res.ServerSessions)))
		}
		fmt.Fprintf(&b, "  %-10s RSS %s%s, %s%s\n", "server", mib(res.ServerRSSBytes), peak, cpu, sessions)
	}
	if res.LoadgenRSSBytes > 0 {
		fmt.Fprintf(&b, "  %-10s RSS %s, CPU %.0f%% of one core\n", "licbench", mib(res.LoadgenRSSBytes), res.LoadgenCPUPercent)
	}
	if m := res.Machine; m != nil {
		fmt.Fprintf(&b, "  %-10s %d cores, %.0f%% busy, steal %.2f%% (time the hypervisor took from them)\n", "machine",
			m.Cores, m.BusyPercent, m.StealPercent)
	}
	if res.TargetRate > 0 && res.OpsPerSec < 0.95*res.TargetRate {
		fmt.Fprintf(&b, "  note: %s/s asked for, %s/s reached: the server (or this machine) is saturated\n",
			group(res.TargetRate), group(res.OpsPerSec))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (res *Result) load() string {
	var parts []string
	if res.Clients > 0 {
		s := fmt.Sprintf("%d churning clients", res.Clients)
		if res.TargetRate > 0 {
			s += fmt.Sprintf(" at %s pairs/s", group(res.TargetRate))
		}
		parts = append(parts, s)
	}
	if res.Sessions > 0 {
		parts = append(parts, fmt.Sprintf("%s sessions heartbeating every %gs", group(float64(res.Sessions)), res.IntervalS))
	}
	conns := fmt.Sprintf(", %d connections (%s transport)", res.Conns, res.Transport)
	if res.NewConns {
		conns = fmt.Sprintf(", a new connection per request (at most %d at once)", res.Conns)
	}
	return strings.Join(parts, " and ") + conns
}

func (res *Result) errorLine() string {
	if res.Errors == 0 {
		return "none"
	}
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(res.ErrorsByCode)) {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", code, group(float64(res.ErrorsByCode[code])), res.ErrorSamples[code]))
	}
	return group(float64(res.Errors)) + ": " + strings.Join(parts, "; ")
}

func fmtMs(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.1fms", v)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// group formats v with thousands separators, to one decimal below 100.
func group(v float64) string {
	if v < 100 && v != float64(int64(v)) {
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%d", int64(v+0.5))
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
