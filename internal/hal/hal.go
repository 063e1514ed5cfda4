// Package hal runs a licd node of a HAL set: three licd nodes with
// majority rule (HAL_SERVERS), replicated with hashicorp/raft.
//
// Design: the serving node is the raft leader. The engine's batches of
// commands become raft log entries (engine.Log); the fsm hands each
// committed entry to the same engine code a single node uses, on every
// node, and the serving node replies with what its own apply gave. So a
// grant is on a majority before the client hears of it, and a minority,
// which cannot commit, grants nothing.
//
// Roles (seed 002): #1 serves checkout and borrow, #2 serves checkout but
// lends nothing, #3 never serves, it completes the majority. Leadership is
// steered with raft's own leadership transfer, on raft's observations: a #3
// that wins an election hands leadership on at once; a serving #2 hands it
// back to #1 when #1's heartbeats resume (raft catches #1 up before it
// transfers).
//
// Restarts: the applied index is written in the same SQLite transaction as
// the entry's changes, so the database is the FSM's durable state and raft
// does not restore a snapshot at start (NoSnapshotRestoreOnStart); an
// entry raft hands over again after a restart, at or below the recorded
// index, is skipped. The entries raft commits together are applied in one
// transaction (raft.BatchingFSM). The raft log, flushed to disk on a
// majority before a reply, is what makes a change durable, so the
// database is not flushed after each commit (the server opens it
// synchronous=NORMAL): one that lost its last commits to a power cut is
// behind, and raft hands those entries over again.
//
// Snapshots: a snapshot is the database at one index, a read transaction
// pinned between applies and copied by SQLite's online backup while later
// entries are applied (a VACUUM INTO of a large ledger held them up for
// seconds). A node too far behind, or one that lost its data dir, takes
// the ledger from the serving node's snapshot (store.RestoreFrom, one
// transaction).
// Start also restores from the newest local snapshot if the database is
// behind it (a database lost with the raft data kept).
//
// Leases are not replicated (a heartbeat costs no raft round): the
// serving node keeps them in memory, and a node that starts serving first
// applies every earlier entry (a barrier), then gives every session a fresh
// lease long enough for a client with default options to find it
// (Config.OnServe, engine.Promote), as etcd's lessor does on promotion.
package hal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/wire"
)

// Defaults for licd's flags.
const (
	DefaultTimeout          = 300 * time.Millisecond
	DefaultSnapshotEntries  = 8192
	DefaultSnapshotInterval = 30 * time.Second
)

// Role names, as status shows them.
const (
	RolePrimary   = "primary"
	RoleSecondary = "secondary"
	RoleQuorum    = "quorum"
)

// RoleOf returns the role of node id (1, 2, 3).
func RoleOf(id int) string {
	switch id {
	case 1:
		return RolePrimary
	case 2:
		return RoleSecondary
	}
	return RoleQuorum
}

// Config configures a node.
type Config struct {
	ID         int       // 1, 2 or 3
	Clients    [3]string // the license's HAL_SERVERS: each node's client address
	RaftListen string    // where this node's raft transport listens
	// RaftPeers are the nodes' raft addresses as this node dials them;
	// entry ID-1 is this node's own, which it advertises.
	RaftPeers        [3]string
	Dir              string        // raft's data: log, stable store and snapshots
	Timeout          time.Duration // raft heartbeat and election timeout; 0: DefaultTimeout
	SnapshotEntries  uint64        // snapshot threshold and trailing logs; 0: DefaultSnapshotEntries
	SnapshotInterval time.Duration // 0: DefaultSnapshotInterval
	Logger           *slog.Logger  // raft's own lines go to stderr, at this logger's level
	// OnServe runs when this node has become the serving node, once every
	// earlier entry is applied, before it serves a request: the server
	// gives the sessions their takeover lease and proposes its features.
	// An error hands leadership on.
	OnServe func() error
	// Fatal is called when a committed entry cannot be applied; nil: log
	// and exit with status 1.
	Fatal func(error)
}

// Node is a running HAL node.
type Node struct {
	cfg    Config
	log    *slog.Logger
	raft   *raft.Raft
	trans  *raft.NetworkTransport
	store  *raftboltdb.BoltStore
	engine *engine.Engine
	obsCh  chan raft.Observation
	obs    *raft.Observer
	done   chan struct{}

	serving atomic.Bool
	leader  atomic.Int32 // id of the leader this node knows of, 0: none

	mu    sync.Mutex
	epoch int          // on mu: counts leadership changes, so a stale takeover does nothing
	last  int          // on mu: the node that served before the current leader, 0: none
	down  map[int]bool // on mu: while leader, the followers whose heartbeats fail
}

// Start opens the raft data under cfg.Dir, joins the set (bootstrapping it
// with the three peers on first start) and starts applying entries to e.
func Start(cfg Config, e *engine.Engine) (*Node, error) {
	if cfg.ID < 1 || cfg.ID > 3 {
		return nil, fmt.Errorf("hal id %d: want 1, 2 or 3", cfg.ID)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.SnapshotEntries == 0 {
		cfg.SnapshotEntries = DefaultSnapshotEntries
	}
	if cfg.SnapshotInterval <= 0 {
		cfg.SnapshotInterval = DefaultSnapshotInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	n := &Node{cfg: cfg, log: cfg.Logger, engine: e, done: make(chan struct{}), down: map[int]bool{}}
	if cfg.Fatal == nil {
		n.cfg.Fatal = func(err error) {
			n.log.Error("this HAL node cannot apply a committed entry and stops; the other two carry on", "err", err)
			os.Exit(1)
		}
	}
	if err := n.open(); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Node) open() error {
	cfg := n.cfg
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("raft data dir: %w", err)
	}
	hlog := raftLogger(cfg.Logger)
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(cfg.Dir, "raft.db")})
	if err != nil {
		return fmt.Errorf("open raft log %s: %w", filepath.Join(cfg.Dir, "raft.db"), err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, hlog)
	if err != nil {
		store.Close()
		return fmt.Errorf("open raft snapshots in %s: %w", cfg.Dir, err)
	}
	has, err := raft.HasExistingState(store, store, snaps)
	if err != nil {
		store.Close()
		return fmt.Errorf("read raft state in %s: %w", cfg.Dir, err)
	}
	if !has && n.engine.Applied() > 0 {
		// Raft would hand over its entries from the first, and the ledger
		// would apply again what it holds.
		store.Close()
		return fmt.Errorf("the raft data in %s is missing, but the database holds raft entries up to %d: "+
			"remove the database too (licd.db in the data dir), and the node takes the ledger from the others", cfg.Dir, n.engine.Applied())
	}
	if err := n.catchUpLocal(snaps); err != nil {
		store.Close()
		return err
	}
	advertise, err := net.ResolveTCPAddr("tcp", cfg.RaftPeers[cfg.ID-1])
	if err != nil {
		store.Close()
		return fmt.Errorf("raft address %s: %w", cfg.RaftPeers[cfg.ID-1], err)
	}
	trans, err := raft.NewTCPTransportWithConfig(cfg.RaftListen, advertise, &raft.NetworkTransportConfig{
		ServerAddressProvider: peers(cfg.RaftPeers), MaxPool: 3, Timeout: rpcTimeout(cfg.Timeout), Logger: hlog})
	if err != nil {
		store.Close()
		return fmt.Errorf("raft listen %s: %w", cfg.RaftListen, err)
	}
	f := &fsm{engine: n.engine, dir: cfg.Dir, fatal: cfg.Fatal}
	r, err := raft.NewRaft(raftConfig(cfg, hlog), f, store, store, snaps, trans)
	if err != nil {
		trans.Close()
		store.Close()
		return fmt.Errorf("start raft: %w", err)
	}
	n.raft, n.trans, n.store = r, trans, store
	n.watch()
	if has {
		return nil
	}
	return n.bootstrap()
}

// raftLogger writes raft's own lines to stderr, at the level of licd's
// log, and as JSON when licd's log is (--log-format json), so that a log
// pipeline reads every line.
func raftLogger(log *slog.Logger) hclog.Logger {
	level := hclog.Info
	if !log.Enabled(context.Background(), slog.LevelInfo) {
		level = hclog.Warn
	}
	_, json := log.Handler().(*slog.JSONHandler)
	quiet := &repeats{every: 30 * time.Second, last: map[string]time.Time{}}
	return hclog.New(&hclog.LoggerOptions{Name: "raft", Level: level, Output: os.Stderr, JSONFormat: json, Exclude: quiet.exclude})
}

func raftConfig(cfg Config, log hclog.Logger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = serverID(cfg.ID)
	rc.HeartbeatTimeout = cfg.Timeout
	rc.ElectionTimeout = cfg.Timeout
	rc.LeaderLeaseTimeout = cfg.Timeout
	rc.SnapshotThreshold = cfg.SnapshotEntries
	rc.TrailingLogs = cfg.SnapshotEntries
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.NoSnapshotRestoreOnStart = true // the database is the FSM's state (see the package doc)
	rc.Logger = log
	return rc
}

// bootstrap writes the set's configuration on a node's first start. All
// three nodes write the same one, so it does not matter which starts first.
func (n *Node) bootstrap() error {
	var c raft.Configuration
	for i, addr := range n.cfg.RaftPeers {
		c.Servers = append(c.Servers, raft.Server{Suffrage: raft.Voter, ID: serverID(i + 1), Address: raft.ServerAddress(addr)})
	}
	if err := n.raft.BootstrapCluster(c).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("bootstrap the HAL set: %w", err)
	}
	return nil
}

// catchUpLocal restores the newest local snapshot when the database is
// behind it: raft replays only the entries after its snapshot.
func (n *Node) catchUpLocal(snaps *raft.FileSnapshotStore) error {
	list, err := snaps.List()
	if err != nil || len(list) == 0 {
		return err
	}
	if n.engine.Applied() >= list[0].Index {
		return nil
	}
	_, rc, err := snaps.Open(list[0].ID)
	if err != nil {
		return fmt.Errorf("open raft snapshot %s: %w", list[0].ID, err)
	}
	n.log.Warn("the database is behind the last raft snapshot: restoring it", "applied", n.engine.Applied(), "snapshot", list[0].Index)
	f := &fsm{engine: n.engine, dir: n.cfg.Dir}
	return f.Restore(rc)
}

// Close leaves the set: this node stops taking part (a majority of the
// others carries on). A serving node first hands leadership to the other
// node that may serve, so that clients find it at once rather than after
// an election timeout.
func (n *Node) Close() error {
	n.mu.Lock()
	to := 3 - n.cfg.ID // 1 ↔ 2
	down := n.down[to]
	n.mu.Unlock()
	if n.serving.Load() && !down {
		f := n.raft.LeadershipTransferToServer(serverID(to), raft.ServerAddress(n.cfg.RaftPeers[to-1]))
		if err := f.Error(); err != nil {
			n.log.Warn("HAL: could not hand the service over before stopping", "to", to, "err", err)
		}
	}
	err := n.raft.Shutdown().Error()
	n.raft.DeregisterObserver(n.obs)
	close(n.done)
	n.trans.Close()
	if e := n.store.Close(); e != nil && err == nil {
		err = e
	}
	return err
}

// Propose replicates one batch and returns its results once it is
// committed and applied here (engine.Log).
func (n *Node) Propose(entry []byte) ([]engine.Result, *wire.Error) {
	f := n.raft.Apply(entry, n.cfg.Timeout*4)
	if err := f.Error(); err != nil {
		return nil, n.refusal(err)
	}
	res, _ := f.Response().([]engine.Result)
	return res, nil
}

// refusal says why a batch was not committed here. A batch refused for a
// lost leadership may still commit: clients retry with the same request
// ids, which the ledger answers with what it granted.
func (n *Node) refusal(err error) *wire.Error {
	switch {
	case errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return wire.Errorf(wire.CodeUnavailable, "HAL node #%d is handing the service over to another node: try again", n.cfg.ID)
	case errors.Is(err, raft.ErrRaftShutdown):
		return wire.Errorf(wire.CodeUnavailable, "HAL node #%d is shutting down", n.cfg.ID)
	case errors.Is(err, raft.ErrLeadershipLost):
		// Not no_quorum: a client told that would think nothing was
		// granted. The request is answered when repeated.
		return wire.Errorf(wire.CodeUnavailable, "HAL node #%d lost the service while recording this, which may yet be recorded: "+
			"send it again with the same request id (the licenses package does), and the node that serves answers what was granted", n.cfg.ID)
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
		if e := n.Gate(); e != nil {
			return e
		}
	}
	return wire.Errorf(wire.CodeNoQuorum, "HAL node #%d could not reach a majority of the set: %v", n.cfg.ID, err)
}

// Gate returns nil when this node serves client requests, or the refusal
// to send: not_primary with the serving node's address, or no_quorum.
func (n *Node) Gate() *wire.Error {
	if n.serving.Load() {
		return nil
	}
	switch leader := int(n.leader.Load()); {
	case leader == n.cfg.ID:
		return wire.Errorf(wire.CodeUnavailable, "HAL node #%d was elected and is not serving yet: try again", n.cfg.ID)
	case leader == 3:
		return wire.Errorf(wire.CodeUnavailable, "HAL node #3 was elected and hands the service on: try again")
	case leader != 0:
		e := wire.Errorf(wire.CodeNotPrimary, "HAL node #%d does not serve: #%d does, at %s", n.cfg.ID, leader, n.cfg.Clients[leader-1])
		e.Primary = n.cfg.Clients[leader-1]
		return e
	}
	return wire.Errorf(wire.CodeNoQuorum, "HAL node #%d hears from no serving node: fewer than two of the three nodes are up, or it is cut off from them", n.cfg.ID)
}

// Serving reports whether this node serves client requests.
func (n *Node) Serving() bool { return n.serving.Load() }

// ID returns this node's id.
func (n *Node) ID() int { return n.cfg.ID }

// Status fills in the HAL part of a status reply, from this node's view:
// every node knows itself; a follower knows the leader is up while it hears
// from it; the leader knows which followers answer its heartbeats.
func (n *Node) Status(st *wire.Status) {
	leader := int(n.leader.Load())
	term, applied := n.raft.CurrentTerm(), n.engine.Applied()
	st.Server.Role = RoleOf(n.cfg.ID)
	st.Server.Serving = n.serving.Load()
	st.Server.HALID = n.cfg.ID
	st.Server.Term, st.Server.Applied = term, applied
	st.Server.Quorum = st.Server.Serving || leader != 0 && leader != n.cfg.ID && time.Since(n.raft.LastContact()) < 2*n.cfg.Timeout
	if leader != 0 && leader != 3 {
		st.Server.Primary = n.cfg.Clients[leader-1]
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	st.Servers = st.Servers[:0]
	for id := 1; id <= 3; id++ {
		node := wire.ServerNode{ID: id, Addr: n.cfg.Clients[id-1], Role: RoleOf(id)}
		switch {
		case id == n.cfg.ID:
			node.Up, node.Serving, node.Term, node.Applied = true, st.Server.Serving, term, applied
		case leader == n.cfg.ID:
			node.Up = !n.down[id]
		case id == leader:
			node.Up, node.Serving = st.Server.Quorum, st.Server.Quorum && id != 3
		}
		st.Servers = append(st.Servers, node)
	}
}

// watch follows raft's observations: leadership changes, and followers'
// heartbeats failing and resuming.
func (n *Node) watch() {
	n.obsCh = make(chan raft.Observation, 64)
	n.obs = raft.NewObserver(n.obsCh, true, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.LeaderObservation, raft.FailedHeartbeatObservation, raft.ResumedHeartbeatObservation:
			return true
		}
		return false
	})
	n.raft.RegisterObserver(n.obs)
	go func() {
		for {
			select {
			case <-n.done:
				return
			case o := <-n.obsCh:
				n.observe(o)
			}
		}
	}()
}

func (n *Node) observe(o raft.Observation) {
	switch d := o.Data.(type) {
	case raft.LeaderObservation:
		n.leaderChanged(idOf(d.LeaderID))
	case raft.FailedHeartbeatObservation:
		n.mu.Lock()
		n.down[idOf(d.PeerID)] = true
		n.mu.Unlock()
	case raft.ResumedHeartbeatObservation:
		id := idOf(d.PeerID)
		n.mu.Lock()
		n.down[id] = false
		epoch := n.epoch
		n.mu.Unlock()
		if id == 1 && n.cfg.ID == 2 && n.serving.Load() {
			// Let replication catch #1 up first: while a transfer waits
			// for that, raft takes no new entries.
			n.log.Info("HAL node #1 is back: handing the service back to it")
			time.AfterFunc(2*n.cfg.Timeout, func() { n.handBack(epoch) })
		}
	}
}

// leaderChanged stops serving at once on any change, then, when this node
// is the new leader, takes over (or, as #3, hands leadership on).
func (n *Node) leaderChanged(leader int) {
	n.mu.Lock()
	n.epoch++
	epoch := n.epoch
	if prev := int(n.leader.Load()); prev != 0 && prev != 3 && prev != leader {
		n.last = prev
	}
	last := n.last
	clear(n.down)
	n.serving.Store(false)
	n.leader.Store(int32(leader))
	n.mu.Unlock()
	switch {
	case leader == 0:
		n.log.Warn("HAL: no serving node known", "node", n.cfg.ID)
	case leader != n.cfg.ID:
		n.log.Info("HAL: following", "node", n.cfg.ID, "serving", leader, "addr", n.cfg.Clients[leader-1])
	case n.cfg.ID == 3:
		// The node that served last has most likely stopped (that is why
		// there was an election): hand on to the other one first.
		to := 1
		if last == 1 {
			to = 2
		}
		n.log.Info("HAL: #3 was elected; it never serves, so it hands leadership on", "to", to)
		go n.transfer(epoch, to)
	default:
		go n.takeover(epoch)
	}
}

// takeover makes this newly elected node the serving one: it applies every
// entry committed before (a barrier), then OnServe, then serves.
func (n *Node) takeover(epoch int) {
	if err := n.raft.Barrier(4 * n.cfg.Timeout).Error(); err != nil {
		n.log.Warn("HAL: elected, but could not apply the earlier entries", "err", err)
		return
	}
	if err := n.cfg.OnServe(); err != nil {
		n.log.Error("HAL: elected, but could not take over: handing leadership on", "err", err)
		go n.transfer(epoch, 0)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.epoch != epoch {
		return // leadership changed meanwhile
	}
	n.serving.Store(true)
	n.log.Info("HAL: serving", "node", n.cfg.ID, "role", RoleOf(n.cfg.ID), "term", n.raft.CurrentTerm())
	if n.cfg.ID == 2 {
		// #1 may be up and have lost the election by chance: its heartbeats
		// then never fail, and never resume. Look once, when a heartbeat to
		// a #1 that is down, frozen or cut off has had the time to fail (a
		// frozen one fails only at the RPC timeout).
		time.AfterFunc(rpcTimeout(n.cfg.Timeout)+2*n.cfg.Timeout, func() {
			n.mu.Lock()
			up := !n.down[1] && n.epoch == epoch
			n.mu.Unlock()
			if up {
				n.handBack(epoch)
			}
		})
	}
}

// handBack transfers leadership from a serving #2 to #1.
func (n *Node) handBack(epoch int) { n.transfer(epoch, 1) }

// transfer hands leadership to node to (0: whichever raft picks), if this
// node still holds the leadership of epoch. Raft catches the target up
// first. A transfer that fails is tried a few more times, as the target may
// still be starting; from #3, to the other serving node in turn.
func (n *Node) transfer(epoch, to int) {
	for attempt := range 6 {
		if attempt > 0 && n.cfg.ID == 3 {
			to = 3 - to // 1 ↔ 2
		}
		n.mu.Lock()
		current, down := n.epoch == epoch, n.down[to]
		n.mu.Unlock()
		if !current || n.cfg.ID == 2 && down {
			return // while it transfers, raft takes no entries: not to a node that is down
		}
		var f raft.Future
		if to == 0 {
			f = n.raft.LeadershipTransfer()
		} else {
			f = n.raft.LeadershipTransferToServer(serverID(to), raft.ServerAddress(n.cfg.RaftPeers[to-1]))
		}
		err := f.Error()
		if err == nil {
			return
		}
		n.log.Warn("HAL: leadership transfer failed", "to", to, "attempt", attempt+1, "err", err)
		select {
		case <-n.done:
			return
		case <-time.After(time.Duration(attempt) * n.cfg.Timeout):
		}
	}
}

// rpcTimeout bounds each raft RPC: a heartbeat to a node that is frozen or
// cut off without a reset fails after it. Four raft timeouts: 2 s by
// default, long enough for a large batch of entries on a LAN.
func rpcTimeout(raftTimeout time.Duration) time.Duration { return 4 * raftTimeout }

// peers resolves a node's id to the raft address this node dials it at.
type peers [3]string

func (p peers) ServerAddr(id raft.ServerID) (raft.ServerAddress, error) {
	i := idOf(id)
	if i == 0 {
		return "", fmt.Errorf("unknown HAL node %q", id)
	}
	return raft.ServerAddress(p[i-1]), nil
}

func serverID(id int) raft.ServerID { return raft.ServerID(strconv.Itoa(id)) }

// idOf returns the node id of a raft server id, 0 when none.
func idOf(id raft.ServerID) int {
	n, err := strconv.Atoi(string(id))
	if err != nil || n < 1 || n > 3 {
		return 0
	}
	return n
}

// repeats drops a raft error message repeated within every: while a node
// is down, raft logs each failed heartbeat to it, several a second.
type repeats struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
}

func (r *repeats) exclude(level hclog.Level, msg string, args ...any) bool {
	if level < hclog.Error {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if t, ok := r.last[msg]; ok && now.Sub(t) < r.every {
		return true
	}
	r.last[msg] = now
	return false
}
