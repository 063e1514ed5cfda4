package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// walSync makes each commit durable for SyncFull. SQLite commits at
// synchronous=NORMAL, which writes the commit to the WAL without an fsync,
// and the store then flushes the WAL itself before Commit returns: what
// synchronous=FULL would do, with the same guarantee (checkpoints and the
// WAL's header are synced by SQLite at NORMAL as at FULL).
//
// Why not let SQLite do it: its fsync is a blocking system call, so Go hands
// the thread's P to another thread and takes it back after, and Go's sysmon
// thread, which hands it over, then wakes every 20 µs for as long as commits
// keep coming. On licd's one core that was a tenth of its CPU at half load,
// and the queueing it caused doubled checkout p99 (BENCHMARKS.md). The flush
// here keeps its P instead (see flushWAL), so nothing else of licd's Go code
// runs on that P meanwhile; on one P it would only wait for this commit.
type walSync struct {
	path string
	f    *os.File
}

// openWAL opens the WAL at path for flushing and makes its name durable:
// SQLite syncs the directory of a new WAL only when it first syncs the WAL
// itself, which at NORMAL can be long after the first commit in it.
func openWAL(path string) (*walSync, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open WAL for syncing: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, fmt.Errorf("open WAL for syncing: %w", err)
	}
	return &walSync{path: path, f: f}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// sync flushes the WAL to the disk. The writer connection keeps the same WAL
// for as long as it is open; a WAL that is no longer the file at its path
// (removed, or replaced) fails the commit in Store.Check, after this.
func (w *walSync) sync() error {
	if err := flushWAL(w.f); err != nil {
		return fmt.Errorf("sync WAL %s: %w", w.path, err)
	}
	return nil
}

func (w *walSync) close() error { return w.f.Close() }
