package server

import (
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/version"
	"github.com/floatlic/floatlic/internal/wire"
)

// buckets are the latency histogram's upper bounds, in seconds.
var buckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// metrics keeps the counters behind /metrics (Prometheus text format).
type metrics struct {
	mu       sync.Mutex
	requests map[string]map[int]uint64 // path → status → count
	latency  map[string]*histogram
	denials  map[string]uint64
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[string]map[int]uint64{}, latency: map[string]*histogram{}, denials: map[string]uint64{}}
}

func (m *metrics) observe(path string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.requests[path] == nil {
		m.requests[path] = map[int]uint64{}
		m.latency[path] = &histogram{counts: make([]uint64, len(buckets)+1)}
	}
	m.requests[path][status]++
	h := m.latency[path]
	sec := d.Seconds()
	i := sort.SearchFloat64s(buckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

func (m *metrics) deny(code string) {
	m.mu.Lock()
	m.denials[code]++
	m.mu.Unlock()
}

func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	var b strings.Builder
	st := &wire.Status{}
	s.engine.Status(s.clock.Now(), st)
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
	gauge(&b, "floatlic_sessions", "Live client sessions.")
	fmt.Fprintf(&b, "floatlic_sessions %d\n", s.engine.Sessions())
	s.metrics.write(&b)
	gauge(&b, "process_resident_memory_bytes", "Resident memory of licd.")
	fmt.Fprintf(&b, "process_resident_memory_bytes %d\n", residentBytes())
	fmt.Fprintf(&b, "# HELP floatlic_build_info floatlic version.\n# TYPE floatlic_build_info gauge\nfloatlic_build_info{version=%q,instance=%q} 1\n",
		versionString(), s.instance)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	w.Header().Set(wire.InstanceHeader, s.instance)
	w.Write([]byte(b.String()))
}

func gauge(b *strings.Builder, name, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

func (m *metrics) write(b *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(b, "# HELP floatlic_denials_total Refused checkouts and borrows by code.\n# TYPE floatlic_denials_total counter\n")
	for _, code := range sortedKeys(m.denials) {
		fmt.Fprintf(b, "floatlic_denials_total{code=%q} %d\n", code, m.denials[code])
	}
	fmt.Fprintf(b, "# HELP floatlic_requests_total Requests by path and HTTP status.\n# TYPE floatlic_requests_total counter\n")
	for _, path := range sortedKeys(m.requests) {
		for _, status := range sortedKeys(m.requests[path]) {
			fmt.Fprintf(b, "floatlic_requests_total{path=%q,status=\"%d\"} %d\n", path, status, m.requests[path][status])
		}
	}
	fmt.Fprintf(b, "# HELP floatlic_request_duration_seconds Request latency.\n# TYPE floatlic_request_duration_seconds histogram\n")
	for _, path := range sortedKeys(m.latency) {
		h := m.latency[path]
		var cum uint64
		for i, le := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(b, "floatlic_request_duration_seconds_bucket{path=%q,le=%q} %d\n", path, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(b, "floatlic_request_duration_seconds_bucket{path=%q,le=\"+Inf\"} %d\n", path, h.n)
		fmt.Fprintf(b, "floatlic_request_duration_seconds_sum{path=%q} %g\n", path, h.sum)
		fmt.Fprintf(b, "floatlic_request_duration_seconds_count{path=%q} %d\n", path, h.n)
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

// residentBytes reads this process's RSS from /proc (0 where there is none).
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func versionString() string { return version.Version }
