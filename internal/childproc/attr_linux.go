package childproc

import "syscall"

// Attr puts a child in its own process group, so that Ctrl-C in the
// terminal reaches only its parent, which then stops it; and has Linux send
// it deathSig should the parent die without stopping it (start it with a
// Spawner for that to hold).
func Attr(deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: deathSig}
}
