//go:build !unix

package childproc

import "syscall"

// Attr is nil where process groups do not exist.
func Attr(deathSig syscall.Signal) *syscall.SysProcAttr { return nil }
