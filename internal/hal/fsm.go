package hal

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/store"
)

// fsm hands committed entries to the engine. Apply runs on raft's FSM
// goroutine, one entry at a time, on every node.
type fsm struct {
	engine *engine.Engine
	dir    string // where snapshot copies are made
	fatal  func(error)
}

// Apply applies one committed batch (raft calls ApplyBatch instead).
func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch applies the entries raft committed together, in one
// transaction (raft.BatchingFSM). Each one's result is its batch's results,
// which reach the proposer through raft's future on the serving node.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	var entries []engine.Entry
	var at []int
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			entries = append(entries, engine.Entry{Index: l.Index, Data: l.Data})
			at = append(at, i)
		}
	}
	if len(entries) == 0 {
		return out
	}
	res, err := f.engine.ApplyEntries(entries)
	if err != nil {
		// A committed entry that cannot be recorded cannot be skipped
		// either: this node would differ from the others from then on.
		f.fatal(err)
		return out
	}
	for j, i := range at {
		out[i] = res[j]
	}
	return out
}

// Snapshot pins the database as it is at the last applied entry (a read
// transaction); raft then copies it (Persist) while later entries are
// applied, so a large ledger holds nothing up.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	_, view, err := f.engine.ReadView()
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return &snapshot{view: view, dir: f.dir}, nil
}

// Restore replaces the ledger with a snapshot from the serving node (a node
// too far behind for the log to catch it up, or one that lost its data).
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	tmp, err := os.CreateTemp(f.dir, "restore-*.db")
	if err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, rc); err != nil {
		tmp.Close()
		return fmt.Errorf("restore snapshot: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("restore snapshot: write %s: %w", tmp.Name(), err)
	}
	return f.engine.RestoreFrom(tmp.Name(), time.Now())
}

// snapshot is a pinned view of the database waiting to be written to
// raft's snapshot store.
type snapshot struct {
	view *store.ReadView
	dir  string
}

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	err := s.copyTo(sink)
	if err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

// copyTo copies the view to a temporary file (SQLite's online backup),
// then the file to w.
func (s *snapshot) copyTo(w io.Writer) error {
	tmp, err := os.CreateTemp(s.dir, "snapshot-*.db")
	if err != nil {
		return fmt.Errorf("persist snapshot: %w", err)
	}
	path := tmp.Name()
	tmp.Close()
	defer os.Remove(path)
	if err := s.view.CopyTo(path); err != nil {
		return fmt.Errorf("persist snapshot: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("persist snapshot: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("persist snapshot %s: %w", filepath.Base(path), err)
	}
	return nil
}

func (s *snapshot) Release() { s.view.Close() }
