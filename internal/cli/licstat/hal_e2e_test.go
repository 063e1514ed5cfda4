package licstat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// startHALSet starts the three nodes of a HAL set made by demo.SetupHAL on
// free loopback ports, each logging to a file that the test shows when it
// fails, and waits until one serves.
func startHALSet(t *testing.T, bin string) (demo.HALFiles, [3]*exec.Cmd) {
	t.Helper()
	dir := t.TempDir()
	addrs := freeAddrs(t, 6)
	files, err := demo.SetupHAL(dir, [3]string(addrs[:3]), [3]string(addrs[3:]))
	if err != nil {
		t.Fatal(err)
	}
	var nodes [3]*exec.Cmd
	for i := range nodes {
		nodes[i] = startNode(t, bin, files, i+1, filepath.Join(dir, fmt.Sprintf("node%d.log", i+1)))
	}
	waitFor(t, "a serving node", func() bool { return servingNode(files) != 0 })
	return files, nodes
}

func startNode(t *testing.T, bin string, files demo.HALFiles, id int, logFile string) *exec.Cmd {
	t.Helper()
	log, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "licd"), files.ServeArgs(id)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop(cmd)
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("node #%d's log:\n%s", id, b)
		}
	})
	return cmd
}

// freeAddrs returns n distinct free loopback addresses.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs, release, err := childproc.ReserveAddrs(n)
	if err != nil {
		t.Fatal(err)
	}
	release()
	return addrs
}

// servingNode returns the id of a node that says it serves, or 0.
func servingNode(files demo.HALFiles) int {
	hc := &http.Client{Timeout: time.Second}
	for i, addr := range files.Clients {
		st, err := licenses.FetchStatus(context.Background(), addr, hc)
		if err == nil && st.Server.Serving {
			return i + 1
		}
	}
	return 0
}

// waitFor polls cond every 100ms for up to 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 20s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHALEndToEnd starts a HAL set, kills node #1 with SIGKILL, and reads
// the set back with licstat --once and --json through the three addresses.
func TestHALEndToEnd(t *testing.T) {
	bin := binaries(t)
	files, nodes := startHALSet(t, bin)
	// #2 may win the first election; it hands the service to #1 then.
	waitFor(t, "node #1 serving", func() bool { return servingNode(files) == 1 })
	if err := nodes[0].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	nodes[0].Wait()
	waitFor(t, "node #2 serving after #1 was killed", func() bool { return servingNode(files) == 2 })

	list := strings.Join(files.Clients[:], ",")
	var st wire.Status
	if err := json.Unmarshal([]byte(licstat(t, bin, "--server", list, "--json")), &st); err != nil {
		t.Fatalf("--json: %v", err)
	}
	if st.Server.HALID != 2 || !st.Server.Serving {
		t.Errorf("--json server = %+v, want node #2 serving", st.Server)
	}
	want := []wire.ServerNode{
		{ID: 1, Addr: files.Clients[0], Role: "primary"},
		{ID: 2, Addr: files.Clients[1], Role: "secondary", Up: true, Serving: true},
		{ID: 3, Addr: files.Clients[2], Role: "quorum", Up: true},
	}
	got := append([]wire.ServerNode(nil), st.Servers...)
	for i := range got {
		if got[i].Up && (got[i].Term == 0 || got[i].Applied == 0) {
			t.Errorf("node #%d is up with term %d, applied %d: want both", got[i].ID, got[i].Term, got[i].Applied)
		}
		got[i].Term, got[i].Applied = 0, 0
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("--json servers =\n%+v\nwant (term and applied aside)\n%+v", st.Servers, want)
	}

	once := licstat(t, bin, "--server", list, "--once")
	for _, re := range []string{
		`(?m)^License server ` + regexp.QuoteMeta(files.Clients[1]) + `: secondary, serving,`,
		`(?m)^  1\s+` + regexp.QuoteMeta(files.Clients[0]) + `\s+primary\s+down\s+-\s+-\s+-$`,
		`(?m)^  2\s+` + regexp.QuoteMeta(files.Clients[1]) + `\s+secondary\s+up\s+serving\s+\d+\s+\d+$`,
		`(?m)^  3\s+` + regexp.QuoteMeta(files.Clients[2]) + `\s+quorum\s+up\s+-\s+\d+\s+\d+$`,
		`(?m)^  quorum: yes \(2 of 3 up, #2 serving\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(once) {
			t.Errorf("--once does not match %s:\n%s", re, once)
		}
	}
}
