package store

import "time"

// Session is a client process: it owns its checkouts.
type Session struct {
	ID            string
	User          string
	Host          string
	PID           int
	Created       time.Time
	LastHeartbeat time.Time
}

// Checkout is a granted network license held by a session.
type Checkout struct {
	ID        string
	Session   string
	RequestID string
	Feature   string
	Version   string
	Count     int
	Since     time.Time
}

// Borrow is a license taken out of the pool until it expires or is returned.
type Borrow struct {
	ID        string
	Session   string
	RequestID string
	Feature   string
	Version   string
	User      string
	Host      string
	Since     time.Time
	Expires   time.Time
}

// Grace is a grace period a client activated and reported.
type Grace struct {
	TokenID   string
	Feature   string
	User      string
	Host      string
	Activated time.Time
	Expires   time.Time
	Reported  time.Time
}

// Queued is a checkout request waiting for a license (see the queue table).
type Queued struct {
	Seq        int64
	Session    string
	RequestID  string
	CheckoutID string
	Feature    string
	Version    string
	Count      int
	Since      time.Time
}

// Hold keeps a user, host and feature (empty: any) from checking out again
// until Until, after an admin removed their licenses.
type Hold struct {
	ID      string
	User    string
	Host    string
	Feature string
	Until   time.Time
	By      string
}

// Snapshot is the whole durable state, read at start-up.
type Snapshot struct {
	Sessions  []Session
	Checkouts []Checkout
	Borrows   []Borrow
	Graces    []Grace
	Queue     []Queued // in seq order
	Holds     []Hold
	LastSeq   int64     // highest event sequence number
	Newest    time.Time // the latest time stored anywhere (see newest)
}

// newest sets snap.Newest: the latest of the clock's stored mark, the last
// event, and every time in the rows loaded.
func (snap *Snapshot) newest(mark, lastEvent int64) {
	t := fromNanos(max(mark, lastEvent))
	for _, s := range snap.Sessions {
		t = latest(t, s.Created, s.LastHeartbeat)
	}
	for _, c := range snap.Checkouts {
		t = latest(t, c.Since)
	}
	for _, b := range snap.Borrows {
		t = latest(t, b.Since)
	}
	for _, g := range snap.Graces {
		t = latest(t, g.Reported)
	}
	snap.Newest = t
}

func latest(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.After(t) {
			t = u
		}
	}
	return t
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
