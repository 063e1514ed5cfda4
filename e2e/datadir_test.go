package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/store/storetest"
	"github.com/floatlic/floatlic/internal/wire"
)

// serveArgs are the arguments of `licd serve` on the demo files in dir,
// with the data in dir/data.
func serveArgs(t *testing.T, dir string, extra ...string) []string {
	t.Helper()
	files, err := demo.Setup(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"serve", "--license", files.License, "--vendor-pub", files.VendorPub,
		"--data", filepath.Join(dir, "data"), "--log-level", "error"}, extra...)
}

// storedEvents counts the events in the database of a stopped licd.
func storedEvents(t *testing.T, data string) int {
	t.Helper()
	st, err := store.Open(filepath.Join(data, "licd.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(-1, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// oneLine fails unless stderr is one line holding every one of want.
func oneLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	t.Logf("stderr: %s", stderr)
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("stderr is not one line:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not name %q", stderr, w)
		}
	}
}

// A second licd on the data dir of a running one refuses to start, naming
// the pid that holds it, and the first carries on serving.
func TestSecondLicdOnTheSameDataDirRefuses(t *testing.T) {
	dir := t.TempDir()
	args := serveArgs(t, dir)
	p := startLicd(t, append(args, "--listen", "127.0.0.1:0")...)
	_, stderr, code := run(t, "licd", append(args, "--listen", "127.0.0.1:0")...)
	if code != 2 {
		t.Fatalf("second licd: exit %d, want 2; stderr %q", code, stderr)
	}
	oneLine(t, stderr, filepath.Join(dir, "data"), fmt.Sprintf("pid %d", p.cmd.Process.Pid))
	if _, err := checkoutOnce(p.addr); err != nil {
		t.Fatalf("first licd after the second tried to start: %v", err)
	}
}

// A start that fails on a busy port writes nothing to the database.
func TestBusyPortWritesNothing(t *testing.T) {
	dir := t.TempDir()
	args := serveArgs(t, dir)
	p := startLicd(t, append(args, "--listen", "127.0.0.1:0")...)
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
	before := storedEvents(t, filepath.Join(dir, "data"))

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, stderr, code := run(t, "licd", append(args, "--listen", busy.Addr().String())...)
	if code != 2 {
		t.Fatalf("licd on a busy port: exit %d, want 2; stderr %q", code, stderr)
	}
	oneLine(t, stderr, busy.Addr().String())
	if after := storedEvents(t, filepath.Join(dir, "data")); after != before {
		t.Fatalf("the failed start wrote %d events", after-before)
	}
}

// checkoutOnce checks out cad_pro for a new session.
func checkoutOnce(addr string) (wire.CheckoutReply, error) {
	var r wire.CheckoutReply
	werr, err := call(addr, wire.PathCheckout, wire.CheckoutRequest{Client: session(), RequestID: "r", Feature: "cad_pro"}, &r)
	if err == nil && werr != nil {
		err = werr
	}
	return r, err
}

// A database with a damaged page (a flipped page of the audit trail) stops
// licd at start, with one line that says what to do.
func TestDamagedDatabaseRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	args := append(serveArgs(t, dir), "--listen", "127.0.0.1:0")
	p := startLicd(t, args...)
	for range 200 { // an audit trail of a few pages
		if _, err := checkoutOnce(p.addr); err != nil && !strings.Contains(err.Error(), "count_exhausted") {
			t.Fatal(err)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
	db := filepath.Join(dir, "data", "licd.db")
	storetest.DamagePage(t, db, 4)
	_, stderr, code := run(t, "licd", args...)
	if code != 2 {
		t.Fatalf("licd on a damaged database: exit %d, want 2; stderr %q", code, stderr)
	}
	oneLine(t, stderr, db, "quick_check", "backup")
}

// An admin token file other users can write to stops licd at start; one
// they can read starts it with a warning.
func TestAdminTokenFileMode(t *testing.T) {
	for _, tc := range []struct {
		mode os.FileMode
		code int
		want string
	}{
		{0o666, 2, "mode 0666: other users can write to it: run chmod 600"},
		{0o644, 0, "mode 0644: other users can read it: run chmod 600"},
	} {
		t.Run(fmt.Sprintf("%04o", tc.mode), func(t *testing.T) {
			dir := t.TempDir()
			args := append(serveArgs(t, dir), "--listen", "127.0.0.1:0", "--log-level", "warn")
			token := filepath.Join(dir, "admin.token")
			if err := os.Chmod(token, tc.mode); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--admin-token-file", token)
			if tc.code != 0 {
				_, stderr, code := run(t, "licd", args...)
				if code != tc.code {
					t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr)
				}
				oneLine(t, stderr, token, tc.want)
				return
			}
			p := startLicd(t, args...)
			waitUntil(t, "a warning naming "+token, func() bool {
				s := p.Stderr()
				return strings.Contains(s, "level=WARN") && strings.Contains(s, token+" is "+tc.want)
			}, p)
		})
	}
}
