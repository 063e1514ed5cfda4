package failover

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// stopGrace is how long a node has to stop after SIGTERM at the end.
const stopGrace = 10 * time.Second

// set is a HAL set of three licd processes on loopback.
type set struct {
	licd  string
	files demo.HALFiles
	extra []string // flags after each node's own: --log-level ...
	nodes [3]*node
	hc    *http.Client
}

// node is one licd process of the set; a restart replaces cmd and done.
type node struct {
	id   int
	log  string        // where its stdout and stderr go, appended across restarts
	cmd  *exec.Cmd     // nil before the first start
	done chan struct{} // closed when cmd has exited
	err  error         // why it exited, set before done closes
}

// newSet writes a HAL set's files into dir (demo.SetupHAL, free loopback
// ports) and returns it, not started.
func newSet(licd, dir string, extra []string) (*set, error) {
	addrs, release, err := childproc.ReserveAddrs(6)
	if err != nil {
		return nil, err
	}
	release()
	files, err := demo.SetupHAL(dir, [3]string(addrs[:3]), [3]string(addrs[3:]))
	if err != nil {
		return nil, fmt.Errorf("set up the HAL set in %s: %w", dir, err)
	}
	s := &set{licd: licd, files: files, extra: extra, hc: &http.Client{Timeout: 2 * time.Second}}
	for i := range s.nodes {
		s.nodes[i] = &node{id: i + 1, log: filepath.Join(dir, fmt.Sprintf("node%d.log", i+1))}
	}
	return s, nil
}

// start starts node id with the same arguments every time.
func (s *set) start(id int) error {
	n := s.nodes[id-1]
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("node #%d log: %w", id, err)
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(s.licd, append(s.files.ServeArgs(id), s.extra...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Ctrl-C reaches only licbench, which then stops the nodes; should it
	// die without stopping them, Linux kills them.
	cmd.SysProcAttr = childproc.Attr(syscall.SIGKILL)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start HAL node #%d: %w", id, err)
	}
	n.cmd, n.done, n.err = cmd, make(chan struct{}), nil
	go func() {
		err := cmd.Wait()
		n.err = err
		close(n.done)
	}()
	return nil
}

// alive reports whether node id runs.
func (s *set) alive(id int) bool {
	n := s.nodes[id-1]
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to node id (kill -9) and returns once the process
// has exited.
func (s *set) kill(id int) error {
	n := s.nodes[id-1]
	if !s.alive(id) {
		return fmt.Errorf("node #%d is not running", id)
	}
	if err := n.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill -9 node #%d: %w", id, err)
	}
	select {
	case <-n.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("node #%d (pid %d) still runs %s after SIGKILL", id, n.cmd.Process.Pid, stopGrace)
	}
}

// stop sends SIGTERM to every running node, waits for them up to
// stopGrace, and kills those still running.
func (s *set) stop() {
	for id := 1; id <= 3; id++ {
		if s.alive(id) {
			_ = s.nodes[id-1].cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline := time.After(stopGrace)
	for _, n := range s.nodes {
		if n.cmd == nil {
			continue
		}
		select {
		case <-n.done:
		case <-deadline:
			_ = n.cmd.Process.Kill()
			<-n.done
		}
	}
}

// exited returns an error naming a node that should run and does not.
func (s *set) exited(skip int) error {
	for id := 1; id <= 3; id++ {
		if id != skip && !s.alive(id) {
			return fmt.Errorf("HAL node #%d exited (%v): see %s", id, s.nodes[id-1].err, s.nodes[id-1].log)
		}
	}
	return nil
}

// status fetches node id's own view of the set.
func (s *set) status(ctx context.Context, id int) (*wire.Status, error) {
	return licenses.FetchStatus(ctx, s.files.Clients[id-1], s.hc)
}
