package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/policy"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// Log replicates batches of commands: a HAL node's raft log (package hal).
// Propose hands it one batch, encoded; it returns once the entry is
// committed on a majority and applied on this node by ApplyEntries, with
// the results it gave, or one refusal for the whole batch (not_primary,
// no_quorum) when it could not be committed here.
type Log interface {
	Propose(entry []byte) ([]Result, *wire.Error)
}

// SetLog makes the engine replicate every batch through l. Only an engine
// opened with Config.Replicated takes one, before any Submit.
func (e *Engine) SetLog(l Log) { e.log = l }

// envelope is one command of a replicated batch: exactly one field is set.
// Heartbeats are never replicated (see Promote).
type envelope struct {
	Checkout    *Checkout    `json:",omitempty"`
	Checkin     *Checkin     `json:",omitempty"`
	Borrow      *Borrow      `json:",omitempty"`
	Return      *Return      `json:",omitempty"`
	GraceReport *GraceReport `json:",omitempty"`
	Remove      *Remove      `json:",omitempty"`
	Reap        *Reap        `json:",omitempty"`
	SetFeatures *SetFeatures `json:",omitempty"`
	Note        *Note        `json:",omitempty"`
}

// EncodeBatch encodes commands as one log entry.
func EncodeBatch(cmds []Command) ([]byte, error) {
	out := make([]envelope, len(cmds))
	for i, c := range cmds {
		switch c := c.(type) {
		case Checkout:
			out[i].Checkout = &c
		case Checkin:
			out[i].Checkin = &c
		case Borrow:
			out[i].Borrow = &c
		case Return:
			out[i].Return = &c
		case GraceReport:
			out[i].GraceReport = &c
		case Remove:
			out[i].Remove = &c
		case Reap:
			out[i].Reap = &c
		case SetFeatures:
			out[i].SetFeatures = &c
		case Note:
			out[i].Note = &c
		default:
			return nil, fmt.Errorf("command %T is not replicated", c)
		}
	}
	return json.Marshal(out)
}

// decodeBatch is EncodeBatch's inverse.
func decodeBatch(data []byte) ([]Command, error) {
	var in []envelope
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("decode batch: %w", err)
	}
	cmds := make([]Command, len(in))
	for i, v := range in {
		var c Command
		switch {
		case v.Checkout != nil:
			c = *v.Checkout
		case v.Checkin != nil:
			c = *v.Checkin
		case v.Borrow != nil:
			c = *v.Borrow
		case v.Return != nil:
			c = *v.Return
		case v.GraceReport != nil:
			c = *v.GraceReport
		case v.Remove != nil:
			c = *v.Remove
		case v.Reap != nil:
			c = *v.Reap
		case v.SetFeatures != nil:
			c = *v.SetFeatures
		case v.Note != nil:
			c = *v.Note
		default:
			return nil, fmt.Errorf("decode batch: command %d is empty", i)
		}
		cmds[i] = c
	}
	return cmds, nil
}

// replicate proposes a batch to the log and answers its commands with what
// the log's apply gave.
func (e *Engine) replicate(batch []*pending) {
	cmds := make([]Command, len(batch))
	for i, p := range batch {
		cmds[i] = p.cmd
	}
	var results []Result
	entry, err := EncodeBatch(cmds)
	if err != nil {
		results = refuseAll(len(batch), wire.Errorf(wire.CodeUnavailable, "%v", err))
	} else if rs, werr := e.log.Propose(entry); werr != nil {
		results = refuseAll(len(batch), werr)
	} else {
		results = rs
	}
	for i, p := range batch {
		var r Result
		if i < len(results) {
			r = results[i]
		} else {
			r = Result{Err: wire.Errorf(wire.CodeUnavailable, "no result for command %d of the batch", i)}
		}
		p.res <- outcome{Result: r}
	}
}

func refuseAll(n int, err *wire.Error) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = Result{Err: err}
	}
	return out
}

// Entry is one committed log entry: a batch of commands, encoded.
type Entry struct {
	Index uint64
	Data  []byte
}

// ApplyEntries applies committed log entries, in order, on every node: the
// commands of all of them in one transaction that also records the last
// index, so that an entry handed over again after a restart (index not
// above the one recorded) is skipped, never applied twice. Raft hands over
// every entry committed together, so one commit serves them all. It
// returns each entry's results (nil for one skipped). An error means the
// entries could not be recorded: the node cannot go on without them, and
// its caller stops it.
func (e *Engine) ApplyEntries(entries []Entry) ([][]Result, error) {
	batches := make([][]Command, len(entries))
	for i, en := range entries {
		cmds, err := decodeBatch(en.Data)
		if err != nil {
			return nil, fmt.Errorf("raft entry %d: %w", en.Index, err)
		}
		batches[i] = cmds
	}
	out := make([][]Result, len(entries))
	e.mu.Lock()
	t := &txn{e: e}
	var now time.Time
	last, n := e.applied, 0
	for i, en := range entries {
		if en.Index <= last {
			continue
		}
		out[i] = make([]Result, len(batches[i]))
		for j, c := range batches[i] {
			out[i][j] = c.apply(e, t)
			e.serveFreed(t, c.time())
			now = maxTime(now, c.time())
		}
		last = en.Index
		n += len(batches[i])
	}
	if last == e.applied {
		e.mu.Unlock()
		return out, nil
	}
	e.saw(t, now)
	t.write(func(tx *store.Tx) { tx.SetApplied(last) })
	start := time.Now()
	err := t.commit()
	e.stats.record(n, true, time.Since(start))
	if err != nil {
		if t.tx != nil {
			t.tx.Rollback()
		}
		e.mu.Unlock()
		e.noteHealth(err)
		return nil, fmt.Errorf("record raft entries up to %d in %s: %w", last, e.store.Path(), err)
	}
	e.applied = last
	e.mu.Unlock()
	e.noteHealth(nil)
	if len(t.events) > 0 && e.onEvent != nil {
		e.onEvent(t.events)
	}
	return out, nil
}

// Applied returns the index of the last log entry applied.
func (e *Engine) Applied() uint64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.applied
}

// Promote gives every session a lease until now+lease: a node that starts
// serving does not know when the one before last heard from each client
// (heartbeats are not replicated), so it trusts them all for as long as a
// live client needs to find it. The reaper then reclaims, a lease later,
// the sessions of clients that died meanwhile.
func (e *Engine) Promote(now time.Time, lease time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.idleFloor = now
	for _, s := range e.sessions {
		s.leaseUntil = now.Add(lease)
	}
}

// ReadView pins the ledger's database as it is now, at the returned log
// index, for a snapshot to be copied from while entries go on being
// applied (see store.ReadView).
func (e *Engine) ReadView() (uint64, *store.ReadView, error) {
	e.mu.RLock() // no entry is being committed
	defer e.mu.RUnlock()
	v, err := e.store.OpenReadView()
	if err != nil {
		return 0, nil, err
	}
	return e.applied, v, nil
}

// RestoreFrom replaces the ledger with the snapshot at path (see
// store.RestoreFrom) and reloads the memory state from it.
func (e *Engine) RestoreFrom(path string, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.store.RestoreFrom(path); err != nil {
		return err
	}
	if err := e.load(now); err != nil {
		return err
	}
	return e.loadRaftState()
}

// loadRaftState reads the applied index and the replicated features and
// policy.
func (e *Engine) loadRaftState() error {
	applied, features, err := e.store.RaftState()
	if err != nil {
		return err
	}
	e.applied = applied
	if features == "" {
		return nil
	}
	var rs replicatedSet
	if strings.HasPrefix(features, "[") { // written before policies replicated: features alone
		err = json.Unmarshal([]byte(features), &rs.Features)
	} else {
		err = json.Unmarshal([]byte(features), &rs)
	}
	if err != nil {
		return fmt.Errorf("replicated features in %s: %w", e.store.Path(), err)
	}
	e.setFeatures(rs.Features)
	e.setPolicy(rs.Policy)
	return nil
}

// replicatedSet is what a replicated SetFeatures set, as stored.
type replicatedSet struct {
	Features []*Feature
	Policy   *policy.Policy `json:",omitempty"`
}

// recordFeatures stores the features and policy a replicated SetFeatures set.
func (e *Engine) recordFeatures(t *txn, fs []*Feature, p *policy.Policy) {
	b, err := json.Marshal(replicatedSet{Features: fs, Policy: p})
	if err != nil {
		t.err = errors.Join(t.err, fmt.Errorf("encode features: %w", err))
		return
	}
	t.write(func(tx *store.Tx) { tx.SetFeatures(string(b)) })
}
