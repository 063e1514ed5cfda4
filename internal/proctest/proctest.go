// Package proctest runs a command in the background of a test, as a user
// leaves one running in another terminal: its stdout is read line by line
// as it comes, its stderr is kept for the failure message, and it is
// killed when the test ends.
package proctest

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Proc is a running command.
type Proc struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr lockedBuffer
	done   chan struct{} // closed once it has ended; then code and err hold
	code   int
	err    error // a failure to wait other than an exit code
}

// Start starts cmd, whose Stdout and Stderr must be unset.
func Start(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{cmd: cmd, lines: make(chan string, 100), done: make(chan struct{})}
	cmd.Stderr = &p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		} else {
			p.err = err
		}
		close(p.done)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Stderr returns what the process has written to stderr so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

// WaitLine waits up to timeout for a stdout line that match accepts, and
// returns it; the lines before it are dropped. The test fails if the
// process ends or the time runs out first; what names the line sought.
func (p *Proc) WaitLine(t testing.TB, timeout time.Duration, what string, match func(string) bool) string {
	t.Helper()
	expire := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("%s ended before printing %s; stderr: %s", p.cmd.Path, what, p.Stderr())
			}
			if match(line) {
				return line
			}
		case <-expire:
			t.Fatalf("%s did not print %s within %v; stderr: %s", p.cmd.Path, what, timeout, p.Stderr())
		}
	}
}

// Exit waits up to timeout for the process to end, and returns its exit
// code; the rest of its stdout is dropped.
func (p *Proc) Exit(t testing.TB, timeout time.Duration) int {
	t.Helper()
	go func() {
		for range p.lines {
		}
	}()
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("%s: %v", p.cmd.Path, p.err)
		}
		return p.code
	case <-time.After(timeout):
		t.Fatalf("%s did not end within %v; stderr: %s", p.cmd.Path, timeout, p.Stderr())
		return -1
	}
}

// lockedBuffer is a bytes.Buffer that exec's copying goroutine may write
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
