-- A HAL node's place in the raft log: the index of the last entry applied
-- to this database, written in the same transaction as the entry's changes,
-- so that an entry raft hands over again after a restart is recognised and
-- skipped. features is the served features as the last replicated reload
-- set them (JSON), so that a restarted node applies later entries against
-- the features the serving node had, not its own license files. One row;
-- absent on a single node.
CREATE TABLE raft_state (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	applied  INTEGER NOT NULL,
	features TEXT NOT NULL DEFAULT ''
);
