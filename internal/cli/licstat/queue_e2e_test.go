package licstat

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/buildcmd"
	"github.com/floatlic/floatlic/internal/proctest"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

var (
	licborrowOnce sync.Once
	licborrowErr  error
)

// licborrowBin builds licborrow next to licd and licstat.
func licborrowBin(t *testing.T) string {
	t.Helper()
	bin := binaries(t)
	licborrowOnce.Do(func() {
		licborrowErr = buildcmd.Commands(bin, "licborrow")
	})
	if licborrowErr != nil {
		t.Fatal(licborrowErr)
	}
	return bin
}

// proc is a licborrow process running in the background.
type proc struct{ *proctest.Proc }

func startLicborrow(t *testing.T, bin string, args ...string) proc {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "licborrow"), args...)
	cmd.Env = append(os.Environ(), licenses.EnvStateDir+"="+t.TempDir())
	return proc{proctest.Start(t, cmd)}
}

// waitLine waits for a stdout line matching re.
func (p proc) waitLine(t *testing.T, re string) {
	t.Helper()
	p.WaitLine(t, 20*time.Second, re, regexp.MustCompile(re).MatchString)
}

// exit waits for the process to end and returns its exit code.
func (p proc) exit(t *testing.T) int {
	t.Helper()
	return p.Exit(t, 20*time.Second)
}

// TestQueueAndRemoveEndToEnd drives a real licd with the real licborrow and
// licstat: solver has two licenses, a third `checkout --queue` waits at
// position 1 (licstat shows it), gets the license when a holder checks in,
// and `licstat remove --user --hold` takes the user's licenses away: the
// waiting client's re-take is refused, and so is a new checkout.
func TestQueueAndRemoveEndToEnd(t *testing.T) {
	bin := licborrowBin(t)
	addr, tokenFile := startDemo(t, bin)
	first := startLicborrow(t, bin, "checkout", "solver", "--server", addr)
	first.waitLine(t, `^checked out solver 3\.1 from `)
	second := startLicborrow(t, bin, "checkout", "solver", "--server", addr)
	second.waitLine(t, `^checked out solver 3\.1 from `)
	waiter := startLicborrow(t, bin, "checkout", "solver", "--queue", "--server", addr, "--heartbeat-interval", "200ms")
	waiter.waitLine(t, `^queued for solver: position 1 of 1$`)

	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	once := licstat(t, bin, "--server", addr, "--once")
	if !regexp.MustCompile(`(?m)^QUEUE \(1 request waiting\)\n\s+FEATURE\s+POSITION\s+USER\s+HOST\s+WAITING\n\s+solver\s+1/1\s+` +
		regexp.QuoteMeta(me.Username) + `\s`).MatchString(once) {
		t.Errorf("--once shows no queue:\n%s", once)
	}
	var st wire.Status
	if err := json.Unmarshal([]byte(licstat(t, bin, "--server", addr, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Queue) != 1 || st.Queue[0].Feature != "solver" || st.Queue[0].Position != 1 {
		t.Errorf("--json queue = %+v", st.Queue)
	}

	first.Signal(syscall.SIGINT)
	first.waitLine(t, `^checked in solver$`)
	waiter.waitLine(t, `^checked out solver 3\.1 from `)

	out := licstat(t, bin, "remove", "--server", addr, "--admin-token-file", tokenFile,
		"--user", me.Username, "--feature", "solver", "--hold", "1m")
	host, _ := os.Hostname()
	who := regexp.QuoteMeta(me.Username + "@" + host)
	if !regexp.MustCompile(`^removed 2 checkouts of solver \(` + who + ` ×2\); hold until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$`).MatchString(out) {
		t.Errorf("licstat remove printed %q", out)
	}
	// The waiter heartbeats every 200 ms: it finds its license gone, is
	// refused it back, and ends.
	if code := waiter.exit(t); code != 1 || !strings.Contains(waiter.Stderr(), wire.CodeRemovedHold) {
		t.Errorf("the removed client: exit %d, stderr %q; want 1 and removed_hold", code, waiter.Stderr())
	}
	again := startLicborrow(t, bin, "checkout", "solver", "--server", addr)
	if code := again.exit(t); code != 1 || !strings.Contains(again.Stderr(), "removed_hold") {
		t.Errorf("a new checkout while held: exit %d, stderr %q; want 1 and removed_hold", code, again.Stderr())
	}

	// Without the token, one line that says how to make one, exit 1.
	cmd := exec.Command(filepath.Join(bin, "licstat"), "remove", "--server", addr, "--user", me.Username)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "licd token") ||
		strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
		t.Errorf("remove without a token: %v, stderr %q", err, stderr.String())
	}
}
