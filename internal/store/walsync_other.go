//go:build !linux

package store

import "os"

func flushWAL(f *os.File) error { return f.Sync() }
