// Package server is licd: it loads signed license files, keeps the ledger
// (internal/engine) in SQLite (internal/store), and serves the HTTP/JSON
// protocol of internal/wire.
//
// Design: handlers only decode a request, turn it into an engine command
// (with the time from the injected clock and fresh ids), submit it and
// encode the result. The engine commits each batch of commands, one batch
// at a time, before any reply leaves, so what a client was told is what a
// restart finds. A reaper submits Reap commands when leases or borrows run
// out. Events from each committed batch are logged and fanned out to
// /v1/events subscribers. Every request is served by net/http and decoded
// and encoded by encoding/json.
package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/datadir"
	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/hal"
	"github.com/floatlic/floatlic/internal/policy"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// Defaults, as the README documents them (Running the license server).
const (
	DefaultHeartbeat = 2 * time.Minute
	DefaultListen    = "127.0.0.1:6200"
	// DefaultClockTolerance is how far the clock may read behind the
	// newest time in the database before it is taken as set back.
	DefaultClockTolerance = 5 * time.Minute
)

// DefaultLease is 3 heartbeat intervals plus slack.
func DefaultLease(heartbeat time.Duration) time.Duration {
	return 3*heartbeat + heartbeat/2
}

// RestartFloor is the least lease a session gets at a restart: one heartbeat
// interval for a live client to send its next one, and half of one for it
// to get through (engine.Config.RestartFloor).
func RestartFloor(heartbeat time.Duration) time.Duration {
	return heartbeat + heartbeat/2
}

// Config configures a server.
type Config struct {
	Licenses          []string          // license file paths
	Options           string            // options file path (see package policy); empty: none
	VendorPub         ed25519.PublicKey // verifies the licenses
	DataDir           string
	AdminToken        string // empty: admin endpoints refuse everything
	HeartbeatInterval time.Duration
	Lease             time.Duration
	ReapInterval      time.Duration // how often leases are checked; 0: heartbeat/4, at most 10 s
	Sync              string        // store.SyncFull or store.SyncNormal
	DenyLogInterval   time.Duration // repeated denials are logged as one line per feature and code per interval; 0: 10 s
	// ClockTolerance is how far the clock may read behind the newest time
	// in the database before it is taken as set back (see
	// engine.Config.ClockTolerance); 0: 5 minutes.
	ClockTolerance time.Duration
	Clock          clock.Clock
	Logger         *slog.Logger
	// HAL, when set, makes the server one node of a HAL set.
	HAL *HALConfig
	// Boost, when set, is called around a status reply for a big site,
	// which takes a few tenths of a second of CPU: licd's main lets Go code
	// use every core until done is called (see package maxprocs).
	Boost func() (done func())
	// OnStop, when set, is called once an admin has asked licd to stop
	// (POST /v1/admin/stop): licd's main shuts down as on SIGTERM. Nil:
	// the endpoint refuses.
	OnStop func()
}

// Server is a running licd.
type Server struct {
	cfg      Config
	clock    clock.Clock
	log      *slog.Logger
	lock     *datadir.Lock // held from New to Close
	store    *store.Store
	engine   *engine.Engine
	key      ed25519.PrivateKey
	keyText  string
	instance string
	// instanceHeader is the instance id as a reply header's value, made
	// once: every reply carries it.
	instanceHeader []string
	started        time.Time
	broker         *broker
	metrics        *metrics
	denials        *denyLog
	expiry         expiryLog
	http           *http.Server
	hal            *hal.Node         // nil on a single node
	local          []*engine.Feature // the features of this node's own license files
	localPolicy    *policy.Policy    // and its options file's rules, with them on s.mu

	mu   sync.Mutex
	addr string
	stop chan struct{}
	wg   sync.WaitGroup
}

// New loads the licenses, locks cfg.DataDir (see package datadir), opens
// the store in it and starts the ledger. It refuses to start on any invalid
// license file, and on a data dir another licd holds. It writes nothing to
// the database: Serve does.
func New(cfg Config) (*Server, error) {
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultHeartbeat
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease(cfg.HeartbeatInterval)
	}
	if cfg.Lease < cfg.HeartbeatInterval {
		return nil, fmt.Errorf("lease %v is shorter than the heartbeat interval %v: every client would lose its licenses", cfg.Lease, cfg.HeartbeatInterval)
	}
	if cfg.ClockTolerance <= 0 {
		cfg.ClockTolerance = DefaultClockTolerance
	}
	if cfg.ReapInterval <= 0 {
		cfg.ReapInterval = min(max(cfg.HeartbeatInterval/4, 10*time.Millisecond), 10*time.Second)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	s := &Server{cfg: cfg, clock: clock.Or(cfg.Clock), log: cfg.Logger, stop: make(chan struct{})}
	s.instance = randomID()
	s.instanceHeader = []string{s.instance}
	s.started = s.clock.Now()
	features, err := LoadFeatures(cfg.Licenses, cfg.VendorPub)
	if err != nil {
		return nil, err
	}
	halServers, err := checkHAL(features, cfg.HAL)
	if err != nil {
		return nil, err
	}
	s.local = features
	if s.localPolicy, err = loadPolicy(cfg.Options, features); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := datadir.CheckDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if s.lock, err = datadir.Take(cfg.DataDir); err != nil {
		return nil, err
	}
	if err := s.openStore(); err != nil {
		s.lock.Release()
		return nil, err
	}
	s.broker = newBroker()
	s.metrics = newMetrics()
	s.warnTokens(features)
	s.warnTimeouts(s.localPolicy)
	s.warnExpiry(features, s.clock.Now())
	s.denials = newDenyLog(s.log, cfg.DenyLogInterval)
	s.engine, err = engine.Open(s.store, features, engine.Config{Lease: cfg.Lease, OnHealth: s.onHealth,
		RestartFloor: RestartFloor(cfg.HeartbeatInterval), ClockTolerance: cfg.ClockTolerance, OnWindback: s.onWindback,
		Replicated: cfg.HAL != nil}, s.clock.Now(), s.onEvents)
	if err != nil {
		s.store.Close()
		s.lock.Release()
		return nil, err
	}
	if cfg.HAL == nil {
		s.engine.UsePolicy(s.localPolicy)
	} else {
		if err := s.startHAL(halServers); err != nil {
			s.engine.Close()
			s.store.Close()
			s.lock.Release()
			return nil, err
		}
	}
	s.engine.Clock(s.clock.Now()) // a clock set back is logged at start, not at the first checkout
	for _, f := range features {
		if !f.HostOK {
			s.log.Warn("feature is locked to another host: every checkout will be refused",
				"feature", f.Name, "hostid", strings.Join(f.HostIDs, " "))
		}
	}
	s.wg.Add(1) // here, not in Serve, so that Close can never race the start
	go s.reaper()
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second, // the events stream extends its own deadline
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// openStore reads the server key and opens the database, in the locked
// data dir.
func (s *Server) openStore() error {
	var err error
	if s.key, err = token.LoadKey(s.cfg.DataDir); err != nil {
		return err
	}
	warn, err := datadir.CheckSecret(filepath.Join(s.cfg.DataDir, "server.key"))
	if err != nil {
		return fmt.Errorf("server key: %w", err)
	}
	if warn != "" {
		s.log.Warn("server key: " + warn)
	}
	s.keyText = token.PublicText(s.key)
	sync := s.cfg.Sync
	if s.cfg.HAL != nil {
		// The raft log, flushed on two nodes before any reply, is what
		// makes a change durable; a database that lost its last commits to
		// a power cut replays them from it (package hal).
		sync = store.SyncNormal
	}
	s.store, err = store.Open(filepath.Join(s.cfg.DataDir, "licd.db"), store.Options{Sync: sync})
	return err
}

// Serve serves on ln until Close. It returns nil after Close. The start
// event is written here, not in New: a start that fails before it has a
// listener (a busy port) leaves the database as it found it.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	if s.hal != nil { // a HAL node records its start when it serves (takeOver)
		s.log.Info("HAL node listening", "node", s.hal.ID(), "role", hal.RoleOf(s.hal.ID()), "addr", s.addr,
			"instance", s.instance, "features", len(s.engine.Features()), "sessions", s.engine.Sessions())
	} else {
		s.engine.Submit(engine.Note{Now: s.clock.Now(), Kind: wire.EventStart, Detail: "instance " + s.instance})
		s.log.Info("serving", "addr", s.addr, "instance", s.instance, "features", len(s.engine.Features()),
			"sessions", s.engine.Sessions())
	}
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Addr returns the address Serve listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Instance returns this run's instance id.
func (s *Server) Instance() string { return s.instance }

// Handler returns the HTTP handler, for in-process tests and fuzzing.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Store returns the database, for tests.
func (s *Server) Store() *store.Store { return s.store }

// Engine returns the ledger, for tests and benchmarks.
func (s *Server) Engine() *engine.Engine { return s.engine }

// Close stops serving (waiting up to the context for requests in flight),
// stops the ledger and closes the store.
func (s *Server) Close(ctx context.Context) error {
	close(s.stop)
	s.broker.close()
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	s.wg.Wait()
	if s.hal != nil {
		if e := s.hal.Close(); e != nil && err == nil {
			err = e
		}
	}
	if e := s.engine.Close(); e != nil && err == nil {
		err = e
	}
	s.denials.flush(time.Unix(1<<62, 0)) // what is held back is logged before exit
	if e := s.store.Close(); e != nil && err == nil {
		err = e
	}
	s.lock.Release()
	return err
}

// reaper reclaims expired leases and borrows, and trims the audit trail.
func (s *Server) reaper() {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.ReapInterval)
	defer tick.Stop()
	lastPrune := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.engine.Health() // notices a database file removed while nothing is written
		now := s.clock.Now()
		s.denials.flush(now)
		s.warnExpiryDaily(now)
		if s.serving() { // on a HAL set, only the serving node knows the leases
			s.reap(now)
			s.reapIdle(now)
		}
		s.flushHeartbeats(now)
		if time.Since(lastPrune) > 10*time.Minute {
			lastPrune = time.Now()
			if _, err := s.engine.PruneEvents(); err != nil {
				s.log.Error("prune events", "err", err)
			}
		}
	}
}

// reap reclaims what ran out at now: expired sessions a chunk per batch,
// in turns (see inTurns), so that a mass expiry (a site cut off for longer
// than the lease) never holds up live requests.
func (s *Server) reap(now time.Time) {
	sessions, others := s.engine.Due(now)
	if others && len(sessions) == 0 {
		s.engine.Submit(engine.Reap{Now: now})
	}
	s.inTurns(len(sessions)/reapChunk+1, func() bool {
		if len(sessions) == 0 {
			return false
		}
		n := min(len(sessions), reapChunk)
		s.engine.Submit(engine.Reap{Now: now, Sessions: sessions[:n]})
		sessions = sessions[n:]
		return true
	})
}

// reapChunk is how many expired sessions one batch reclaims: about 3 ms of
// work.
const reapChunk = 64

// flushHeartbeats writes the heartbeat times heard since the last flush, a
// chunk per batch, in turns. Heartbeats start no batch, so when they are
// all that arrives nothing else would write them.
func (s *Server) flushHeartbeats(now time.Time) {
	s.inTurns(maxFlushBatches, func() bool {
		if !s.engine.FlushDue(now) {
			return false
		}
		s.engine.Submit(engine.Flush{Now: now})
		return true
	})
}

// maxFlushBatches bounds one reaper round's flush: 4,096 chunks of 512
// sessions, two million sessions; what is left waits for the next round.
const maxFlushBatches = 4096

// inTurns runs step, a batch of background work, until it reports nothing
// left (at most limit times), and after each step leaves the server to
// other requests for as long as the step took: the work takes at most half
// the server's time, and no request waits behind more than one step.
func (s *Server) inTurns(limit int, step func() bool) {
	for range limit {
		start := time.Now()
		if !step() {
			return
		}
		select {
		case <-s.stop:
			return
		case <-time.After(time.Since(start)):
		}
	}
}

// onHealth logs when commits start failing, fail for another cause, or
// succeed again: once each, not once per refused request.
func (s *Server) onHealth(err error) {
	if err == nil {
		s.log.Info("the database records again: serving", "db", s.store.Path())
		return
	}
	s.log.Error("the database cannot record: every change is refused until this is fixed",
		"db", s.store.Path(), "err", err)
}

// onWindback logs a clock found set back.
func (s *Server) onWindback(newest, now time.Time) {
	s.log.Error("the server's clock was set back: features with an EXPIRE or START date are refused until it is corrected",
		"clock", now.UTC().Format(time.RFC3339), "recorded", newest.UTC().Format(time.RFC3339),
		"tolerance", s.cfg.ClockTolerance.String())
}

// onEvents runs after each commit, on the goroutine that applied the batch.
func (s *Server) onEvents(evs []wire.Event) {
	for _, e := range evs {
		s.logEvent(e)
		if e.Kind == wire.EventDeny {
			s.metrics.deny(e.Feature, e.Code)
		}
	}
	s.broker.publish(evs)
}

// logEvent logs e: a grant at info, a denial at warn, repeated denials
// summarised (see denyLog).
func (s *Server) logEvent(e wire.Event) {
	level := slog.LevelInfo
	if e.Kind == wire.EventDeny {
		level = slog.LevelWarn
	}
	if !s.log.Enabled(context.Background(), level) { // at --log-level warn, a grant costs nothing here
		return
	}
	if e.Kind == wire.EventDeny {
		s.denials.add(e, func(e wire.Event) { s.logLine(level, e) })
		return
	}
	s.logLine(level, e)
}

func (s *Server) logLine(level slog.Level, e wire.Event) {
	ctx := context.Background()
	attrs := make([]slog.Attr, 1, 7)
	attrs[0] = slog.String("kind", e.Kind)
	for _, kv := range [...][2]string{{"feature", e.Feature}, {"user", e.User}, {"host", e.Host},
		{"checkout", e.Checkout}, {"code", e.Code}, {"detail", e.Detail}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	s.log.LogAttrs(ctx, level, "license "+e.Kind, attrs...)
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
