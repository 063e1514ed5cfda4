//go:build !unix && !windows

package clientstate

import "os"

// Without file locks the in-process mutex is all there is.
func tryLock(*os.File, bool) (bool, error) { return true, nil }

func unlockFile(*os.File) {}

func syncDir(string) error { return nil }
