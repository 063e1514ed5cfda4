package store

import (
	"fmt"
	"os"
	"syscall"
)

// flushWAL is fdatasync(2) as a raw system call: the calling thread keeps
// its P for the flush's length, and Go's sysmon neither hands the P to
// another thread nor wakes every 20 µs to look. The cost: a stop-the-world
// pause of the GC waits for the flush to end.
func flushWAL(f *os.File) error {
	errno := syscall.EINTR
	for errno == syscall.EINTR { // Go's preemption signal restarts it; in case a file system does not
		_, _, errno = syscall.RawSyscall(syscall.SYS_FDATASYNC, f.Fd(), 0, 0)
	}
	if errno != 0 {
		return fmt.Errorf("fdatasync: %w", errno)
	}
	return nil
}
