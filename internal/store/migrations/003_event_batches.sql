-- The audit trail is written a batch at a time: one row holds the events
-- that one transaction committed, as a JSON array with an array per event,
-- [at, kind, feature, user, host, session, checkout, count, code, detail],
-- numbered in a row from first_seq. A row per event cost eleven bound values
-- each: about 15 % of licd's CPU at saturation (BENCHMARKS.md).
-- The view "events" shows the trail as the table it replaces did; it uses
-- json_extract, not ->>, so that a sqlite3 older than 3.38 can still open
-- the file.
CREATE TABLE event_batches (
	first_seq INTEGER PRIMARY KEY,
	last_seq  INTEGER NOT NULL,
	data      TEXT NOT NULL
);

INSERT INTO event_batches (first_seq, last_seq, data)
	SELECT seq, seq, json_array(json_array(at, kind, feature, user, host, session, checkout, count, code, detail))
	FROM events;

DROP TABLE events;

CREATE VIEW events (seq, at, kind, feature, user, host, session, checkout, count, code, detail) AS
	SELECT b.first_seq + e.key, json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]'),
		json_extract(e.value, '$[2]'), json_extract(e.value, '$[3]'), json_extract(e.value, '$[4]'),
		json_extract(e.value, '$[5]'), json_extract(e.value, '$[6]'), json_extract(e.value, '$[7]'),
		json_extract(e.value, '$[8]'), json_extract(e.value, '$[9]')
	FROM event_batches AS b, json_each(b.data) AS e;
