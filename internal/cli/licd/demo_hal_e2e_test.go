//go:build unix

package licd

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/buildcmd"
	"github.com/floatlic/floatlic/licenses"
)

// buildLicd builds licd into dir for an end-to-end test.
func buildLicd(dir string) (string, error) {
	if err := buildcmd.Commands(dir, "licd"); err != nil {
		return "", err
	}
	return filepath.Join(dir, "licd"), nil
}

// demoOutput collects what licd demo --hal prints, line by line.
type demoOutput struct {
	mu    sync.Mutex
	lines []string
}

func (o *demoOutput) add(s string) {
	o.mu.Lock()
	o.lines = append(o.lines, s)
	o.mu.Unlock()
}

func (o *demoOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.lines, "\n")
}

// waitLine waits up to 30s for a line matching re and returns its submatches.
func (o *demoOutput) waitLine(t *testing.T, re string) []string {
	t.Helper()
	r := regexp.MustCompile(re)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		o.mu.Lock()
		for _, l := range o.lines {
			if m := r.FindStringSubmatch(l); m != nil {
				o.mu.Unlock()
				return m
			}
		}
		o.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no line matching %s after 30s in:\n%s", re, o)
	return nil
}

// TestHALDemo runs licd demo --hal, kills node #1 with SIGKILL, sees the
// demo say so and #2 serve, then stops the demo with SIGTERM: the other
// nodes stop and the demo files are gone.
func TestHALDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and starts real binaries")
	}
	licd, err := buildLicd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(licd, "demo", "--hal")
	out := &demoOutput{}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			out.add(sc.Text())
		}
	}()

	out.waitLine(t, `^licd demo: ready: node #\d \(\w+\) serves at `)
	dir := out.waitLine(t, `license in (\S+)$`)[1]
	var pids [3]int
	var addrs [3]string
	for i, role := range []string{"primary", "secondary", "quorum"} {
		m := out.waitLine(t, `^  `+strconv.Itoa(i+1)+`  `+role+`\s+(\S+)\s+\S+\s+(\d+)$`)
		addrs[i] = m[1]
		pids[i], _ = strconv.Atoi(m[2])
	}
	out.waitLine(t, `^  kill -9 `+strconv.Itoa(pids[0])+` `)
	out.waitLine(t, `^  go run \./cmd/licd serve .*--hal-id 1 `)

	waitServing(t, addrs[0]) // #1, once it has caught up, if #2 won the first election
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	out.waitLine(t, `^licd demo: node #1 \(pid `+strconv.Itoa(pids[0])+`\) exited: signal: killed; the others keep running`)
	waitServing(t, addrs[1])

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("licd demo --hal after SIGTERM: %v\n%s", err, out)
	}
	for _, pid := range pids[1:] {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("node pid %d still runs after the demo ended", pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("demo dir %s is still there (%v)", dir, err)
	}
}

// waitServing polls the node at addr for up to 20s until it serves.
func waitServing(t *testing.T, addr string) {
	t.Helper()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := licenses.FetchStatus(context.Background(), addr, hc); err == nil && st.Server.Serving {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s does not serve after 20s", addr)
}
