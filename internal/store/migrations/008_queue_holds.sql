-- Checkout requests waiting for a license, first come first served per
-- feature (seq orders them), each owned by a session like a checkout: a
-- restart keeps the queue, as FlexNet users expect across a reread. The
-- checkout id is chosen when the request is queued, so every HAL node
-- grants it under the same id.
CREATE TABLE queue (
	seq         INTEGER PRIMARY KEY,
	session     TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	checkout_id TEXT NOT NULL,
	feature     TEXT NOT NULL,
	version     TEXT NOT NULL,
	count       INTEGER NOT NULL CHECK (count > 0),
	since       INTEGER NOT NULL,
	UNIQUE (session, request_id)
);

-- An admin's remove with --hold: until "until", the user and host (empty:
-- any) may not take the feature (empty: any) again.
CREATE TABLE holds (
	id      TEXT PRIMARY KEY,
	user    TEXT NOT NULL DEFAULT '',
	host    TEXT NOT NULL DEFAULT '',
	feature TEXT NOT NULL DEFAULT '',
	until   INTEGER NOT NULL,
	by      TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
