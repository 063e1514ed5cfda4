package proctest

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLinesStderrAndExitCode(t *testing.T) {
	p := Start(t, exec.Command("sh", "-c", "echo one; echo two; echo oops >&2; exit 3"))
	if got := p.WaitLine(t, 10*time.Second, `"two"`, func(l string) bool { return l == "two" }); got != "two" {
		t.Fatalf("WaitLine = %q", got)
	}
	if code := p.Exit(t, 10*time.Second); code != 3 {
		t.Fatalf("exit code %d, want 3", code)
	}
	if s := p.Stderr(); s != "oops\n" {
		t.Fatalf("stderr %q", s)
	}
}

func TestSignal(t *testing.T) {
	p := Start(t, exec.Command("sh", "-c", `trap 'exit 5' INT; echo ready; while :; do sleep 0.05; done`))
	p.WaitLine(t, 10*time.Second, "ready", func(l string) bool { return strings.HasPrefix(l, "ready") })
	if err := p.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.Exit(t, 10*time.Second); code != 5 {
		t.Fatalf("exit code %d after SIGINT, want 5", code)
	}
}
