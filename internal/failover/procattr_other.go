//go:build !unix

package failover

import "syscall"

// childProcAttr is nil where process groups do not exist.
func childProcAttr() *syscall.SysProcAttr { return nil }
