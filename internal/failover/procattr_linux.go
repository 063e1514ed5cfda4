package failover

import "syscall"

// childProcAttr puts a node in its own process group, so that Ctrl-C in the
// terminal reaches only licbench, which then stops the nodes; and has Linux
// kill it should licbench die without stopping it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
