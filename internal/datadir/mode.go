package datadir

import (
	"fmt"
	"os"
	"runtime"
)

// CheckDir refuses a data dir other users can write to: they could replace
// the database or the server's key.
func CheckDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil || runtime.GOOS == "windows" { // Windows has no such mode bits
		return err
	}
	if m := fi.Mode().Perm(); m&0o002 != 0 {
		return fmt.Errorf("data dir %s is mode %04o: any user can write to it: run chmod o-w %s", dir, m, dir)
	}
	return nil
}

// CheckSecret refuses a secret file (the server's key, the admin token) that
// other users can write to, and returns a warning for one they can read.
func CheckSecret(path string) (warning string, err error) {
	fi, err := os.Stat(path)
	if err != nil || runtime.GOOS == "windows" {
		return "", err
	}
	m := fi.Mode().Perm()
	switch {
	case m&0o022 != 0:
		return "", fmt.Errorf("%s is mode %04o: other users can write to it: run chmod 600 %s", path, m, path)
	case m&0o044 != 0:
		return fmt.Sprintf("%s is mode %04o: other users can read it: run chmod 600 %s", path, m, path), nil
	}
	return "", nil
}
