//go:build unix && !linux

package failover

import "syscall"

// childProcAttr puts a node in its own process group, so that Ctrl-C in the
// terminal reaches only licbench, which then stops the nodes.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
