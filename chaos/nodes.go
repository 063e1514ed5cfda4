package chaos

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
	"github.com/floatlic/floatlic/internal/token"
)

// The node faults: kill -9, restart, pause, a lost data dir. Node
// numbers are 1-based.

// Kill sends node SIGKILL (kill -9) and waits until it has exited.
func (c *Cluster) Kill(node int) error {
	if !c.Running(node) {
		return fmt.Errorf("kill node #%d: it is not running", node)
	}
	return c.stop(c.nodes[node-1])
}

// stop kills n's process, if any, as the test's doing (not a crash), and
// waits until it has exited.
func (c *Cluster) stop(n *node) error {
	c.mu.Lock()
	p := n.proc
	n.proc, n.paused = nil, false
	if p == nil {
		c.mu.Unlock()
		return nil
	}
	p.killed = true
	err := p.cmd.Process.Kill()
	c.mu.Unlock()
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill -9 node #%d: %w", n.id, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("node #%d (pid %d) still runs %v after SIGKILL", n.id, p.cmd.Process.Pid, killWait)
	}
}

// Start starts node, which must be down, with the flags it always has, and
// waits for its "listening on" line. A node that does not listen within
// startWait is killed.
func (c *Cluster) Start(node int) error {
	n := c.nodes[node-1]
	if c.Running(node) {
		return fmt.Errorf("start node #%d: it is running", node)
	}
	off, err := c.spawn(n)
	if err != nil {
		return err
	}
	if err := c.waitListening(n, off); err != nil {
		_ = c.stop(n)
		return err
	}
	return nil
}

// Pause stops node with SIGSTOP: it keeps its ports and answers nothing,
// like a node in a long GC pause or a frozen VM.
func (c *Cluster) Pause(node int) error { return c.signal(node, syscall.SIGSTOP, true) }

// Resume continues a paused node with SIGCONT.
func (c *Cluster) Resume(node int) error { return c.signal(node, syscall.SIGCONT, false) }

// signal sends sig to node, which must be running and, to pause, not
// paused already, or to resume, paused.
func (c *Cluster) signal(node int, sig syscall.Signal, pause bool) error {
	n := c.nodes[node-1]
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case n.proc == nil || exited(n.proc):
		return fmt.Errorf("%v node #%d: it is not running", sig, node)
	case pause && n.paused:
		return fmt.Errorf("%v node #%d: it is paused already", sig, node)
	case !pause && !n.paused:
		return fmt.Errorf("%v node #%d: it is not paused", sig, node)
	}
	if err := n.proc.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%v node #%d: %w", sig, node, err)
	}
	n.paused = pause
	return nil
}

// Running reports whether node's process is up; a paused node runs.
func (c *Cluster) Running(node int) bool {
	n := c.nodes[node-1]
	c.mu.Lock()
	defer c.mu.Unlock()
	return n.proc != nil && !exited(n.proc)
}

// Paused reports whether node is stopped by Pause.
func (c *Cluster) Paused(node int) bool {
	n := c.nodes[node-1]
	c.mu.Lock()
	defer c.mu.Unlock()
	return n.proc != nil && n.paused && !exited(n.proc)
}

// answering reports whether node runs and is not paused: whether its
// status is worth asking for.
func (c *Cluster) answering(node int) bool {
	return c.Running(node) && !c.Paused(node)
}

// Wipe empties the data dir of node, which must be down, except its token
// key: the disk was lost and the admin restored the key from a backup. The
// node must then catch up from the others, and never serve from empty.
func (c *Cluster) Wipe(node int) error {
	n := c.nodes[node-1]
	if c.Running(node) {
		return fmt.Errorf("wipe node #%d: it is running", node)
	}
	keep := filepath.Base(token.KeyPrefix(n.data) + ".key")
	entries, err := os.ReadDir(n.data)
	if err != nil {
		return fmt.Errorf("wipe node #%d: %w", node, err)
	}
	for _, e := range entries {
		if e.Name() == keep {
			continue
		}
		if err := os.RemoveAll(filepath.Join(n.data, e.Name())); err != nil {
			return fmt.Errorf("wipe node #%d: %w", node, err)
		}
	}
	return nil
}

// Exited returns an error naming a node that exited while it should have
// run (not by Kill or Close), with its exit status. Such an exit is kept:
// Exited reports the first one even after the node was started again.
func (c *Cluster) Exited() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crash
}

func exited(p *proc) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// spawn starts node n's licd with its output appended to its log, and
// returns the log's size before the start: where this run's output begins.
func (c *Cluster) spawn(n *node) (int64, error) {
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("node #%d log: %w", n.id, err)
	}
	defer logf.Close() // the child has its own copy
	fi, err := logf.Stat()
	if err != nil {
		return 0, fmt.Errorf("node #%d log: %w", n.id, err)
	}
	cmd := exec.Command(c.cfg.Licd, n.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Ctrl-C reaches only the test; should it die without stopping the
	// nodes, Linux kills them.
	cmd.SysProcAttr = childproc.Attr(syscall.SIGKILL)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, fmt.Errorf("start node #%d: the cluster is closed", n.id)
	}
	if err := c.spawner.Start(cmd); err != nil {
		return 0, fmt.Errorf("start node #%d: %w", n.id, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	n.proc, n.paused = p, false
	go c.reap(n.id, p)
	return fi.Size(), nil
}

// reap waits for p to exit and records an exit that was not asked for.
func (c *Cluster) reap(id int, p *proc) {
	err := p.cmd.Wait()
	c.mu.Lock()
	if !p.killed && c.crash == nil {
		c.crash = fmt.Errorf("node #%d exited (%v), not by the test: see %s", id, exitStatus(err), c.nodes[id-1].log)
	}
	c.mu.Unlock()
	close(p.done)
}

// exitStatus says how a process ended: its Wait error, or "exit status 0".
func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// waitListening waits for the "listening on" line of n's current run,
// whose output starts at off in its log.
func (c *Cluster) waitListening(n *node, off int64) error {
	c.mu.Lock()
	p := n.proc
	c.mu.Unlock()
	if p == nil {
		return fmt.Errorf("node #%d was stopped while it started", n.id)
	}
	deadline := time.Now().Add(startWait)
	for {
		out, err := readFrom(n.log, off)
		if err != nil {
			return fmt.Errorf("node #%d log: %w", n.id, err)
		}
		if strings.Contains(out, "listening on ") {
			return nil
		}
		if exited(p) {
			return fmt.Errorf("node #%d exited at start (%v):\n%s", n.id, p.cmd.ProcessState, c.LogTail(n.id, 30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node #%d did not listen within %v:\n%s", n.id, startWait, c.LogTail(n.id, 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readFrom returns the file at path from offset off on.
func readFrom(path string, off int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return "", err
	}
	b, err := io.ReadAll(f)
	return string(b), err
}
