package store

import (
	"database/sql"
	"fmt"
	"time"
)

var statements = map[string]string{
	"insertSession": `INSERT INTO sessions (id, user, host, pid, created, last_heartbeat)
		VALUES (?, ?, ?, ?, ?, ?)`,
	"heartbeat":     `UPDATE sessions SET last_heartbeat = ? WHERE id = ?`,
	"deleteSession": `DELETE FROM sessions WHERE id = ?`,
	"insertCheckout": `INSERT INTO checkouts (id, session, request_id, feature, version, count, since)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
	"deleteCheckout": `DELETE FROM checkouts WHERE id = ?`,
	"insertBorrow": `INSERT INTO borrows (id, session, request_id, feature, version, user, host, since, expires)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	"deleteBorrow": `DELETE FROM borrows WHERE id = ?`,
	"putGrace": `INSERT OR REPLACE INTO graces (token_id, feature, user, host, activated, expires, reported)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
	"deleteGrace":  `DELETE FROM graces WHERE token_id = ?`,
	"insertEvents": `INSERT INTO event_batches (first_seq, last_seq, data) VALUES (?, ?, ?)`,
	"setNewest": `INSERT INTO clock (id, newest) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET newest = max(newest, excluded.newest)`,
	"insertQueued": `INSERT INTO queue (seq, session, request_id, checkout_id, feature, version, count, since)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	"deleteQueued": `DELETE FROM queue WHERE seq = ?`,
	"insertHold":   `INSERT OR REPLACE INTO holds (id, user, host, feature, until, by) VALUES (?, ?, ?, ?, ?, ?)`,
	"deleteHold":   `DELETE FROM holds WHERE id = ?`,
	"setApplied": `INSERT INTO raft_state (id, applied) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET applied = excluded.applied`,
	"setFeatures": `INSERT INTO raft_state (id, applied, features) VALUES (1, 0, ?)
		ON CONFLICT (id) DO UPDATE SET features = excluded.features`,
}

func (s *Store) prepare() error {
	s.stmts = make(map[string]*sql.Stmt, len(statements))
	for name, q := range statements {
		st, err := s.db.Prepare(q)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", name, domainErr(err))
		}
		s.stmts[name] = st
	}
	return nil
}

// Tx is one write transaction. The engine opens one per batch of
// commands: begin, the helpers below, then Commit, with a deferred Rollback.
type Tx struct {
	tx    *sql.Tx
	s     *Store
	stmts map[string]*sql.Stmt // the store's statements bound to this transaction
	err   error                // first error; later calls do nothing
}

// Begin starts a write transaction.
func (s *Store) Begin() (*Tx, error) {
	if err := s.Err(); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", domainErr(err))
	}
	return &Tx{tx: tx, s: s, stmts: make(map[string]*sql.Stmt, 8)}, nil
}

// exec runs a prepared statement, remembering the first failure so that
// callers can apply a whole batch and check once, at Commit.
func (t *Tx) exec(name string, args ...any) {
	if t.err != nil {
		return
	}
	st := t.stmts[name]
	if st == nil {
		st = t.tx.StmtContext(ctx, t.s.stmts[name])
		t.stmts[name] = st
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		t.err = &opError{op: name, err: domainErr(err)}
	}
}

// Commit commits the transaction, or reports the first failed statement.
// A commit is reported good only if, once it is on the disk, the database
// and its WAL are still the files the store opened (see Check): one that
// went into a removed file is as good as lost.
func (t *Tx) Commit() error {
	if t.err != nil {
		t.tx.Rollback()
		return t.err
	}
	if err := t.tx.Commit(); err != nil {
		return &opError{op: "commit", err: domainErr(err)}
	}
	if t.s.wal != nil {
		if err := t.s.wal.sync(); err != nil {
			return err
		}
	}
	return t.s.Check()
}

// Rollback abandons the transaction; after Commit it does nothing.
func (t *Tx) Rollback() { t.tx.Rollback() }

// InsertSession records a new session.
func (t *Tx) InsertSession(s Session) {
	t.exec("insertSession", s.ID, s.User, s.Host, s.PID, nanos(s.Created), nanos(s.LastHeartbeat))
}

// Heartbeat records a session's latest heartbeat.
func (t *Tx) Heartbeat(id string, at time.Time) { t.exec("heartbeat", nanos(at), id) }

// DeleteSession removes a session (its checkouts are deleted one by one by the caller).
func (t *Tx) DeleteSession(id string) { t.exec("deleteSession", id) }

// InsertCheckout records a granted checkout.
func (t *Tx) InsertCheckout(c Checkout) {
	t.exec("insertCheckout", c.ID, c.Session, c.RequestID, c.Feature, c.Version, c.Count, nanos(c.Since))
}

// DeleteCheckout removes a checkout.
func (t *Tx) DeleteCheckout(id string) { t.exec("deleteCheckout", id) }

// InsertBorrow records a borrow.
func (t *Tx) InsertBorrow(b Borrow) {
	t.exec("insertBorrow", b.ID, b.Session, b.RequestID, b.Feature, b.Version, b.User, b.Host,
		nanos(b.Since), nanos(b.Expires))
}

// DeleteBorrow removes a borrow.
func (t *Tx) DeleteBorrow(id string) { t.exec("deleteBorrow", id) }

// PutGrace records a grace report, replacing any of the same token or of
// the same feature, user and host (migration 004).
func (t *Tx) PutGrace(g Grace) {
	t.exec("putGrace", g.TokenID, g.Feature, g.User, g.Host, nanos(g.Activated), nanos(g.Expires), nanos(g.Reported))
}

// DeleteGrace forgets a grace record.
func (t *Tx) DeleteGrace(tokenID string) { t.exec("deleteGrace", tokenID) }

// SetNewest records at as the newest time the server's clock has read,
// unless a later one is recorded.
func (t *Tx) SetNewest(at time.Time) { t.exec("setNewest", nanos(at)) }

// InsertQueued records a checkout request waiting in a feature's queue.
func (t *Tx) InsertQueued(q Queued) {
	t.exec("insertQueued", q.Seq, q.Session, q.RequestID, q.CheckoutID, q.Feature, q.Version, q.Count, nanos(q.Since))
}

// DeleteQueued removes a request from the queue (granted or gone).
func (t *Tx) DeleteQueued(seq int64) { t.exec("deleteQueued", seq) }

// InsertHold records an admin's hold.
func (t *Tx) InsertHold(h Hold) {
	t.exec("insertHold", h.ID, h.User, h.Host, h.Feature, nanos(h.Until), h.By)
}

// DeleteHold forgets a hold (expired).
func (t *Tx) DeleteHold(id string) { t.exec("deleteHold", id) }
