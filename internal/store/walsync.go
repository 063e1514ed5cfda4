package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// GroupSync reports whether commits wait for SyncWAL to be durable.
func (s *Store) GroupSync() bool { return s.wal != nil }

// SyncWAL makes every transaction committed before the call durable, as
// synchronous=FULL would have at each commit: it fsyncs the write-ahead log.
// It may run while the next transaction is being written; that one is not
// covered. Without Options.GroupSync it does nothing: each commit syncs.
func (s *Store) SyncWAL() error {
	if s.wal == nil {
		return nil
	}
	if err := s.wal.sync(); err != nil {
		return fmt.Errorf("sync %s: %w", s.path, err)
	}
	return nil
}

// walSyncer fsyncs the database's -wal file through a descriptor of its own
// (fsync on Linux writes back the file, whichever descriptor asks).
type walSyncer struct {
	path string // the database; the log is path + "-wal"
	mu   sync.Mutex
	f    *os.File
}

func (w *walSyncer) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	// SQLite deletes the log when its last connection closes and makes a
	// new one when the next opens: a descriptor kept from before would then
	// sync a file nobody writes. One stat per sync (a few µs) rules it out.
	st, err := os.Stat(w.path + "-wal")
	if errors.Is(err, fs.ErrNotExist) {
		// No log: the last connection checkpointed it into the database
		// and removed it. Sync the database itself.
		return syncFile(w.path)
	}
	if err != nil {
		return err
	}
	if w.f != nil {
		if cur, err := w.f.Stat(); err != nil || !os.SameFile(cur, st) {
			w.f.Close()
			w.f = nil
		}
	}
	if w.f == nil {
		if w.f, err = os.OpenFile(w.path+"-wal", os.O_RDWR, 0); err != nil {
			return err
		}
	}
	return w.f.Sync()
}

func (w *walSyncer) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
