package server_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// healthz returns /healthz's status and body.
func healthz(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + wire.PathHealthz)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// rm licd.db under a running server: it acknowledges nothing more (what it
// wrote would be lost with the process), says why and to restart, fails
// /healthz, and logs it once.
func TestRemovedDatabaseIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
		do               func(path string) error
	}{
		{"db removed", "licd.db", "was removed", os.Remove},
		{"db replaced", "licd.db", "was replaced", func(p string) error {
			os.WriteFile(p+".new", nil, 0o600)
			return os.Rename(p+".new", p)
		}},
		{"wal removed", "licd.db-wal", "was removed", os.Remove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log logBuffer
			s := servertest.Start(t, servertest.Options{Logger: log.logger(), HeartbeatInterval: time.Minute, Lease: time.Hour})
			held := newClient("ann")
			if _, werr := checkout(t, s.Addr, held, "r1", "cad_pro"); werr != nil {
				t.Fatal(werr)
			}
			if err := tc.do(filepath.Join(s.DataDir, tc.file)); err != nil {
				t.Fatal(err)
			}
			for i, c := range []wire.Client{newClient("bob"), newClient("cat"), held} {
				_, werr := checkout(t, s.Addr, c, "r2", "cad_pro")
				if werr == nil || werr.Code != wire.CodeUnavailable || !strings.Contains(werr.Message, tc.want) ||
					!strings.Contains(werr.Message, "restart licd") {
					t.Fatalf("checkout %d after the file went: %v, want unavailable saying %q and to restart", i, werr, tc.want)
				}
			}
			if code, e := post(t, s.Addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: held}, nil); code != http.StatusServiceUnavailable {
				t.Fatalf("heartbeat after the file went: %d %v, want 503", code, e)
			}
			if code, body := healthz(t, s.Addr); code != http.StatusServiceUnavailable || !strings.Contains(body, tc.want) {
				t.Fatalf("healthz: %d %q, want 503 saying %q", code, body, tc.want)
			}
			if n := log.count("level=ERROR", tc.file+" "+tc.want); n != 1 {
				t.Fatalf("%d ERROR lines about it, want 1:\n%s", n, log.String())
			}
		})
	}
}

// A database that cannot record (here: full) fails /healthz while commits
// fail; each cause is logged once, not once per refused request, and again
// after a recovery and a new failure.
func TestHealthzFailsWhileCommitsFail(t *testing.T) {
	var log logBuffer
	s := servertest.Start(t, servertest.Options{Logger: log.logger(), Template: servertest.BigTemplate,
		HeartbeatInterval: time.Minute, Lease: time.Hour})
	if code, body := healthz(t, s.Addr); code != http.StatusOK {
		t.Fatalf("healthz at start: %d %q", code, body)
	}
	st := s.Server().Store()
	fill := func() {
		t.Helper()
		pages, err := st.PageCount()
		if err != nil {
			t.Fatal(err)
		}
		st.LimitPages(pages)
		refused := 0
		for i := 0; i < 500 && refused < 20; i++ {
			if _, werr := checkout(t, s.Addr, newClient("u"), "r", "bench"); werr != nil {
				refused++
			}
		}
		if refused < 20 {
			t.Fatal("the page cap did not bite")
		}
		if code, body := healthz(t, s.Addr); code != http.StatusServiceUnavailable || !strings.Contains(body, "full") {
			t.Fatalf("healthz while the disk is full: %d %q, want 503 naming it", code, body)
		}
	}
	fill()
	if n := log.count("level=ERROR", "full"); n != 1 {
		t.Fatalf("%d ERROR lines for 20 refusals, want 1:\n%s", n, log.String())
	}
	st.LimitPages(0)
	if _, werr := checkout(t, s.Addr, newClient("after"), "r", "bench"); werr != nil {
		t.Fatalf("checkout once there is room: %v", werr)
	}
	if code, body := healthz(t, s.Addr); code != http.StatusOK {
		t.Fatalf("healthz after recovery: %d %q", code, body)
	}
	if n := log.count("level=INFO", "records again"); n != 1 {
		t.Fatalf("%d lines saying it records again, want 1:\n%s", n, log.String())
	}
	fill()
	if n := log.count("level=ERROR", "full"); n != 2 {
		t.Fatalf("%d ERROR lines after a second failure, want 2:\n%s", n, log.String())
	}
}
