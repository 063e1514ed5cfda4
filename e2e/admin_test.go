package e2e

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // to run PRAGMA integrity_check on a backup

	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// licd stop shuts licd down as SIGTERM does: it exits 0, checks nothing in,
// and the session finds its checkout with its next heartbeat to the
// restarted licd.
func TestLicdStopKeepsSessions(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "admin.token")
	args := append(serveArgs(t, dir), "--listen", "127.0.0.1:0", "--admin-token-file", token, "--log-level", "info")
	p := startLicd(t, args...)
	s := session()
	var co wire.CheckoutReply
	if werr, err := call(p.addr, wire.PathCheckout, wire.CheckoutRequest{Client: s, RequestID: "r1", Feature: "cad_pro"}, &co); err != nil || werr != nil {
		t.Fatalf("checkout: %v %v", werr, err)
	}

	other := filepath.Join(dir, "other.token")
	if err := os.WriteFile(other, []byte("not-the-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "licd", "stop", "--server", p.addr, "--admin-token-file", other)
	if code != 1 || !strings.Contains(stderr, "admin token") {
		t.Fatalf("stop with a wrong token: exit %d, stderr %q", code, stderr)
	}

	stdout, stderr, code := run(t, "licd", "reload", "--server", p.addr, "--admin-token-file", token)
	if code != 0 || !strings.HasPrefix(stdout, "reloaded: ") || !strings.Contains(stdout, "cad_pro") {
		t.Fatalf("reload: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	stdout, stderr, code = run(t, "licd", "stop", "--server", p.addr, "--admin-token-file", token)
	if code != 0 || !strings.Contains(stdout, "is stopping") {
		t.Fatalf("stop: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	waitExit(t, p, 0)
	if !strings.Contains(p.Stderr(), "stop requested over the admin API") {
		t.Errorf("the log does not say why licd stopped:\n%s", p.Stderr())
	}

	p = startLicd(t, args...)
	var hb wire.HeartbeatReply
	if werr, err := call(p.addr, wire.PathHeartbeat, wire.HeartbeatRequest{Client: s}, &hb); err != nil || werr != nil {
		t.Fatalf("heartbeat after restart: %v %v", werr, err)
	}
	if !slices.Contains(hb.Checkouts, co.CheckoutID) {
		t.Fatalf("after licd stop and a restart the session holds %v, want %s", hb.Checkouts, co.CheckoutID)
	}
}

// waitExit waits, at most 15 s, for p to exit with code.
func waitExit(t *testing.T, p *proc, code int) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("licd did not exit; stderr:\n%s", p.Stderr())
	}
	if got := p.cmd.ProcessState.ExitCode(); got != code {
		t.Fatalf("licd exited %d, want %d; stderr:\n%s", got, code, p.Stderr())
	}
}

// licd backup while clients check out and in: the file is a sound SQLite
// database the store opens, holding every checkout made before the backup
// began, and mode 0600.
func TestLicdBackupDuringLoad(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "admin.token")
	args := append(serveArgs(t, dir), "--listen", "127.0.0.1:0", "--admin-token-file", token)
	p := startLicd(t, args...)
	var held []string // kept through the backup
	for range 3 {
		co, err := checkoutOnce(p.addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, co.CheckoutID)
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var ops atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100_000 && !stop.Load(); i++ {
				s := session()
				var co wire.CheckoutReply
				if werr, err := call(p.addr, wire.PathCheckout, wire.CheckoutRequest{Client: s, RequestID: "r", Feature: "solver"}, &co); err == nil && werr == nil {
					call(p.addr, wire.PathCheckin, wire.CheckinRequest{Client: s, CheckoutID: co.CheckoutID}, &wire.CheckinReply{})
				}
				ops.Add(1)
			}
		}()
	}
	waitUntil(t, "load", func() bool { return ops.Load() > 20 }, p)
	out := filepath.Join(dir, "backup.db")
	stdout, stderr, code := run(t, "licd", "backup", "--server", p.addr, "--admin-token-file", token, "--to", out)
	stop.Store(true)
	wg.Wait()
	if code != 0 || !strings.HasPrefix(stdout, "wrote "+out) {
		t.Fatalf("backup: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	t.Logf("%d operations during the test; %s", ops.Load(), strings.TrimSpace(stdout))
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v", err, fi.Mode())
	}
	left, _ := filepath.Glob(filepath.Join(dir, "data", "backup-*"))
	if len(left) != 0 {
		t.Errorf("licd left its copy in the data dir: %v", left)
	}

	db, err := sql.Open("sqlite", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	err = db.QueryRow(`PRAGMA integrity_check`).Scan(&check)
	db.Close()
	if err != nil || check != "ok" {
		t.Fatalf("integrity_check of the backup: %q %v", check, err)
	}
	st, err := store.Open(out, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range held {
		if !slices.ContainsFunc(snap.Checkouts, func(c store.Checkout) bool { return c.ID == id }) {
			t.Errorf("checkout %s is not in the backup", id)
		}
	}

	_, stderr, code = run(t, "licd", "backup", "--server", p.addr, "--admin-token-file", token, "--to", out)
	if code != 2 || !strings.Contains(stderr, "--force") {
		t.Errorf("backup over an existing file: exit %d, stderr %q", code, stderr)
	}
	st.Close()

	// The restore of README: stop licd, the backup as licd.db without the
	// old -wal and -shm, start.
	p.cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, p, 0)
	data := filepath.Join(dir, "data")
	for _, f := range []string{"licd.db", "licd.db-wal", "licd.db-shm"} {
		os.Remove(filepath.Join(data, f))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "licd.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	p = startLicd(t, args...)
	restored := getStatus(t, p.addr)
	for _, id := range held {
		if !slices.ContainsFunc(restored.Checkouts, func(c wire.CheckoutInfo) bool { return c.ID == id }) {
			t.Errorf("checkout %s is not served after the restore", id)
		}
	}
}

// licd token writes a token licd serve takes, mode 0600, and will not
// overwrite one without --force.
func TestLicdToken(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "admin.token")
	stdout, stderr, code := run(t, "licd", "token", "--out", tok)
	if code != 0 || !strings.Contains(stdout, "--admin-token-file "+tok) {
		t.Fatalf("token: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	first, _ := os.ReadFile(tok)
	if fi, _ := os.Stat(tok); fi.Mode().Perm() != 0o600 || len(strings.TrimSpace(string(first))) != 64 {
		t.Fatalf("token file mode %v, content %q", fi.Mode(), first)
	}
	_, stderr, code = run(t, "licd", "token", "--out", tok)
	if again, _ := os.ReadFile(tok); code != 2 || string(again) != string(first) || !strings.Contains(stderr, "--force") {
		t.Fatalf("second token: exit %d, stderr %q; file changed: %v", code, stderr, string(again) != string(first))
	}
	if _, _, code = run(t, "licd", "token", "--out", tok, "--force"); code != 0 {
		t.Fatalf("token --force: exit %d", code)
	}
	if again, _ := os.ReadFile(tok); string(again) == string(first) {
		t.Fatal("token --force kept the old token")
	}
}

// licd serve --log-file logs to the file, and on SIGHUP re-opens it (as
// logrotate wants) and reloads the licenses.
func TestLogFileReopenOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "licd.log")
	p := startLicd(t, append(serveArgs(t, dir), "--listen", "127.0.0.1:0", "--log-level", "info", "--log-file", log)...)
	reloadLogged := func(path string) func() bool {
		return func() bool {
			b, _ := os.ReadFile(path)
			return strings.Contains(string(b), "reloaded licenses")
		}
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, "the reload logged in "+log, reloadLogged(log), p)
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, "the reload logged in a new "+log, reloadLogged(log), p)
	if p.Stderr() != "" {
		t.Errorf("licd wrote to stderr with --log-file: %q", p.Stderr())
	}
}

// Every licd command that prints a result prints JSON with --json, and a
// failure as a JSON error on stdout with the usual exit code.
func TestLicdJSON(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "admin.token")
	p := startLicd(t, append(serveArgs(t, dir), "--listen", "127.0.0.1:0", "--admin-token-file", token)...)
	other := filepath.Join(dir, "other.token")
	os.WriteFile(other, []byte("wrong\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"hostid", []string{"hostid", "--json"}, 0, `"kind": "hostname"`},
		{"token-key", []string{"token-key", "--json", "--data", filepath.Join(dir, "tk")}, 0, `"created": true`},
		{"token", []string{"token", "--json", "--out", filepath.Join(dir, "new.token")}, 0, `"file": "` + filepath.Join(dir, "new.token")},
		{"reload", []string{"reload", "--json", "--server", p.addr, "--admin-token-file", token}, 0, `"features": [`},
		{"reload refused", []string{"reload", "--json", "--server", p.addr, "--admin-token-file", other}, 1, `{"error":{"code":"unauthorized","message":"reload: unauthorized: `},
		{"usage", []string{"backup", "--json", "--server", p.addr, "--admin-token-file", token}, 2,
			`{"error":{"code":"usage","message":"--to is required (run 'licd backup --help' for usage)"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, "licd", tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.want) || stderr != "" || !json.Valid([]byte(stdout)) {
				t.Errorf("exit %d (want %d)\nstdout %s\nwant in it %s\nstderr %q", code, tc.code, stdout, tc.want, stderr)
			}
		})
	}
}
