// Package wire holds the JSON types of floatlic's HTTP protocol (/v1/...),
// shared by the server (internal/server) and the client (package licenses),
// and the error codes (docs/protocol.md).
//
// Every request that changes state names the caller's session: one random
// 128-bit id per client process, sent with user, host and pid. Sessions, not
// connections, own checkouts, so a client that reconnects keeps its licenses.
package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Paths of the endpoints, all served on one port.
const (
	PathCheckout  = "/v1/checkout"
	PathHeartbeat = "/v1/heartbeat"
	PathCheckin   = "/v1/checkin"
	PathBorrow    = "/v1/borrow"
	PathReturn    = "/v1/return"
	PathGrace     = "/v1/grace"
	PathStatus    = "/v1/status"
	PathEvents    = "/v1/events"
	PathRemove    = "/v1/admin/remove"
	PathReload    = "/v1/admin/reload"
	PathStop      = "/v1/admin/stop"
	PathBackup    = "/v1/admin/backup"
	PathMetrics   = "/metrics"
	PathHealthz   = "/healthz"
)

// InstanceHeader carries the server's instance id on every reply, so a client
// sees a restart even on replies without a JSON body.
const InstanceHeader = "Floatlic-Instance"

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 64 << 10

// Error codes, as docs/protocol.md lists them.
const (
	CodeUnknownFeature   = "unknown_feature"
	CodeCountExhausted   = "count_exhausted"
	CodeExpired          = "expired"
	CodeNotStarted       = "not_started"
	CodeVersionTooHigh   = "version_too_high"
	CodeHostMismatch     = "host_mismatch"
	CodeBorrowNotAllowed = "borrow_not_allowed"
	CodeBorrowTooLong    = "borrow_too_long"
	CodeGraceNotAllowed  = "grace_not_allowed"
	CodeNotPrimary       = "not_primary"
	CodeNoQuorum         = "no_quorum"
	CodeUnknownSession   = "unknown_session"
	CodeUnknownBorrow    = "unknown_borrow"
	CodeUnknownCheckout  = "unknown_checkout"
	CodeBadRequest       = "bad_request"
	CodeUnauthorized     = "unauthorized"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
	CodeClockWindback    = "clock_windback"
	CodeNoServer         = "no_server"
	CodeGraceCooldown    = "grace_cooldown"
	CodeGraceExpired     = "grace_expired"
	CodeNoGraceToken     = "no_grace_token"
	CodeTokenInvalid     = "token_invalid"
	CodeTooManyRestarts  = "too_many_restarts"
	CodeHeartbeatsFailed = "heartbeats_failed"
	CodeCheckoutLost     = "checkout_lost"
	// Refusals by the options file's rules (licd serve --options); each
	// message names the rule and its file:line.
	CodeExcluded   = "excluded"    // EXCLUDE, or not in INCLUDE (and their _BORROW kin)
	CodeMaxReached = "max_reached" // a MAX the user, host or group holds already
	CodeReserved   = "reserved"    // the free licenses are RESERVEd for others
	// CodeRemovedHold: an admin removed this user's or host's licenses of
	// the feature and holds them off it for a while (licstat remove --hold).
	CodeRemovedHold = "removed_hold"
)

// Error is the error object of every failed reply:
// {"error":{"code":"...","message":"..."}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Primary is the serving node's address, with not_primary, when known.
	Primary string `json:"primary,omitempty"`
}

// Error formats the code and the message as one line.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorReply is the body of a failed reply.
type ErrorReply struct {
	Error *Error `json:"error"`
}

// Client names the caller of a request.
type Client struct {
	Session string `json:"session"` // 32 hex digits, random per client process
	User    string `json:"user"`
	Host    string `json:"host"`
	PID     int    `json:"pid"`
}

// SessionHandle returns the name under which status, events and the admin's
// remove show a session: the first 8 bytes of the SHA-256 of its id, in
// hex. The id is the client's only credential, so it is never shown; the
// handle tells sessions apart and cannot be turned back into the id.
func SessionHandle(session string) string {
	sum := sha256.Sum256([]byte(session))
	return hex.EncodeToString(sum[:8])
}

// CheckoutRequest asks for Count licenses of Feature at Version.
// Repeating a RequestID within a session returns the same checkout.
type CheckoutRequest struct {
	Client
	RequestID string `json:"request_id"`
	Feature   string `json:"feature"`
	Version   string `json:"version"`         // "major.minor"; empty means any
	Count     int    `json:"count,omitempty"` // 0 means 1
	// Queue asks to wait when no license is free now: the request joins
	// the feature's queue and the reply says so (Queued); repeating the
	// request id gives the position, or the checkout once granted.
	Queue bool `json:"queue,omitempty"`
}

// CheckoutReply is the answer to a granted checkout.
type CheckoutReply struct {
	Instance         string    `json:"instance"`
	CheckoutID       string    `json:"checkout_id"`
	Feature          string    `json:"feature"`
	Version          string    `json:"version"` // the license's version
	Count            int       `json:"count"`
	Since            time.Time `json:"since"`
	LeaseSeconds     float64   `json:"lease_seconds"` // the lease guaranteed from this request on (see HeartbeatReply)
	HeartbeatSeconds float64   `json:"heartbeat_seconds"`
	Expires          string    `json:"expires"` // license EXPIRE: YYYY-MM-DD or permanent
	// GraceToken is an inactive grace token, set for features with GRACE.
	GraceToken string `json:"grace_token,omitempty"`
	// ServerKey is the base64 Ed25519 public key that signs grace and borrow
	// tokens. It is for display only: a client trusts a token through the
	// vendor-signed license block inside it (package token), never through
	// a key the server, or a state file, says is the server's.
	ServerKey string `json:"server_key,omitempty"`
	// Queued: the request waits in the feature's queue, at Position (1 is
	// next) of QueueLength; nothing is checked out yet (CheckoutID is empty).
	Queued      bool `json:"queued,omitempty"`
	Position    int  `json:"position,omitempty"`
	QueueLength int  `json:"queue_length,omitempty"`
}

// HeartbeatRequest renews the lease of a session.
type HeartbeatRequest struct {
	Client
}

// HeartbeatReply confirms the lease and lists the checkouts the server holds
// for the session, so the client sees any that were removed.
type HeartbeatReply struct {
	Instance string `json:"instance"`
	// LeaseUntil is the end of the lease the server guarantees: until then
	// the session's licenses are its own, even across a server crash. The
	// server may keep the session longer.
	LeaseUntil       time.Time `json:"lease_until"`
	HeartbeatSeconds float64   `json:"heartbeat_seconds"`
	Checkouts        []string  `json:"checkouts"`
}

// CheckinRequest releases one checkout, or all of the session's with All.
// Releasing a checkout the server does not hold succeeds: checkin is
// idempotent. A checkout held by another session is refused with
// unknown_checkout.
type CheckinRequest struct {
	Client
	CheckoutID string `json:"checkout_id,omitempty"`
	All        bool   `json:"all,omitempty"`
	// RequestID cancels the session's queued checkout request of that id.
	RequestID string `json:"request_id,omitempty"`
}

// CheckinReply tells how many checkouts were released.
type CheckinReply struct {
	Instance string `json:"instance"`
	Released int    `json:"released"`
}

// BorrowRequest takes one license out of the pool for Hours hours.
// Repeating a RequestID within a session returns the same borrow.
type BorrowRequest struct {
	Client
	RequestID string `json:"request_id"`
	Feature   string `json:"feature"`
	Version   string `json:"version"`
	Hours     int    `json:"hours"`
}

// BorrowReply carries the server-signed borrow token.
type BorrowReply struct {
	Instance  string    `json:"instance"`
	BorrowID  string    `json:"borrow_id"`
	Feature   string    `json:"feature"`
	Version   string    `json:"version"`
	Expires   time.Time `json:"expires"`
	Token     string    `json:"token"`
	ServerKey string    `json:"server_key"` // for display only, as in CheckoutReply
}

// ReturnRequest gives a borrowed license back early. The borrow's id is
// public (status shows it), so the caller proves it is the borrower with
// the borrow token the server signed for it.
type ReturnRequest struct {
	Client
	BorrowID string `json:"borrow_id"`
	Token    string `json:"token"`
}

// ReturnReply confirms a return.
type ReturnReply struct {
	Instance string `json:"instance"`
	Returned bool   `json:"returned"`
}

// GraceReport tells the server about a grace period a client activated while
// it could not reach any server. It carries the grace token it activated,
// as the server signed it, which proves the report: the token's id, feature,
// user and host must be the report's, and the period must fit its hours. A
// user, host and feature have one report: a new one replaces the last.
type GraceReport struct {
	Client
	Token     string    `json:"token"`
	TokenID   string    `json:"token_id"`
	Feature   string    `json:"feature"`
	Activated time.Time `json:"activated"`
	Expires   time.Time `json:"expires"`
}

// GraceReply confirms a grace report.
type GraceReply struct {
	Instance string `json:"instance"`
}

// RemoveRequest is the admin's forced release of one checkout, or of every
// checkout of a session, named by its handle (see SessionHandle).
//
// User, Host and Feature (any of them, together meaning all) remove every
// matching checkout and queued request; HoldSeconds then keeps that user,
// host and feature from checking out again for so long (removed_hold).
// BorrowID revokes a borrow: its seat returns to the pool. By names who
// removed, for the events and the hold's refusal.
type RemoveRequest struct {
	CheckoutID  string `json:"checkout_id,omitempty"`
	Session     string `json:"session,omitempty"`
	User        string `json:"user,omitempty"`
	Host        string `json:"host,omitempty"`
	Feature     string `json:"feature,omitempty"`
	BorrowID    string `json:"borrow_id,omitempty"`
	HoldSeconds int64  `json:"hold_seconds,omitempty"`
	By          string `json:"by,omitempty"`
}

// RemoveReply tells how many checkouts were removed, and which.
type RemoveReply struct {
	Instance  string            `json:"instance"`
	Removed   int               `json:"removed"`
	Checkouts []RemovedCheckout `json:"checkouts,omitempty"`
	Dequeued  int               `json:"dequeued,omitempty"` // queued requests dropped
	Borrow    *BorrowInfo       `json:"borrow,omitempty"`   // the borrow revoked
	HoldUntil *time.Time        `json:"hold_until,omitempty"`
}

// RemovedCheckout is one checkout an admin removed.
type RemovedCheckout struct {
	ID      string `json:"id"`
	Feature string `json:"feature"`
	User    string `json:"user"`
	Host    string `json:"host"`
	Count   int    `json:"count"`
}

// ReloadReply lists the features served after a reload.
type ReloadReply struct {
	Instance string   `json:"instance"`
	Features []string `json:"features"`
	// Options is the options file in force, if any; Overcommitted
	// describes each feature whose licenses held exceed what the reloaded
	// COUNT and reservations allow (held until checked in; none granted
	// meanwhile).
	Options       *PolicyInfo `json:"options,omitempty"`
	Overcommitted []string    `json:"overcommitted,omitempty"`
}

// StopReply tells that licd is stopping, as on SIGTERM.
type StopReply struct {
	Instance string `json:"instance"`
	Stopping bool   `json:"stopping"`
}

// Status is the server's whole state as licstat shows it (`licstat --json`).
type Status struct {
	Server    ServerInfo      `json:"server"`
	Features  []FeatureStatus `json:"features"`
	Checkouts []CheckoutInfo  `json:"checkouts"`
	Borrows   []BorrowInfo    `json:"borrows"`
	Graces    []GraceInfo     `json:"graces"`
	Servers   []ServerNode    `json:"servers"`
	Policy    *PolicyInfo     `json:"policy,omitempty"` // the options file in force, if any
	Queue     []QueueInfo     `json:"queue,omitempty"`
}

// PolicyInfo is the options file in force (licd serve --options): its path
// on the server and how many rules (directives) it holds.
type PolicyInfo struct {
	Path  string `json:"path"`
	Rules int    `json:"rules"`
}

// QueueInfo is one checkout request waiting in a feature's queue.
type QueueInfo struct {
	Feature  string    `json:"feature"`
	Position int       `json:"position"` // 1 is next
	Of       int       `json:"of"`       // the feature's queue length
	Count    int       `json:"count"`
	User     string    `json:"user"`
	Host     string    `json:"host"`
	Session  string    `json:"session"` // the session's handle
	Since    time.Time `json:"since"`
}

// ServerInfo describes the server that answered.
type ServerInfo struct {
	Instance string `json:"instance"`
	Role     string `json:"role"` // single, primary, secondary, quorum
	Serving  bool   `json:"serving"`
	Addr     string `json:"addr"`
	// HAL only: this node's id (1, 2, 3), whether it sees a majority (a
	// serving node it hears from, or it serves), the serving node's
	// address, its raft term and last applied raft index.
	HALID   int       `json:"hal_id,omitempty"`
	Quorum  bool      `json:"quorum,omitempty"`
	Primary string    `json:"primary,omitempty"`
	Term    uint64    `json:"term,omitempty"`
	Applied uint64    `json:"applied,omitempty"`
	Started time.Time `json:"started"`
	Version string    `json:"version"`
	Now     time.Time `json:"now"`
}

// FeatureStatus is one served feature and its use.
type FeatureStatus struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Count       int    `json:"count"`
	InUse       int    `json:"in_use"`
	Borrowed    int    `json:"borrowed"`
	Grace       int    `json:"grace"` // grace licenses reported in use (not counted against Count)
	Expires     string `json:"expires"`
	GraceHours  int    `json:"grace_hours,omitempty"`
	BorrowHours int    `json:"borrow_hours,omitempty"`
}

// CheckoutInfo is one live checkout.
type CheckoutInfo struct {
	ID            string    `json:"id"`
	Feature       string    `json:"feature"`
	Version       string    `json:"version"`
	Count         int       `json:"count"`
	User          string    `json:"user"`
	Host          string    `json:"host"`
	PID           int       `json:"pid"`
	Session       string    `json:"session"` // the session's handle (see SessionHandle), not its id
	Since         time.Time `json:"since"`
	LastHeartbeat time.Time `json:"last_heartbeat"`
	LeaseUntil    time.Time `json:"lease_until"`
}

// BorrowInfo is one live borrow.
type BorrowInfo struct {
	ID      string    `json:"id"`
	Feature string    `json:"feature"`
	User    string    `json:"user"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
	Expires time.Time `json:"expires"`
}

// GraceInfo is one grace period reported by a client.
type GraceInfo struct {
	TokenID   string    `json:"token_id"`
	Feature   string    `json:"feature"`
	User      string    `json:"user"`
	Host      string    `json:"host"`
	Activated time.Time `json:"activated"`
	Expires   time.Time `json:"expires"`
}

// ServerNode is one license server: the single one, or one HAL node.
type ServerNode struct {
	ID      int    `json:"id"`
	Addr    string `json:"addr"`
	Role    string `json:"role"` // single, primary, secondary, quorum
	Up      bool   `json:"up"`
	Serving bool   `json:"serving"`
	// Term and Applied are the node's raft term and the last raft index
	// applied to its ledger, as it last told (HAL only; 0 when unknown).
	Term    uint64 `json:"term,omitempty"`
	Applied uint64 `json:"applied,omitempty"`
}

// Event kinds, as stored in the audit trail and streamed on /v1/events.
const (
	EventGrant        = "grant"
	EventDeny         = "deny"
	EventRelease      = "release"
	EventExpire       = "expire" // a lease ran out and the server reclaimed the checkouts
	EventRemove       = "remove" // an admin removed a checkout
	EventBorrow       = "borrow"
	EventReturn       = "return"
	EventBorrowExpire = "borrow_expire"
	EventGrace        = "grace" // a client reported grace use
	EventReload       = "reload"
	EventStart        = "start"
	EventTimeout      = "timeout" // an options file's TIMEOUT reclaimed an idle session's checkout
	EventQueue        = "queue"   // a checkout request joined a feature's queue
	EventDequeue      = "dequeue" // a queued request left without a license
)

// Event is one entry of the audit trail. On /v1/events each is sent as a
// server-sent event whose data is this object in JSON.
type Event struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	Feature  string    `json:"feature,omitempty"`
	User     string    `json:"user,omitempty"`
	Host     string    `json:"host,omitempty"`
	Session  string    `json:"session,omitempty"` // on /v1/events, the session's handle
	Checkout string    `json:"checkout,omitempty"`
	Count    int       `json:"count,omitempty"`
	Code     string    `json:"code,omitempty"` // denial code
	Detail   string    `json:"detail,omitempty"`
}
