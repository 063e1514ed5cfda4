package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// On a HAL set, licd backup copies the ledger of the node it asks (serving
// or not), and licd stop of the serving node hands the service over, as
// SIGTERM does: it exits 0 and another node serves the seat it granted.
func TestHALBackupAndStop(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "admin.token")
	if err := os.WriteFile(token, []byte(session().Session+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newHALCluster(t, "--admin-token-file", token)
	serving := c.waitServing()
	co, werr, err := rawCheckout(c.node(serving).addr, "r1")
	if err != nil || werr != nil {
		t.Fatalf("checkout: %v %v", werr, err)
	}
	c.waitCaughtUp(3, serving)
	for _, id := range []int{serving, 3} {
		out := filepath.Join(dir, "node"+string(rune('0'+id))+".db")
		stdout, stderr, code := run(t, "licd", "backup", "--server", c.node(id).addr, "--admin-token-file", token, "--to", out)
		if code != 0 {
			t.Fatalf("backup of node %d: exit %d, %s %s", id, code, stdout, stderr)
		}
		st, err := store.Open(out, store.Options{})
		if err != nil {
			t.Fatalf("backup of node %d: %v", id, err)
		}
		snap, err := st.Load()
		st.Close()
		if err != nil || !slices.ContainsFunc(snap.Checkouts, func(x store.Checkout) bool { return x.ID == co.CheckoutID }) {
			t.Fatalf("backup of node %d lacks checkout %s (%v)", id, co.CheckoutID, err)
		}
	}

	n := c.node(serving)
	stdout, stderr, code := run(t, "licd", "stop", "--server", n.addr, "--admin-token-file", token)
	if code != 0 || !strings.Contains(stdout, "is stopping") {
		t.Fatalf("stop: exit %d, %q %q", code, stdout, stderr)
	}
	select {
	case <-n.cur.exited:
	case <-time.After(halWait):
		t.Fatalf("node %d did not exit after licd stop", serving)
	}
	if got := n.cur.cmd.ProcessState.ExitCode(); got != 0 {
		t.Fatalf("node %d exited %d after licd stop", serving, got)
	}
	n.cur = nil
	next := c.waitServing()
	st := mustStatus(t, c, next)
	if !slices.ContainsFunc(st.Checkouts, func(x wire.CheckoutInfo) bool { return x.ID == co.CheckoutID }) {
		t.Fatalf("node %d serves without checkout %s", next, co.CheckoutID)
	}
}
