package licd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/token"
)

// halReadyTimeout bounds the wait for the first serving node: an election
// takes a few raft timeouts, well under a second with the defaults.
const halReadyTimeout = 30 * time.Second

// halStopGrace is how long a node has to stop after SIGTERM before it is
// killed.
const halStopGrace = 10 * time.Second

// runHALDemo is `licd demo --hal`: three nodes of a HAL set as child
// processes of this one, on free loopback ports, until Ctrl-C.
func runHALDemo(c *cli.Context) error {
	extra, err := halDemoFlags(c)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return exit.Setupf("HAL demo: find licd's own binary: %w", err)
	}
	addrs, err := freeLoopbackAddrs(6)
	if err != nil {
		return exit.Setupf("HAL demo: %w", err)
	}
	dir, err := os.MkdirTemp("", "floatlic-hal-demo-")
	if err != nil {
		return exit.Setupf("demo dir: %w", err)
	}
	defer os.RemoveAll(dir)
	files, err := demo.SetupHAL(dir, [3]string(addrs[:3]), [3]string(addrs[3:]))
	if err != nil {
		return exit.WithCode(exit.Setup, err)
	}
	// Signals are caught before the nodes start: Ctrl-C then stops them
	// one by one, as does SIGTERM.
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	set, err := startHALSet(exe, files, extra)
	if err != nil {
		return exit.WithCode(exit.Setup, err)
	}
	defer set.stop(halStopGrace)
	return superviseHAL(ctx, set, dir)
}

// superviseHAL waits for a serving node, prints the banner and "ready",
// then reports each node that exits on its own until Ctrl-C or SIGTERM.
func superviseHAL(ctx context.Context, set *halSet, dir string) error {
	id, err := set.waitServing(ctx, halReadyTimeout)
	if ctx.Err() != nil {
		return nil // Ctrl-C before the set was ready
	}
	if err != nil {
		return exit.Setupf("HAL demo: %w", err)
	}
	if err := printHALBanner(set, dir); err != nil {
		return exit.WithCode(exit.Setup, err)
	}
	set.say("ready: node #%d (%s) serves at %s\n", id, halRole(id), set.files.Clients[id-1])
	for {
		select {
		case <-ctx.Done():
			set.say("stopping the nodes it started\n")
			return nil
		case n := <-set.exits:
			set.say("node #%d (pid %d) %s; the others keep running. Restart it with:\n  %s\n",
				n.id, n.cmd.Process.Pid, n.exitReason(), restartLine(n))
		}
	}
}

// halDemoFlags checks the flags `licd demo --hal` takes and returns those
// it hands on to the nodes.
func halDemoFlags(c *cli.Context) ([]string, error) {
	for _, name := range []string{"listen", "tls-cert", "tls-key", "pprof"} {
		if c.IsSet(name) {
			return nil, exit.Usagef(c, "--%s does not apply to licd demo --hal: the nodes take free loopback ports", name)
		}
	}
	if _, err := configFrom(c); err != nil { // the checks serve makes, before the nodes start
		return nil, err
	}
	extra := []string{"--heartbeat-interval", (30 * time.Second).String()}
	if c.IsSet("heartbeat-interval") {
		extra[1] = c.Duration("heartbeat-interval").String()
	}
	for _, name := range []string{"lease", "clock-tolerance", "sync", "log-level", "log-format"} {
		if c.IsSet(name) {
			extra = append(extra, "--"+name, fmt.Sprint(c.Value(name)))
		}
	}
	return extra, nil
}

// say prints one message of the demo itself, between the nodes' lines.
func (s *halSet) say(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(Stdout, "licd demo: "+format, args...)
}

// restartLine is the command that starts node n again as the demo did.
func restartLine(n *halNode) string {
	return "go run ./cmd/licd " + shellLine(n.args...)
}

func printHALBanner(set *halSet, dir string) error {
	f := set.files
	pub, err := licfile.ReadPublicKey(f.VendorPub)
	if err != nil {
		return err
	}
	var nodes, restarts strings.Builder
	fmt.Fprintf(&nodes, "  #  %-9s  %-21s  %-21s  %s\n", "ROLE", "CLIENT ADDRESS", "RAFT ADDRESS", "PID")
	for _, n := range set.nodes {
		fmt.Fprintf(&nodes, "  %d  %-9s  %-21s  %-21s  %d\n", n.id, halRole(n.id), f.Clients[n.id-1], f.Raft[n.id-1], n.cmd.Process.Pid)
		fmt.Fprintf(&restarts, "  %s   # #%d\n", restartLine(n), n.id)
	}
	servers := strings.Join(f.Clients[:], ",")
	set.mu.Lock()
	defer set.mu.Unlock()
	_, err = fmt.Fprintf(Stdout, halBanner, dir, nodes.String(), servers, servers, servers, f.AdminToken,
		token.EncodeKey(pub), servers, servers, set.nodes[0].cmd.Process.Pid, set.nodes[1].cmd.Process.Pid, restarts.String())
	return err
}

const halBanner = `
floatlic HAL demo — three licd nodes on loopback serving one license, with
a throw-away vendor key and license in %s
features: cad_pro (5 licenses, 48 h grace, borrow up to 72 h),
          cad_view (20), solver (version 3.1, 2 licenses, borrow up to 24 h)
each node signs grace and borrow tokens with its own token key; the
license's TOKEN_KEY lists the three in role order

%s
#1 serves checkouts and borrows; #2 serves checkouts (not borrows) while #1
is down; #3 only completes the majority. A node's log lines start with [id].

In another terminal, watch it (q quits; the Servers view shows the nodes),
or print it once, or watch it with x to remove a checkout:
  go run ./cmd/licstat --server %s
  go run ./cmd/licstat --server %s --once
  go run ./cmd/licstat --server %s --admin-token-file %s
Try it:
  export LIC_VENDOR_PUB=%s   # the demo vendor key: grace and borrow tokens must chain to it
  go run ./cmd/licborrow checkout cad_pro --server %s --hold 10m
  go run ./cmd/licborrow borrow solver --hours 4 --server %s
Kill a node:
  kill -9 %d   # #1: #2 takes over and the checkout keeps its seat
  kill -9 %d   # #2 as well: no majority, #3 answers no_quorum
Start a node you killed again (it then runs in that terminal: stop it
before this demo ends, which deletes its files):
%s
Ctrl-C stops the three nodes and deletes the demo files.
`
