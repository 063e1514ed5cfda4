//go:build !unix

package licd

import "syscall"

// childProcAttr is nil where process groups do not exist.
func childProcAttr() *syscall.SysProcAttr { return nil }
