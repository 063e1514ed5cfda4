-- The audit trail as an admin reads it with sqlite3 on licd.db: the view
-- "events" with each time as RFC 3339 in UTC, to the millisecond, in
-- place of unix nanoseconds. For example:
--   SELECT * FROM events_readable WHERE kind = 'deny' ORDER BY seq DESC LIMIT 20;
-- Only strftime and the view "events" are used, so any sqlite3 that opens
-- the file shows it.
CREATE VIEW events_readable (seq, time, kind, feature, user, host, session, checkout, count, code, detail) AS
	SELECT seq, strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000000000.0, 'unixepoch'),
		kind, feature, user, host, session, checkout, count, code, detail
	FROM events;
