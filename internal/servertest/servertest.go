// Package servertest starts real license servers on loopback for tests:
// the demo license signed with a fresh vendor key, a temporary data dir, a
// free port, and an optional fake clock.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/server"
)

// BigTemplate is a license template with one feature, bench, whose pool is
// larger than any test or benchmark needs.
var BigTemplate = []byte(`FEATURE bench {
  VENDOR  = acme
  VERSION = 1.0
  COUNT   = 1000000
  EXPIRE  = permanent
}
`)

// Options configure Start. Zero values take the defaults noted.
type Options struct {
	Clock             *clock.Fake   // nil: the real clock
	HeartbeatInterval time.Duration // default 1 s
	Lease             time.Duration // default 3 s
	ReapInterval      time.Duration // default 20 ms
	Template          []byte        // license template; default demo.Template
	Sync              string        // default full
	Logger            *slog.Logger  // default: discard
	Boost             func() (done func())
	Options           string // text of an options file (licd serve --options); "": none
}

// Server is a running license server.
type Server struct {
	Addr       string // "127.0.0.1:PORT"
	Clock      *clock.Fake
	DataDir    string
	AdminToken string
	Files      demo.Files

	t    testing.TB
	cfg  server.Config
	mu   sync.Mutex
	srv  *server.Server
	done chan error
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	dir := t.TempDir()
	files, err := demo.Setup(dir, o.Template)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := licfile.ReadPublicKey(files.VendorPub)
	if err != nil {
		t.Fatal(err)
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = time.Second
	}
	if o.Lease == 0 {
		o.Lease = 3 * time.Second
	}
	if o.ReapInterval == 0 {
		o.ReapInterval = 20 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{Clock: o.Clock, DataDir: dir + "/data", AdminToken: files.Token, Files: files, t: t}
	s.cfg = server.Config{Licenses: []string{files.License}, VendorPub: pub, DataDir: s.DataDir,
		AdminToken: files.Token, HeartbeatInterval: o.HeartbeatInterval, Lease: o.Lease,
		ReapInterval: o.ReapInterval, Sync: o.Sync, Logger: o.Logger, Boost: o.Boost}
	if o.Clock != nil {
		s.cfg.Clock = o.Clock
	}
	if o.Options != "" {
		s.cfg.Options = filepath.Join(dir, "site.opt")
		if err := os.WriteFile(s.cfg.Options, []byte(o.Options), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.start("127.0.0.1:0")
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(addr string) {
	s.t.Helper()
	srv, err := server.New(s.cfg)
	if err != nil {
		s.t.Fatalf("start server: %v", err)
	}
	var ln net.Listener
	deadline := time.Now().Add(5 * time.Second)
	for { // the old socket of a restart may take a moment to free the port
		ln, err = net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		srv.Close(context.Background())
		s.t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	s.mu.Lock()
	s.srv, s.done, s.Addr = srv, done, ln.Addr().String()
	s.mu.Unlock()
}

// Config returns the configuration the server runs with, for a test that
// starts another server.New on the same files.
func (s *Server) Config() server.Config { return s.cfg }

// Server returns the running server (nil while stopped).
func (s *Server) Server() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Stop shuts the server down cleanly; the port is closed. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Close(ctx)
	<-done
}

// Restart stops the server and starts a new one (a new instance id) on the
// same data dir and the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start(s.Addr)
}

// Start starts a stopped server again on its port.
func (s *Server) Start() {
	s.t.Helper()
	if s.Server() == nil {
		s.start(s.Addr)
	}
}
