-- The audit trail is written a batch at a time: one row holds the events
-- that one transaction committed, as a JSON array with an array per event,
-- [at, kind, feature, user, host, session, checkout, count, code, detail],
-- numbered in a row from first_seq. A row per event cost eleven bound values
-- each and was about a sixth of licd's CPU at saturation (BENCHMARKS.md).
-- The view "events" shows the trail as the table it replaces did.
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
	SELECT b.first_seq + e.key, e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4,
		e.value ->> 5, e.value ->> 6, e.value ->> 7, e.value ->> 8, e.value ->> 9
	FROM event_batches AS b, json_each(b.data) AS e;
