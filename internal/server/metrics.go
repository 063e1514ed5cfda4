package server

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/hal"
	"github.com/floatlic/floatlic/internal/procstat"
	"github.com/floatlic/floatlic/internal/version"
	"github.com/floatlic/floatlic/internal/wire"
)

// buckets are the latency histogram's upper bounds, in seconds.
var buckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// bucketBounds are buckets as durations, for observe.
var bucketBounds = func() []time.Duration {
	out := make([]time.Duration, len(buckets))
	for i, b := range buckets {
		out[i] = time.Duration(b * float64(time.Second))
	}
	return out
}()

// metrics keeps the counters behind /metrics (Prometheus text format).
// Each endpoint's counters are made when its route is, so recording a
// request takes no lock: a few atomic adds.
type metrics struct {
	mu      sync.Mutex
	paths   map[string]*pathMetrics // set up by route registration, read-only after
	denials map[denialKey]uint64    // under mu
}

// denialKey labels a denial counter.
type denialKey struct{ feature, code string }

// pathMetrics are one endpoint's request counts by status and its latency
// histogram.
type pathMetrics struct {
	status [600]atomic.Uint64              // by HTTP status code
	counts [len(buckets) + 1]atomic.Uint64 // per bucket, not cumulative
	sumNs  atomic.Int64
	n      atomic.Uint64
}

func newMetrics() *metrics {
	return &metrics{paths: map[string]*pathMetrics{}, denials: map[denialKey]uint64{}}
}

// path returns path's counters, making them on first use. Call it while
// setting up routes, not per request.
func (m *metrics) path(path string) *pathMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	pm := m.paths[path]
	if pm == nil {
		pm = &pathMetrics{}
		m.paths[path] = pm
	}
	return pm
}

func (pm *pathMetrics) observe(status int, d time.Duration) {
	if status < 0 || status >= len(pm.status) {
		status = 0
	}
	pm.status[status].Add(1)
	i := 0
	for i < len(bucketBounds) && d > bucketBounds[i] {
		i++
	}
	pm.counts[i].Add(1)
	pm.sumNs.Add(int64(d))
	pm.n.Add(1)
}

// deny counts a denial. An unknown feature's name is not a label: any
// client could make up names without end, so those count under "".
func (m *metrics) deny(feature, code string) {
	if code == wire.CodeUnknownFeature {
		feature = ""
	}
	m.mu.Lock()
	m.denials[denialKey{feature, code}]++
	m.mu.Unlock()
}

func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	var b strings.Builder
	st := &wire.Status{Features: s.engine.FeatureStatus(s.clock.Now())}
	gauge(&b, "floatlic_license_count", "Licenses of each feature (COUNT).")
	for _, f := range st.Features {
		fmt.Fprintf(&b, "floatlic_license_count{feature=%q} %d\n", f.Name, f.Count)
	}
	gauge(&b, "floatlic_licenses_in_use", "Licenses checked out now.")
	for _, f := range st.Features {
		fmt.Fprintf(&b, "floatlic_licenses_in_use{feature=%q} %d\n", f.Name, f.InUse)
	}
	gauge(&b, "floatlic_licenses_borrowed", "Licenses borrowed now.")
	for _, f := range st.Features {
		fmt.Fprintf(&b, "floatlic_licenses_borrowed{feature=%q} %d\n", f.Name, f.Borrowed)
	}
	gauge(&b, "floatlic_grace_in_use", "Grace licenses reported in use (not counted against COUNT).")
	for _, f := range st.Features {
		fmt.Fprintf(&b, "floatlic_grace_in_use{feature=%q} %d\n", f.Name, f.Grace)
	}
	writeExpiry(&b, s.engine.Features(), s.clock.Now())
	gauge(&b, "floatlic_sessions", "Live client sessions.")
	fmt.Fprintf(&b, "floatlic_sessions %d\n", s.engine.Sessions())
	if s.hal != nil {
		writeHAL(&b, s.hal)
	}
	s.metrics.write(&b)
	writeCommitStats(&b, s.engine.CommitStats())
	gauge(&b, "process_resident_memory_bytes", "Resident memory of licd.")
	fmt.Fprintf(&b, "process_resident_memory_bytes %d\n", procstat.SelfRSS())
	if cpu, ok := procstat.SelfCPU(); ok {
		seconds(&b, "process_cpu_seconds_total", "CPU time licd used, user and system.", cpu)
	}
	gauge(&b, "go_gomaxprocs", "Cores licd runs Go code on now (GOMAXPROCS).")
	fmt.Fprintf(&b, "go_gomaxprocs %d\n", runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "# HELP floatlic_build_info floatlic version.\n# TYPE floatlic_build_info gauge\nfloatlic_build_info{version=%q,instance=%q} 1\n",
		versionString(), s.instance)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	w.Header().Set(wire.InstanceHeader, s.instance)
	w.Write([]byte(b.String()))
}

// writeHAL exports a HAL node's own view: alert on a set where no node
// reports serving, or on a node whose applied index falls behind.
func writeHAL(b *strings.Builder, n *hal.Node) {
	var st wire.Status
	n.Status(&st)
	node := fmt.Sprintf("{node=\"%d\",role=%q}", st.Server.HALID, st.Server.Role)
	gauge(b, "floatlic_hal_serving", "1 while this HAL node serves client requests.")
	fmt.Fprintf(b, "floatlic_hal_serving%s %d\n", node, b2i(st.Server.Serving))
	gauge(b, "floatlic_hal_quorum", "1 while this HAL node serves or hears from the node that does.")
	fmt.Fprintf(b, "floatlic_hal_quorum%s %d\n", node, b2i(st.Server.Quorum))
	gauge(b, "floatlic_hal_term", "This HAL node's raft term.")
	fmt.Fprintf(b, "floatlic_hal_term%s %d\n", node, st.Server.Term)
	gauge(b, "floatlic_hal_applied_index", "The last raft entry applied to this HAL node's ledger.")
	fmt.Fprintf(b, "floatlic_hal_applied_index%s %d\n", node, st.Server.Applied)
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func writeCommitStats(b *strings.Builder, cs engine.CommitStats) {
	counter(b, "floatlic_batches_total", "Batches of commands applied (one transaction each, if any wrote).", cs.Batches)
	counter(b, "floatlic_batch_commands_total", "Commands in those batches: divided by batches, the group-commit batch size.", cs.Commands)
	counter(b, "floatlic_commits_total", "Transactions committed to the store.", cs.Commits)
	seconds(b, "floatlic_commit_seconds_total", "Time spent writing and committing transactions, fsync included.", cs.CommitTime)
}

func seconds(b *strings.Builder, name, help string, d time.Duration) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s %g\n", name, help, name, name, d.Seconds())
}

func counter(b *strings.Builder, name, help string, v uint64) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
}

func gauge(b *strings.Builder, name, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

func (m *metrics) write(b *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// The feature label came with usage reports; sum by (code) gives the
	// series that had the code alone.
	fmt.Fprintf(b, "# HELP floatlic_denials_total Refused checkouts and borrows by feature and code.\n# TYPE floatlic_denials_total counter\n")
	keys := make([]denialKey, 0, len(m.denials))
	for k := range m.denials {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].feature < keys[j].feature || keys[i].feature == keys[j].feature && keys[i].code < keys[j].code
	})
	for _, k := range keys {
		fmt.Fprintf(b, "floatlic_denials_total{feature=%q,code=%q} %d\n", k.feature, k.code, m.denials[k])
	}
	paths := sortedKeys(m.paths)
	fmt.Fprintf(b, "# HELP floatlic_requests_total Requests by path and HTTP status.\n# TYPE floatlic_requests_total counter\n")
	for _, path := range paths {
		pm := m.paths[path]
		for status := range pm.status {
			if n := pm.status[status].Load(); n > 0 {
				fmt.Fprintf(b, "floatlic_requests_total{path=%q,status=\"%d\"} %d\n", path, status, n)
			}
		}
	}
	fmt.Fprintf(b, "# HELP floatlic_request_duration_seconds Request latency.\n# TYPE floatlic_request_duration_seconds histogram\n")
	for _, path := range paths {
		pm := m.paths[path]
		n := pm.n.Load()
		if n == 0 {
			continue
		}
		var cum uint64
		for i, le := range buckets {
			cum += pm.counts[i].Load()
			fmt.Fprintf(b, "floatlic_request_duration_seconds_bucket{path=%q,le=%q} %d\n", path, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		cum += pm.counts[len(buckets)].Load()
		fmt.Fprintf(b, "floatlic_request_duration_seconds_bucket{path=%q,le=\"+Inf\"} %d\n", path, cum)
		fmt.Fprintf(b, "floatlic_request_duration_seconds_sum{path=%q} %g\n", path, time.Duration(pm.sumNs.Load()).Seconds())
		fmt.Fprintf(b, "floatlic_request_duration_seconds_count{path=%q} %d\n", path, cum)
	}
}

func sortedKeys[K int | string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

func versionString() string { return version.Version }
