package hal

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"

	"github.com/floatlic/floatlic/internal/engine"
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

// Snapshot copies the database as it is at the last applied entry. Raft
// calls it between applies, so the copy is of one index; it takes the
// time of a VACUUM INTO of the database (tenths of a second for 100,000
// sessions), during which entries wait.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	tmp, err := os.CreateTemp(f.dir, "snapshot-*.db")
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	path := tmp.Name()
	tmp.Close()
	os.Remove(path) // VACUUM INTO wants a new file
	if _, err := f.engine.SnapshotTo(path); err != nil {
		os.Remove(path)
		return nil, err
	}
	return &snapshot{path: path}, nil
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

// snapshot is a database copy waiting to be written to raft's snapshot
// store.
type snapshot struct{ path string }

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	err := s.copyTo(sink)
	if err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *snapshot) copyTo(w io.Writer) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("persist snapshot: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("persist snapshot %s: %w", filepath.Base(s.path), err)
	}
	return nil
}

func (s *snapshot) Release() { os.Remove(s.path) }
