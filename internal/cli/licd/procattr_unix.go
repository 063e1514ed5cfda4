//go:build unix && !linux

package licd

import "syscall"

// childProcAttr puts a HAL demo node in its own process group, so that
// Ctrl-C in the terminal reaches only the demo, which then stops the nodes
// one by one.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
