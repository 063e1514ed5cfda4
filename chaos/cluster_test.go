package chaos

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/faultnet"
	"github.com/floatlic/floatlic/licenses"
)

// waitLimit bounds every wait of these tests: an election, a catch-up.
const waitLimit = 20 * time.Second

// startCluster starts a cluster of the test's licd in a temp dir, closed
// (and its logs shown, should the test fail) at the end of the test.
func startCluster(t *testing.T, cfg ClusterConfig) *Cluster {
	t.Helper()
	cfg.Licd, cfg.Dir = licdBin, t.TempDir()
	c, err := StartCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			for id := 1; id <= c.Nodes(); id++ {
				t.Logf("--- node #%d, last lines:\n%s", id, c.LogTail(id, 60))
			}
		}
	})
	return c
}

// waitFor polls cond every 50 ms until it holds, failing the test after
// waitLimit with what the last poll said, or at once when a node crashed.
func waitFor(t *testing.T, c *Cluster, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		if err := c.Exited(); err != nil {
			t.Fatal(err)
		}
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last: %s", waitLimit, what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// statusVia asks for status through addr (a host's proxy).
func statusVia(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := licenses.FetchStatus(ctx, addr, &http.Client{Timeout: time.Second})
	return err
}

func TestSingle(t *testing.T) {
	c := startCluster(t, ClusterConfig{ClientHosts: 2, Heartbeat: time.Second})
	if c.Nodes() != 1 || c.HAL() {
		t.Fatalf("Nodes() = %d, HAL() = %v; want 1, false", c.Nodes(), c.HAL())
	}
	st, err := c.Status(1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Server.Role != "single" || !st.Server.Serving {
		t.Errorf("status: role %q serving %v, want single, true", st.Server.Role, st.Server.Serving)
	}
	for h := range 2 {
		if got := c.NodeOf(c.ClientServers(h)[0]); got != 1 {
			t.Errorf("NodeOf(host %d's proxy) = %d, want 1", h, got)
		}
	}
	if got := c.NodeOf(c.NodeAddr(1)); got != 1 {
		t.Errorf("NodeOf(NodeAddr(1)) = %d, want 1", got)
	}

	t.Run("kill and start", func(t *testing.T) {
		if err := c.Kill(1); err != nil {
			t.Fatal(err)
		}
		if c.Running(1) || c.Serving() != 0 {
			t.Fatalf("after Kill: Running %v, Serving %d", c.Running(1), c.Serving())
		}
		if err := c.Start(1); err != nil {
			t.Fatal(err)
		}
		if id, err := c.WaitServing(waitLimit); err != nil || id != 1 {
			t.Fatalf("WaitServing after restart = %d, %v", id, err)
		}
		st2, err := c.Status(1)
		if err != nil {
			t.Fatal(err)
		}
		if st2.Server.Instance == st.Server.Instance {
			t.Errorf("instance %s did not change across the restart", st.Server.Instance)
		}
	})

	t.Run("one host cut off", func(t *testing.T) {
		c.HostLinks(0, faultnet.Reset)
		if err := statusVia(c.ClientServers(0)[0]); err == nil {
			t.Error("a request through host 0's cut proxy succeeded")
		}
		if err := statusVia(c.ClientServers(1)[0]); err != nil {
			t.Errorf("through host 1's proxy: %v", err)
		}
		c.HealClients()
		if err := statusVia(c.ClientServers(0)[0]); err != nil {
			t.Errorf("through host 0's proxy after HealClients: %v", err)
		}
	})

	t.Run("pause", func(t *testing.T) {
		if err := c.Pause(1); err != nil {
			t.Fatal(err)
		}
		if !c.Running(1) || !c.Paused(1) || c.Serving() != 0 {
			t.Errorf("paused: Running %v Paused %v Serving %d; want true, true, 0", c.Running(1), c.Paused(1), c.Serving())
		}
		if err := c.Resume(1); err != nil {
			t.Fatal(err)
		}
		if id, err := c.WaitServing(waitLimit); err != nil || id != 1 {
			t.Fatalf("WaitServing after Resume = %d, %v", id, err)
		}
	})
	if err := c.Exited(); err != nil {
		t.Error(err)
	}

	t.Run("a crash is reported", func(t *testing.T) {
		c.mu.Lock()
		p := c.nodes[0].proc
		c.mu.Unlock()
		if err := p.cmd.Process.Kill(); err != nil { // not through Kill: a crash
			t.Fatal(err)
		}
		<-p.done
		if err := c.Exited(); err == nil || !strings.Contains(err.Error(), "node #1 exited (signal: killed)") {
			t.Errorf("Exited() = %v, want node #1 exited (signal: killed)", err)
		}
		if _, err := c.WaitServing(waitLimit); err == nil {
			t.Error("WaitServing succeeded after a crash")
		}
		if err := c.Start(1); err != nil {
			t.Fatal(err)
		}
		if c.Exited() == nil {
			t.Error("Exited() forgot the crash after a restart")
		}
	})
}
