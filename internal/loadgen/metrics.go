package loadgen

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/procstat"
	"github.com/floatlic/floatlic/internal/wire"
)

// sample is the server's and this process's resource use at one moment.
type sample struct {
	at         time.Time
	server     bool    // the server's /metrics answered
	serverRSS  float64 // bytes
	serverCPU  float64 // seconds since the server started
	serverPeak int64   // peak resident bytes, from /proc only
	sessions   float64
	selfCPU    time.Duration
	selfRSS    int64
	selfHasCPU bool
	machine    procstat.Machine
	hasMachine bool
}

// sample reads the server's /metrics (best effort: a server without them,
// or the bare baseline handler, leaves the server fields unset), and with
// Config.ServerPID its CPU and memory from /proc.
func (r *run) sample(ctx context.Context) sample {
	s := sample{at: time.Now()}
	s.selfCPU, s.selfHasCPU = procstat.SelfCPU()
	s.selfRSS = procstat.SelfRSS()
	s.machine, s.hasMachine = procstat.MachineCPU()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if m, err := scrape(ctx, &http.Client{}, r.cfg.Server); err == nil {
		s.serverRSS, s.server = m["process_resident_memory_bytes"]
		s.serverCPU = m["process_cpu_seconds_total"]
		s.sessions = m["floatlic_sessions"]
	}
	if r.cfg.ServerPID > 0 {
		if ps, ok := procstat.Of(r.cfg.ServerPID); ok {
			s.server, s.serverCPU, s.serverRSS, s.serverPeak = true, ps.CPU.Seconds(), float64(ps.RSS), ps.Peak
		}
	}
	return s
}

// scrape reads the unlabelled samples of a Prometheus text page.
func scrape(ctx context.Context, hc *http.Client, server string) (map[string]float64, error) {
	url := server
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(url, "/")+wire.PathMetrics, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errStatus(resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

type errStatus string

func (e errStatus) Error() string { return "metrics: " + string(e) }
