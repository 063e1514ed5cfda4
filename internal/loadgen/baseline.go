package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// BaselineFeature is the feature the bare handler pretends to serve.
const BaselineFeature = "bare"

// Baseline runs cfg (its Server is ignored) against a bare net/http JSON
// handler in this process: it decodes each request into the protocol's
// type and encodes a well-formed reply, and does nothing else (no ledger,
// no database, no checks). The same client code drives it as drives a
// real server, so its throughput is the transport limit of this machine.
func Baseline(ctx context.Context, cfg Config) (*Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline listener: %w", err)
	}
	srv := &http.Server{Handler: BareHandler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	go srv.Serve(ln)
	defer srv.Close()
	cfg.Server = ln.Addr().String()
	cfg.Feature = BaselineFeature
	res, err := Run(ctx, cfg)
	if res != nil {
		res.Server = "bare net/http handler (in process)"
	}
	return res, err
}

// BareHandler is the baseline's handler: checkout, checkin, heartbeat and
// status, answered from the request alone. A session holds at most one
// checkout, whose id is derived from the session id, so heartbeats can list
// it without any state.
func BareHandler() http.Handler {
	const instance = "bare-baseline"
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(wire.InstanceHeader, instance)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST "+wire.PathCheckout, func(w http.ResponseWriter, r *http.Request) {
		var req wire.CheckoutRequest
		if !decodeBare(w, r, &req) {
			return
		}
		reply(w, wire.CheckoutReply{Instance: instance, CheckoutID: "c-" + req.Session, Feature: req.Feature,
			Version: "1.0", Count: 1, Since: time.Now(), LeaseSeconds: 105, HeartbeatSeconds: 30, Expires: "permanent"})
	})
	mux.HandleFunc("POST "+wire.PathCheckin, func(w http.ResponseWriter, r *http.Request) {
		var req wire.CheckinRequest
		if !decodeBare(w, r, &req) {
			return
		}
		reply(w, wire.CheckinReply{Instance: instance, Released: 1})
	})
	mux.HandleFunc("POST "+wire.PathHeartbeat, func(w http.ResponseWriter, r *http.Request) {
		var req wire.HeartbeatRequest
		if !decodeBare(w, r, &req) {
			return
		}
		reply(w, wire.HeartbeatReply{Instance: instance, LeaseUntil: time.Now().Add(105 * time.Second),
			HeartbeatSeconds: 30, Checkouts: []string{"c-" + req.Session}})
	})
	mux.HandleFunc("GET "+wire.PathStatus, func(w http.ResponseWriter, r *http.Request) {
		reply(w, wire.Status{Server: wire.ServerInfo{Instance: instance, Role: "single", Serving: true},
			Features: []wire.FeatureStatus{{Name: BaselineFeature, Version: "1.0", Count: 1_000_000, Expires: "permanent"}}})
	})
	return mux
}

func decodeBare(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":"bad_request","message":%q}}`+"\n", err.Error())
		return false
	}
	return true
}
