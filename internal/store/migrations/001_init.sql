-- Sessions own checkouts. Leases are not stored: a restarted server gives
-- every session a fresh lease, so clients that heartbeat carry on.
CREATE TABLE sessions (
	id             TEXT PRIMARY KEY,
	user           TEXT NOT NULL,
	host           TEXT NOT NULL,
	pid            INTEGER NOT NULL,
	created        INTEGER NOT NULL, -- unix nanoseconds, as every time here
	last_heartbeat INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE checkouts (
	id         TEXT PRIMARY KEY,
	session    TEXT NOT NULL,
	request_id TEXT NOT NULL,
	feature    TEXT NOT NULL,
	version    TEXT NOT NULL,
	count      INTEGER NOT NULL CHECK (count > 0),
	since      INTEGER NOT NULL,
	UNIQUE (session, request_id)
) WITHOUT ROWID;

CREATE TABLE borrows (
	id         TEXT PRIMARY KEY,
	session    TEXT NOT NULL,
	request_id TEXT NOT NULL,
	feature    TEXT NOT NULL,
	version    TEXT NOT NULL,
	user       TEXT NOT NULL,
	host       TEXT NOT NULL,
	since      INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	UNIQUE (session, request_id)
) WITHOUT ROWID;

CREATE TABLE graces (
	token_id  TEXT PRIMARY KEY,
	feature   TEXT NOT NULL,
	user      TEXT NOT NULL,
	host      TEXT NOT NULL,
	activated INTEGER NOT NULL,
	expires   INTEGER NOT NULL,
	reported  INTEGER NOT NULL
) WITHOUT ROWID;

-- The audit trail: every grant, denial, release and expiry.
CREATE TABLE events (
	seq      INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL,
	kind     TEXT NOT NULL,
	feature  TEXT NOT NULL DEFAULT '',
	user     TEXT NOT NULL DEFAULT '',
	host     TEXT NOT NULL DEFAULT '',
	session  TEXT NOT NULL DEFAULT '',
	checkout TEXT NOT NULL DEFAULT '',
	count    INTEGER NOT NULL DEFAULT 0,
	code     TEXT NOT NULL DEFAULT '',
	detail   TEXT NOT NULL DEFAULT ''
);
