package licd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/licenses"
)

// halNode is one licd child process of `licd demo --hal`.
type halNode struct {
	id   int
	args []string // after the executable: "serve" and its flags
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // why it exited, set before done closes
}

// halSet is the three nodes and where their output goes.
type halSet struct {
	nodes [3]*halNode
	files demo.HALFiles
	exits chan *halNode // each node once, when it exits
	mu    sync.Mutex    // one line at a time on Stdout and Stderr
}

// startHALSet starts node #1, #2 and #3 as children running exe with
// `serve`, the node's flags from files, then extra.
//
// They are started from one goroutine locked to its OS thread until the
// last of them has exited: Linux sends a child its parent-death signal
// (childproc.Attr) when the thread that started it ends, not the process,
// and Go may end an idle thread.
func startHALSet(exe string, files demo.HALFiles, extra []string) (*halSet, error) {
	s := &halSet{files: files, exits: make(chan *halNode, 3)}
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := range s.nodes {
			if err := s.startNode(exe, i+1, extra); err != nil {
				started <- err
				return
			}
		}
		started <- nil
		for _, n := range s.nodes {
			<-n.done
		}
	}()
	if err := <-started; err != nil {
		s.stop(time.Second)
		return nil, err
	}
	return s, nil
}

// startNode starts node id and a goroutine that reports its exit.
func (s *halSet) startNode(exe string, id int, extra []string) error {
	n := &halNode{id: id, done: make(chan struct{})}
	n.args = append(s.files.ServeArgs(id), extra...)
	n.cmd = exec.Command(exe, n.args...)
	n.cmd.Stdout = &prefixWriter{mu: &s.mu, w: Stdout, prefix: fmt.Sprintf("[%d] ", id)}
	n.cmd.Stderr = &prefixWriter{mu: &s.mu, w: Stderr, prefix: fmt.Sprintf("[%d] ", id)}
	// Ctrl-C reaches only the demo, which then stops the nodes one by one;
	// should the demo die without stopping them, Linux sends them SIGTERM.
	n.cmd.SysProcAttr = childproc.Attr(syscall.SIGTERM)
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("start HAL node #%d: %w", id, err)
	}
	s.nodes[id-1] = n
	go func() {
		n.err = n.cmd.Wait()
		n.flush()
		close(n.done)
		s.exits <- n
	}()
	return nil
}

// flush writes what the node printed after its last newline.
func (n *halNode) flush() {
	for _, w := range []io.Writer{n.cmd.Stdout, n.cmd.Stderr} {
		w.(*prefixWriter).flush()
	}
}

// exitReason says how the node exited: "exited: signal: killed".
func (n *halNode) exitReason() string {
	if n.err == nil {
		return "exited with status 0"
	}
	return "exited: " + n.err.Error()
}

// alive reports whether the node has not exited yet.
func (n *halNode) alive() bool {
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM to every node still running, waits up to grace for
// them to exit, and kills those that have not.
func (s *halSet) stop(grace time.Duration) {
	for _, n := range s.nodes {
		if n != nil && n.alive() {
			n.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline := time.After(grace)
	for _, n := range s.nodes {
		if n == nil {
			continue
		}
		select {
		case <-n.done:
		case <-deadline:
			n.cmd.Process.Kill()
			<-n.done
		}
	}
}

// waitServing polls the nodes' status until one says it serves, and returns
// its id. When #2 serves first, it waits up to preferPrimary more for #2 to
// hand the service to #1, as it does once #1 has caught up, so that the
// banner's "kill #1" is about the serving node. It gives up when ctx ends,
// after timeout, or when a node exits (a node that exits at start was
// refused its configuration).
func (s *halSet) waitServing(ctx context.Context, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Timeout: 500 * time.Millisecond}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var other int // a node other than #1 that serves
	var since time.Time
	for {
		id, err := s.serving(ctx, hc)
		switch {
		case err != nil:
			return 0, err
		case id == 1:
			return id, nil
		case id != 0 && other == 0:
			other, since = id, time.Now()
		case other != 0 && time.Since(since) > preferPrimary:
			return other, nil
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return 0, fmt.Errorf("no node serves after %s (the nodes' logs are above)", timeout)
			}
			return 0, ctx.Err()
		case <-tick.C:
		}
	}
}

// preferPrimary is how long waitServing waits for #1 to take over from #2.
const preferPrimary = 5 * time.Second

// serving returns the id of a node that says it serves, or 0, or an error
// when a node has exited.
func (s *halSet) serving(ctx context.Context, hc *http.Client) (int, error) {
	for _, n := range s.nodes {
		if !n.alive() {
			return 0, fmt.Errorf("node #%d %s before any node served (its log is above)", n.id, n.exitReason())
		}
		if st, err := licenses.FetchStatus(ctx, s.files.Clients[n.id-1], hc); err == nil && st.Server.Serving {
			return n.id, nil
		}
	}
	return 0, nil
}

// freeLoopbackAddrs returns n distinct free ports on 127.0.0.1. They are
// held open together while they are picked, so they differ; another
// process may still take one before licd listens on it.
func freeLoopbackAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free loopback port: %w", err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// halRole names the fixed role of HAL node id.
func halRole(id int) string {
	return [...]string{"", "primary", "secondary", "quorum"}[id]
}

// shellLine quotes args for a POSIX shell where they need it.
func shellLine(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=@+", r))
		}) {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// prefixWriter writes each line written to it to w, after prefix, in one
// Write under mu: the three nodes' logs interleave by whole lines.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

// maxLine bounds what prefixWriter holds while waiting for a newline.
const maxLine = 64 << 10

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 && len(p.buf) < maxLine {
			return len(b), nil
		}
		if i < 0 {
			i = len(p.buf) - 1
		}
		p.line(p.buf[:i+1])
		p.buf = p.buf[i+1:]
	}
}

func (p *prefixWriter) line(b []byte) {
	out := make([]byte, 0, len(p.prefix)+len(b)+1)
	out = append(append(out, p.prefix...), b...)
	if out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(out)
}

func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		p.line(p.buf)
		p.buf = nil
	}
}
