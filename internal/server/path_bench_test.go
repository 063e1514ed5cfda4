package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// serve runs one request through the server's handler, in process: the
// server's own work per request (decode, ledger, SQLite, encode, metrics)
// without the network's.
func serve(b *testing.B, h http.Handler, path string, req, reply any) {
	body, _ := json.Marshal(req)
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		data, _ := io.ReadAll(w.Body)
		b.Fatalf("%s: %d %s", path, w.Code, data)
	}
	if err := json.Unmarshal(w.Body.Bytes(), reply); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkServerPath measures the server's work for a durable
// checkout+checkin pair, in process, from 64 goroutines so that commits
// are shared as under load; and for a heartbeat among 10,000 live sessions.
func BenchmarkServerPath(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		b.Run("pair/sync="+sync, func(b *testing.B) {
			s := servertest.Start(b, servertest.Options{Template: servertest.BigTemplate, Sync: sync,
				HeartbeatInterval: time.Minute, Lease: 5 * time.Minute})
			h := s.Server().Handler()
			var n atomic.Int64
			b.SetParallelism(32)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				c := newClient(fmt.Sprint("u", n.Add(1)))
				for i := 0; pb.Next(); i++ {
					var co wire.CheckoutReply
					serve(b, h, wire.PathCheckout, wire.CheckoutRequest{Client: c, RequestID: fmt.Sprint("r", i), Feature: "bench"}, &co)
					var ci wire.CheckinReply
					serve(b, h, wire.PathCheckin, wire.CheckinRequest{Client: c, CheckoutID: co.CheckoutID}, &ci)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
	b.Run("heartbeat", func(b *testing.B) {
		s := servertest.Start(b, servertest.Options{Template: servertest.BigTemplate, HeartbeatInterval: time.Minute, Lease: time.Hour})
		const live = 10_000
		sessions := liveSessions(b, s.Server().Engine(), live)
		h := s.Server().Handler()
		var n atomic.Int64
		b.SetParallelism(32)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var r wire.HeartbeatReply
				serve(b, h, wire.PathHeartbeat, wire.HeartbeatRequest{Client: sessions[n.Add(1)%live]}, &r)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heartbeats/s")
	})
}
