package chaos

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/faultnet"
	"github.com/floatlic/floatlic/licenses"
)

// halSnapshotEntries is small so that a wiped node catches up by snapshot.
const halSnapshotEntries = 64

// snapshotInstalled is what hashicorp/raft logs when a follower has taken
// its leader's snapshot.
const snapshotInstalled = "Installed remote snapshot"

func TestHAL(t *testing.T) {
	// --raft-timeout 1s, as e2e's: on a loaded 2-core machine under -race
	// the default let a leader step down now and then mid-test.
	c := startCluster(t, ClusterConfig{HAL: true, ClientHosts: 1, Heartbeat: time.Second,
		RaftTimeout: time.Second, SnapshotEntries: halSnapshotEntries})
	if c.Nodes() != 3 || !c.HAL() {
		t.Fatalf("Nodes() = %d, HAL() = %v; want 3, true", c.Nodes(), c.HAL())
	}
	for id := 1; id <= 3; id++ {
		if got := c.NodeOf(c.ClientServers(0)[id-1]); got != id {
			t.Errorf("NodeOf(host 0's proxy to #%d) = %d", id, got)
		}
	}
	serving := waitServing(t, c)

	t.Run("kill the serving node", func(t *testing.T) {
		if err := c.Kill(serving); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c, fmt.Sprintf("a node other than #%d to serve", serving), func() (bool, string) {
			id := c.Serving()
			return id != 0 && id != serving, fmt.Sprintf("serving %d", id)
		})
		if err := c.Start(serving); err != nil {
			t.Fatal(err)
		}
		serving = waitServing(t, c)
	})

	t.Run("wiped node catches up", func(t *testing.T) {
		wiped := 3 // the quorum node: its return moves no serving role
		if serving == 3 {
			wiped = 2
		}
		if err := c.Kill(wiped); err != nil {
			t.Fatal(err)
		}
		if err := c.Wipe(wiped); err != nil {
			t.Fatal(err)
		}
		churn(t, c, 2*halSnapshotEntries)
		want, err := c.Status(serving)
		if err != nil {
			t.Fatal(err)
		}
		before := strings.Count(c.LogTail(wiped, 1<<20), snapshotInstalled)
		if err := c.Start(wiped); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c, fmt.Sprintf("wiped node #%d to reach applied %d", wiped, want.Server.Applied), func() (bool, string) {
			st, err := c.Status(wiped)
			if err != nil {
				return false, err.Error()
			}
			return st.Server.Applied >= want.Server.Applied, fmt.Sprintf("applied %d", st.Server.Applied)
		})
		if n := strings.Count(c.LogTail(wiped, 1<<20), snapshotInstalled); n <= before {
			t.Errorf("wiped node #%d caught up without installing a snapshot (%q in its log %d times, as before)", wiped, snapshotInstalled, n)
		}
		serving = waitServing(t, c)
	})

	t.Run("isolate the serving node", func(t *testing.T) {
		c.IsolateRaft(serving, faultnet.Blackhole)
		waitFor(t, c, fmt.Sprintf("the two others to elect one while #%d is cut off", serving), func() (bool, string) {
			return othersServe(c, serving)
		})
		c.HealRaft()
		serving = waitServing(t, c)
	})
	if err := c.Exited(); err != nil {
		t.Error(err)
	}
}

// waitServing waits for a serving node all agree on.
func waitServing(t *testing.T, c *Cluster) int {
	t.Helper()
	id, err := c.WaitServing(waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// othersServe reports whether one node other than cut serves and the third
// names it primary.
func othersServe(c *Cluster, cut int) (bool, string) {
	var last string
	for id := 1; id <= 3; id++ {
		if id == cut {
			continue
		}
		st, err := c.Status(id)
		if err != nil {
			return false, err.Error()
		}
		last += fmt.Sprintf("#%d serving=%v primary=%s; ", id, st.Server.Serving, st.Server.Primary)
		if !st.Server.Serving {
			continue
		}
		other := 6 - cut - id
		ost, err := c.Status(other)
		if err != nil {
			return false, err.Error()
		}
		return ost.Server.Primary == c.NodeAddr(id), last
	}
	return false, last
}

// churn checks cad_view out and in n times through host 0: raft entries,
// so that the log moves past a snapshot.
func churn(t *testing.T, c *Cluster, n int) {
	t.Helper()
	cl, err := licenses.New(licenses.Options{Servers: c.ClientServers(0), User: "churn", Host: "ws-churn",
		StateDir: t.TempDir(), RequestTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	defer cl.Close(ctx)
	for i := 0; i < n; i += 2 {
		l, err := cl.Checkout(ctx, "cad_view", "")
		if err != nil {
			t.Fatalf("checkout %d: %v", i/2+1, err)
		}
		if err := l.Checkin(ctx); err != nil {
			t.Fatalf("checkin %d: %v", i/2+1, err)
		}
	}
}
