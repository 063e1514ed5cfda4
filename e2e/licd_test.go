package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/wire"
)

var hc = &http.Client{Timeout: 5 * time.Second}

func call(addr, path string, req, reply any) (*wire.Error, error) {
	b, _ := json.Marshal(req)
	resp, err := hc.Post("http://"+addr+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var er wire.ErrorReply
		if err := json.NewDecoder(resp.Body).Decode(&er); err != nil || er.Error == nil {
			return nil, fmt.Errorf("status %d without an error object", resp.StatusCode)
		}
		return er.Error, nil
	}
	return nil, json.NewDecoder(resp.Body).Decode(reply)
}

func getStatus(t *testing.T, addr string) wire.Status {
	t.Helper()
	resp, err := hc.Get("http://" + addr + wire.PathStatus)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st wire.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func session() wire.Client {
	b := make([]byte, 16)
	rand.Read(b)
	return wire.Client{Session: hex.EncodeToString(b), User: "load", Host: "ws", PID: 1}
}

// worker is one client under load: it checks out and checks in until the
// server goes away, remembering what the server acknowledged and the one
// operation that was in flight.
type worker struct {
	c       wire.Client
	held    map[string]string // checkout id → request id
	n       int
	pending func(addr string) error // the in-flight operation, to retry
}

func (w *worker) step(addr string) error {
	if len(w.held) > 0 && w.n%2 == 1 {
		for id := range w.held {
			op := func(addr string) error {
				var r wire.CheckinReply
				werr, err := call(addr, wire.PathCheckin, wire.CheckinRequest{Client: w.c, CheckoutID: id}, &r)
				if err == nil && werr != nil {
					return werr
				}
				if err == nil {
					delete(w.held, id)
				}
				return err
			}
			w.n++
			return w.try(addr, op)
		}
	}
	w.n++
	req := fmt.Sprintf("r%d", w.n)
	op := func(addr string) error {
		var r wire.CheckoutReply
		werr, err := call(addr, wire.PathCheckout, wire.CheckoutRequest{Client: w.c, RequestID: req, Feature: "cad_view"}, &r)
		if err != nil {
			return err
		}
		if werr == nil {
			w.held[r.CheckoutID] = req
		} else if werr.Code != wire.CodeCountExhausted {
			return werr
		}
		return nil
	}
	return w.try(addr, op)
}

func (w *worker) try(addr string, op func(string) error) error {
	err := op(addr)
	var werr *wire.Error
	if err != nil && !errors.As(err, &werr) {
		w.pending = op // no answer: the server may or may not have done it
	}
	return err
}

// kill -9 under load, restart on the same data dir: the checkouts the server
// holds are exactly those acknowledged to clients (once each client has
// retried the one request that got no answer, as the client package does).
func TestKill9UnderLoadKeepsAcknowledgedCheckouts(t *testing.T) {
	dir := t.TempDir()
	files, err := demo.Setup(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"serve", "--license", files.License, "--vendor-pub", files.VendorPub,
		"--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--log-level", "error"}
	p := startLicd(t, args...)

	workers := make([]*worker, 16)
	for i := range workers {
		workers[i] = &worker{c: session(), held: map[string]string{}}
	}
	var wg sync.WaitGroup
	var steps sync.Map
	var ops atomic.Int64
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				if err := w.step(p.addr); err != nil {
					var werr *wire.Error
					if errors.As(err, &werr) {
						t.Errorf("refused: %v", werr)
					}
					return
				}
				steps.Store(w, w.n)
				ops.Add(1)
			}
		}()
	}
	// Kill it under load: once the workers have been answered 1,000 times,
	// however long that takes on this machine.
	waitUntil(t, "1,000 operations under load", func() bool { return ops.Load() >= 1000 }, p)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	p.cmd.Wait()

	p2 := startLicd(t, args...)
	total := 0
	for _, w := range workers {
		total += w.n
		if w.pending != nil {
			if err := w.pending(p2.addr); err != nil {
				t.Fatalf("retry after restart: %v", err)
			}
		}
	}
	if total < 100 {
		t.Fatalf("only %d operations before the kill: no load", total)
	}
	want := map[string]bool{}
	for _, w := range workers {
		for id := range w.held {
			want[id] = true
		}
	}
	st := getStatus(t, p2.addr)
	got := map[string]bool{}
	for _, c := range st.Checkouts {
		got[c.ID] = true
	}
	for id := range want {
		if !got[id] {
			t.Errorf("acknowledged checkout %s lost by the kill", id)
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("server holds checkout %s that no client was told of", id)
		}
	}
	if len(got) > 20 {
		t.Errorf("%d checkouts of cad_view held, COUNT is 20", len(got))
	}
	t.Logf("%d operations before kill -9; %d checkouts held after restart", total, len(got))
}

func TestLicdRefusesAnInvalidLicense(t *testing.T) {
	dir := t.TempDir()
	files, err := demo.Setup(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	lic, _ := os.ReadFile(files.License)
	tampered := filepath.Join(dir, "tampered.lic")
	os.WriteFile(tampered, bytes.Replace(lic, []byte("COUNT   = 5"), []byte("COUNT   = 50"), 1), 0o644)
	// A HAL license is refused without the HAL flags: a single node would
	// grant all of COUNT (e2e/hal_test.go tries every HAL refusal).
	halDir := filepath.Join(dir, "hal")
	if err := os.Mkdir(halDir, 0o700); err != nil {
		t.Fatal(err)
	}
	hal, err := demo.Setup(halDir, []byte(`FEATURE cad_hal {
  VENDOR      = acme
  VERSION     = 1.0
  COUNT       = 3
  HAL_SERVERS = "127.0.0.1:6201 127.0.0.1:6202 127.0.0.1:6203"
  EXPIRE      = permanent
}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"tampered", []string{"--license", tampered, "--vendor-pub", files.VendorPub}, "feature cad_pro: KEY: signature does not verify"},
		{"missing", []string{"--license", filepath.Join(dir, "nope.lic"), "--vendor-pub", files.VendorPub}, "nope.lic"},
		{"no pub", []string{"--license", files.License, "--vendor-pub", filepath.Join(dir, "nope.pub")}, "nope.pub"},
		{"private key as pub", []string{"--license", files.License, "--vendor-pub", files.VendorKey}, "vendor.key"},
		{"HAL", []string{"--license", hal.License, "--vendor-pub", hal.VendorPub}, "feature cad_hal has HAL_SERVERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0"}, tt.args...)
			_, stderr, code := run(t, "licd", args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %q", code, stderr, tt.want)
			}
		})
	}
}

// SIGHUP reloads the license files; a bad new file is refused and the old
// licenses (and the checkouts) stay.
func TestReloadKeepsCheckoutsAndRefusesBadFile(t *testing.T) {
	dir := t.TempDir()
	files, err := demo.Setup(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := startLicd(t, "serve", "--license", files.License, "--vendor-pub", files.VendorPub,
		"--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--admin-token-file", files.AdminToken)
	c := session()
	var r wire.CheckoutReply
	if werr, err := call(p.addr, wire.PathCheckout, wire.CheckoutRequest{Client: c, RequestID: "r", Feature: "cad_pro"}, &r); err != nil || werr != nil {
		t.Fatal(err, werr)
	}
	good, _ := os.ReadFile(files.License)
	os.WriteFile(files.License, bytes.Replace(good, []byte("COUNT   = 5"), []byte("COUNT   = 9"), 1), 0o644)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, "the refused reload to be logged", func() bool { return strings.Contains(p.Stderr(), "reload refused") }, p)
	if f := featureOf(getStatus(t, p.addr), "cad_pro"); f.Count != 5 || f.InUse != 1 {
		t.Fatalf("after a bad reload cad_pro is %+v, want count 5 with 1 in use", f)
	}

	// A re-signed file with a bigger COUNT is taken, through the admin API.
	tmpl := bytes.Replace(demo.Template, []byte("COUNT   = 5"), []byte("COUNT   = 9"), 1)
	tmpl = bytes.ReplaceAll(tmpl, []byte(demo.TokenKeyPlaceholder), []byte(files.TokenKey))
	os.WriteFile(filepath.Join(dir, "new.tmpl"), tmpl, 0o644)
	if _, stderr, code := run(t, "licgen", "sign", "--key", files.VendorKey, "--out", files.License, filepath.Join(dir, "new.tmpl")); code != 0 {
		t.Fatalf("sign: %s", stderr)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+wire.PathReload, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+files.Token)
	resp, err := hc.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	if f := featureOf(getStatus(t, p.addr), "cad_pro"); f.Count != 9 || f.InUse != 1 {
		t.Fatalf("after reload cad_pro is %+v, want count 9 with 1 in use", f)
	}
}

func featureOf(st wire.Status, name string) wire.FeatureStatus {
	for _, f := range st.Features {
		if f.Name == name {
			return f
		}
	}
	return wire.FeatureStatus{}
}

func waitUntil(t *testing.T, what string, cond func() bool, p *proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; licd said:\n%s", what, p.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSIGTERMShutsDownCleanly(t *testing.T) {
	p := startLicd(t, "demo", "--listen", "127.0.0.1:0")
	p.cmd.Process.Signal(syscall.SIGTERM)
	err := p.cmd.Wait()
	if err != nil {
		t.Fatalf("licd demo after SIGTERM: %v; stderr:\n%s", err, p.Stderr())
	}
	if !strings.Contains(p.Stderr(), "shutting down") {
		t.Fatalf("no shutdown in the log:\n%s", p.Stderr())
	}
}

// licd runs its Go code on one core until its load needs more (see package
// maxprocs), and leaves GOMAXPROCS alone when the environment sets it.
func TestGOMAXPROCS(t *testing.T) {
	for _, tc := range []struct{ env, want string }{{"", "1"}, {"2", "2"}} {
		t.Run("GOMAXPROCS="+tc.env, func(t *testing.T) {
			t.Setenv("GOMAXPROCS", tc.env)
			p := startLicd(t, "demo", "--listen", "127.0.0.1:0")
			var got string
			waitUntil(t, "go_gomaxprocs "+tc.want, func() bool {
				got = metric(t, p.addr, "go_gomaxprocs")
				return got == tc.want
			}, p)
		})
	}
}

// metric returns the value of a metric on licd's /metrics; name carries
// the labels as licd writes them, if any.
func metric(t *testing.T, addr, name string) string {
	t.Helper()
	resp, err := hc.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("no %s in /metrics:\n%s", name, b.String())
	return ""
}
