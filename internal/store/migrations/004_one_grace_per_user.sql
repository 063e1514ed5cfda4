-- A user, host and feature have one grace report: a new one replaces the
-- last (the ledger writes it with INSERT OR REPLACE, which this index
-- makes replace by user, host and feature as well as by token id).
-- Reports stored before reports had to prove themselves are kept, but only
-- the latest of each user, host and feature, and only if its period fits
-- the longest GRACE (168 hours); the rest were never checked and would
-- never be reaped.
DELETE FROM graces WHERE expires <= activated OR expires - activated > 168 * 3600 * 1000000000;

DELETE FROM graces WHERE EXISTS (
	SELECT 1 FROM graces AS later
	WHERE later.feature = graces.feature AND later.user = graces.user AND later.host = graces.host
		AND (later.activated > graces.activated
			OR (later.activated = graces.activated AND later.token_id > graces.token_id)));

CREATE UNIQUE INDEX graces_by_user ON graces (feature, user, host);
