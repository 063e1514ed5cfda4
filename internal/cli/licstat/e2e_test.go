package licstat

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/buildcmd"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds licd and licstat once for every end-to-end test.
func binaries(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and starts real binaries")
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "licstat-e2e-")
		if buildErr != nil {
			return
		}
		buildErr = buildcmd.Commands(binDir, "licd", "licstat")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// startLicd runs `licd demo` on a free loopback port and returns its address.
func startLicd(t *testing.T, bin string) string {
	t.Helper()
	addr, _ := startDemo(t, bin)
	return addr
}

// startDemo runs `licd demo` and returns its address and admin token file,
// both read from what it prints.
func startDemo(t *testing.T, bin string) (addr, tokenFile string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "licd"), "demo", "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(cmd) })
	listen := regexp.MustCompile(`^listening on http://(\S+)$`)
	token := regexp.MustCompile(`--admin-token-file (\S+)`)
	found := make(chan [2]string, 1)
	go func() {
		var got [2]string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listen.FindStringSubmatch(sc.Text()); m != nil {
				got[0] = m[1]
			}
			if m := token.FindStringSubmatch(sc.Text()); m != nil && got[1] == "" {
				got[1] = m[1]
				found <- got
			}
		}
	}()
	select {
	case got := <-found:
		return got[0], got[1]
	case <-time.After(20 * time.Second):
		t.Fatal("licd demo did not print its address and admin token file")
		return "", ""
	}
}

// licstat runs the licstat binary and returns its stdout, failing on a
// non-zero exit.
func licstat(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "licstat"), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("licstat %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// TestEndToEnd starts a real licd, checks licenses out with the licenses
// package, and reads them back with the licstat binary.
func TestEndToEnd(t *testing.T) {
	bin := binaries(t)
	addr := startLicd(t, bin)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	checkout := func(user, host, feature string) *licenses.License {
		t.Helper()
		c, err := licenses.New(licenses.Options{Servers: []string{addr}, User: user, Host: host, StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		l, err := c.Checkout(ctx, feature, "")
		if err != nil {
			t.Fatalf("checkout %s for %s: %v", feature, user, err)
		}
		return l
	}
	ann := checkout("ann", "ws1", "cad_pro")
	checkout("bob", "ws2", "cad_pro")
	checkout("carol", "hpc7", "solver")

	var st wire.Status
	if err := json.Unmarshal([]byte(licstat(t, bin, "--server", addr, "--json")), &st); err != nil {
		t.Fatalf("--json: %v", err)
	}
	users := map[string]string{}
	for _, co := range st.Checkouts {
		users[co.User] = co.Feature + "@" + co.Host
		if co.Since.IsZero() || co.LastHeartbeat.IsZero() || co.PID != os.Getpid() {
			t.Errorf("checkout %+v: want since, last heartbeat and this pid", co)
		}
	}
	if len(st.Checkouts) != 3 || users["ann"] != "cad_pro@ws1" || users["bob"] != "cad_pro@ws2" || users["carol"] != "solver@hpc7" {
		t.Errorf("--json checkouts: %v", users)
	}
	inUse := map[string]int{}
	for _, f := range st.Features {
		inUse[f.Name] = f.InUse
	}
	if inUse["cad_pro"] != 2 || inUse["solver"] != 1 || inUse["cad_view"] != 0 {
		t.Errorf("--json in use: %v", inUse)
	}

	once := licstat(t, bin, "--server", addr, "--once")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^License server ` + regexp.QuoteMeta(addr) + `: single, serving, instance [0-9a-f]+`),
		regexp.MustCompile(`(?m)^  cad_pro\s+2\.0\s+2/5\s+0\s+0\s+\S+$`),
		regexp.MustCompile(`(?m)^  solver\s+3\.1\s+1/2\s`),
		regexp.MustCompile(`(?m)^CHECKOUTS \(3 checkouts by 3 users on 3 hosts\)$`),
		regexp.MustCompile(`(?m)^  cad_pro\s+ann\s+ws1\s+\d+\s+\S+\s+(now|\d+s ago)\s+\S+$`),
		regexp.MustCompile(`(?m)^  solver\s+carol\s+hpc7\s`),
		regexp.MustCompile(`(?m)^  1\s+` + regexp.QuoteMeta(addr) + `\s+single\s+up\s+serving\s+-\s+-$`),
	} {
		if !want.MatchString(once) {
			t.Errorf("--once output does not match %s:\n%s", want, once)
		}
	}

	if err := ann.Checkin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(licstat(t, bin, "--server", addr, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Checkouts) != 2 {
		t.Errorf("%d checkouts after ann's checkin, want 2", len(st.Checkouts))
	}
}

// stop ends a process the test started: SIGTERM, then SIGKILL if it has
// not exited within 10 s.
func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}
