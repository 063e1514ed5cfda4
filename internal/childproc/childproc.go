// Package childproc holds what the programs and tests that run licd nodes
// as child processes share: the children's process attributes, a starter
// that keeps Linux's parent-death signal reliable, and free loopback
// addresses to give the nodes.
package childproc

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"runtime"
)

// ReserveAddrs returns n distinct free 127.0.0.1 addresses. They are held
// open until release is called, so they differ and a listener on port 0
// (a test's proxy) cannot take one meanwhile; call release just before the
// processes that listen on them start. Another process may still take one
// after release. release may be called more than once.
func ReserveAddrs(n int) (addrs []string, release func(), err error) {
	var lns []net.Listener
	release = func() {
		for _, ln := range lns {
			ln.Close()
		}
		lns = nil
	}
	addrs = make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			release()
			return nil, nil, fmt.Errorf("find a free loopback port: %w", err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, release, nil
}

// ErrSpawnerClosed is returned by Spawner.Start after Close.
var ErrSpawnerClosed = errors.New("childproc: spawner closed")

// Spawner starts child processes from one goroutine locked to its OS
// thread until Close. Linux sends a child its parent-death signal (Attr)
// when the thread that forked it ends, not when the process does; which
// thread a goroutine runs on is the runtime's choice, and the runtime ends
// the thread of a goroutine that exits while locked to it. Starting every
// child from one thread that outlives them keeps the signal for the
// parent's death alone.
type Spawner struct {
	reqs chan spawnReq
	quit chan struct{}
	done chan struct{}
}

type spawnReq struct {
	cmd *exec.Cmd
	err chan error
}

// NewSpawner starts a Spawner's goroutine.
func NewSpawner() *Spawner {
	s := &Spawner{reqs: make(chan spawnReq), quit: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *Spawner) loop() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(s.done)
	for {
		select {
		case r := <-s.reqs:
			r.err <- r.cmd.Start()
		case <-s.quit:
			return
		}
	}
}

// Start calls cmd.Start on the spawner's thread. It is safe from any
// goroutine.
func (s *Spawner) Start(cmd *exec.Cmd) error {
	r := spawnReq{cmd: cmd, err: make(chan error, 1)}
	select {
	case s.reqs <- r:
		return <-r.err
	case <-s.done:
		return ErrSpawnerClosed
	}
}

// Close ends the spawner's goroutine; call it once the children it started
// have exited. It may be called more than once.
func (s *Spawner) Close() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
}
