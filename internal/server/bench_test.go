package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// benchClient is a keep-alive HTTP client for concurrent load.
func benchClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns,
		MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}}
}

func benchPost(hc *http.Client, url string, req, reply any) error {
	b, _ := json.Marshal(req)
	resp, err := hc.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s", resp.Status, body)
	}
	return json.NewDecoder(resp.Body).Decode(reply)
}

// parallel runs n operations spread over clients goroutines and reports
// them per second as unit.
func parallel(b *testing.B, clients int, unit string, op func(client, i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				if err := op(c, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), unit)
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// BenchmarkCheckoutCheckin measures durable checkout+checkin pairs over real
// HTTP on loopback (sync full unless -sync normal is wanted: see the
// sync sub-benchmarks).
func BenchmarkCheckoutCheckin(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		for _, clients := range []int{1, 64} {
			b.Run(fmt.Sprintf("sync=%s/clients=%d", sync, clients), func(b *testing.B) {
				s := servertest.Start(b, servertest.Options{Template: servertest.BigTemplate, Sync: sync,
					HeartbeatInterval: time.Minute, Lease: 5 * time.Minute})
				url := "http://" + s.Addr
				hc := benchClient(clients)
				sessions := make([]wire.Client, clients)
				for i := range sessions {
					sessions[i] = newClient(fmt.Sprint("u", i))
				}
				parallel(b, clients, "pairs/s", func(c, i int) error {
					var co wire.CheckoutReply
					if err := benchPost(hc, url+wire.PathCheckout, wire.CheckoutRequest{Client: sessions[c],
						RequestID: fmt.Sprint("r", i), Feature: "bench"}, &co); err != nil {
						return err
					}
					var ci wire.CheckinReply
					return benchPost(hc, url+wire.PathCheckin, wire.CheckinRequest{Client: sessions[c], CheckoutID: co.CheckoutID}, &ci)
				})
			})
		}
	}
}

// BenchmarkHeartbeat measures heartbeats over HTTP from 64 connections while
// 10,000 sessions are live.
func BenchmarkHeartbeat(b *testing.B) {
	const live = 10_000
	s := servertest.Start(b, servertest.Options{Template: servertest.BigTemplate, HeartbeatInterval: time.Minute, Lease: time.Hour})
	sessions := liveSessions(b, s.Server().Engine(), live)
	url := "http://" + s.Addr + wire.PathHeartbeat
	hc := benchClient(64)
	parallel(b, 64, "heartbeats/s", func(_, i int) error {
		var r wire.HeartbeatReply
		return benchPost(hc, url, wire.HeartbeatRequest{Client: sessions[i%live]}, &r)
	})
}

// liveSessions gives n sessions one checkout each, straight through the
// engine, from 256 goroutines so that commits are shared.
func liveSessions(b testing.TB, e *engine.Engine, n int) []wire.Client {
	b.Helper()
	out := make([]wire.Client, n)
	for i := range out {
		out[i] = newClient(fmt.Sprint("user", i))
	}
	return liveSessionsAt(b, e, out, time.Now())
}

// liveSessionsAt checks out one license of feature bench for each client at now.
func liveSessionsAt(b testing.TB, e *engine.Engine, out []wire.Client, now time.Time) []wire.Client {
	b.Helper()
	n := len(out)
	var wg sync.WaitGroup
	var failed atomic.Pointer[wire.Error]
	for g := range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 256 {
				res := e.Submit(engine.Checkout{Now: now, Client: out[i], RequestID: "r", CheckoutID: fmt.Sprintf("co%d", i), Feature: "bench"})
				if res.Err != nil {
					failed.Store(res.Err)
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkSessionMemory reports the heap each live session (with one
// checkout) costs.
func BenchmarkSessionMemory(b *testing.B) {
	const n = 100_000
	for range b.N {
		s := servertest.Start(b, servertest.Options{Template: servertest.BigTemplate, HeartbeatInterval: time.Minute, Lease: time.Hour})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		liveSessions(b, s.Server().Engine(), n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/session")
		s.Stop()
	}
}

// BenchmarkStatus builds the status of 100,000 checkouts, as /v1/status does
// for licstat, and reports the longest a heartbeat sent meanwhile waited:
// the ledger is locked while the checkouts are copied.
func BenchmarkStatus(b *testing.B) {
	const n = 100_000
	s := servertest.Start(b, servertest.Options{Template: servertest.BigTemplate, HeartbeatInterval: time.Minute, Lease: time.Hour})
	e := s.Server().Engine()
	clients := liveSessions(b, e, n)
	var worst time.Duration
	b.ResetTimer()
	for range b.N {
		done := make(chan struct{})
		waited := make(chan time.Duration)
		go func() {
			var w time.Duration
			for i := 0; ; i++ {
				select {
				case <-done:
					waited <- w
					return
				default:
				}
				start := time.Now()
				e.Submit(engine.Heartbeat{Now: start, Client: clients[i%n]})
				w = max(w, time.Since(start))
			}
		}()
		s.Server().Status()
		close(done)
		worst = max(worst, <-waited)
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-heartbeat-wait-ms")
}

// BenchmarkBareHandler is the transport baseline: a net/http handler that
// decodes the same checkout request and encodes a reply, doing nothing else,
// driven the same way as BenchmarkCheckoutCheckin (two requests per pair).
func BenchmarkBareHandler(b *testing.B) {
	for _, clients := range []int{1, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			url := bareServer(b)
			hc := benchClient(clients)
			c := newClient("u")
			parallel(b, clients, "pairs/s", func(_, i int) error {
				var r wire.CheckoutReply
				if err := benchPost(hc, url, wire.CheckoutRequest{Client: c, RequestID: fmt.Sprint("r", i), Feature: "bench"}, &r); err != nil {
					return err
				}
				return benchPost(hc, url, wire.CheckoutRequest{Client: c, RequestID: fmt.Sprint("r", i), Feature: "bench"}, &r)
			})
		})
	}
}

func bareServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req wire.CheckoutRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(wire.CheckoutReply{CheckoutID: req.RequestID, Feature: req.Feature, Count: 1, Since: time.Now()})
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// A status reply is boosted (Config.Boost) on a big site, and the boost is
// over when the reply is.
func TestStatusBoostedOnABigSite(t *testing.T) {
	var boosts, dones atomic.Int32
	s := servertest.Start(t, servertest.Options{Template: servertest.BigTemplate, HeartbeatInterval: time.Minute, Lease: time.Hour,
		Boost: func() func() { boosts.Add(1); return func() { dones.Add(1) } }})
	fetch := func() {
		t.Helper()
		resp, err := http.Get("http://" + s.Addr + wire.PathStatus)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	fetch()
	if boosts.Load() != 0 {
		t.Fatalf("status of an empty site boosted")
	}
	liveSessions(t, s.Server().Engine(), 10_000)
	fetch()
	// The handler's done may run just after the client has read the reply.
	for deadline := time.Now().Add(5 * time.Second); dones.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if boosts.Load() != 1 || dones.Load() != 1 {
		t.Fatalf("status of 10,000 sessions: %d boosts, %d done; want 1, 1", boosts.Load(), dones.Load())
	}
}
