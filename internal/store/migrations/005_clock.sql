-- The newest time the server's clock has read, never lowered: a clock set
-- back behind it (to serve a license past its EXPIRE) is noticed, at start
-- as while running, even once every other stored time is from the set-back
-- clock. One row, rewritten about once a minute.
CREATE TABLE clock (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	newest INTEGER NOT NULL -- unix nanoseconds
);
