//go:build unix && !linux

package childproc

import "syscall"

// Attr puts a child in its own process group, so that Ctrl-C in the
// terminal reaches only its parent, which then stops it. deathSig is
// ignored: only Linux has a parent-death signal.
func Attr(deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
