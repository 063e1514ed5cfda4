// Package datadir guards licd's data dir: a lock held for the process's
// life, so that a second licd cannot open the same database, and the
// permission checks made at start.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockName is the lock file's name in the data dir.
const LockName = "licd.lock"

// ErrLocked is returned by Lock when another process holds the data dir.
var ErrLocked = errors.New("data dir is in use")

// Lock holds a data dir.
type Lock struct{ f *os.File }

// Take takes the data dir's lock (flock(2) on dir/licd.lock) and writes this
// process's pid in the file, for the message of the next one that tries.
// The kernel drops the lock when the process ends, however it ends, so a
// stale file never blocks a start.
func Take(dir string) (*Lock, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := flock(f); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w: %s is held by another licd (%s; lock file %s): stop it, or give this one another --data",
				ErrLocked, dir, holder(b), path)
		}
		return nil, fmt.Errorf("lock data dir %s: %w", dir, err)
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock data dir: write %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// holder names the process in a lock file's text.
func holder(b []byte) string {
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return "pid unknown"
	}
	return "pid " + strconv.Itoa(pid)
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// Release lets the data dir go. The pid is left in the file: it is read
// only while the lock is held.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
	return err
}
