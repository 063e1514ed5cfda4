package store

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/floatlic/floatlic/internal/wire"
)

// A database made by the first schema keeps its checkouts and its audit
// trail through the later migrations, and each migration is recorded once.
func TestMigrateFromFirstSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licd.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrations.ReadFile("migrations/001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
		string(first),
		`INSERT INTO schema_migrations VALUES (1, '001_init.sql')`,
		`INSERT INTO sessions VALUES ('s1', 'ann', 'ws1', 7, 1, 2)`,
		`INSERT INTO checkouts VALUES ('c1', 's1', 'r1', 'cad', '1.0', 2, 3)`,
		`INSERT INTO events VALUES (7, 4, 'grant', 'cad', 'ann', 'ws1', 's1', 'c1', 2, '', '')`,
		`INSERT INTO events VALUES (8, 5, 'deny', 'cad', 'bob', 'ws2', 's2', '', 0, 'count_exhausted', 'all "2" in use')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path)
	snap, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Checkouts) != 1 || snap.Checkouts[0] != (Checkout{ID: "c1", Session: "s1", RequestID: "r1", Feature: "cad", Version: "1.0", Count: 2, Since: snap.Checkouts[0].Since}) {
		t.Fatalf("checkouts after migrating: %+v", snap.Checkouts)
	}
	var n int
	all, _ := fs.Glob(migrations, "migrations/*.sql")
	if err := s.db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(all) {
		t.Fatalf("%d migrations recorded (%v), want %d", n, err, len(all))
	}
	if !snap.Newest.Equal(fromNanos(5)) { // the last event's time is the latest stored
		t.Fatalf("newest time stored: %v, want %v", snap.Newest, fromNanos(5))
	}
	want := []wire.Event{
		{Seq: 7, Time: fromNanos(4), Kind: "grant", Feature: "cad", User: "ann", Host: "ws1", Session: "s1", Checkout: "c1", Count: 2},
		{Seq: 8, Time: fromNanos(5), Kind: "deny", Feature: "cad", User: "bob", Host: "ws2", Session: "s2", Code: "count_exhausted", Detail: `all "2" in use`},
	}
	if evs, err := s.Events(-1, 10); err != nil || !reflect.DeepEqual(evs, want) || snap.LastSeq != 8 {
		t.Fatalf("events after migrating: %+v, %v, last seq %d; want %+v", evs, err, snap.LastSeq, want)
	}
	// The rebuilt table still refuses what the ledger never writes.
	tx, _ := s.Begin()
	tx.InsertCheckout(Checkout{ID: "c2", Session: "s1", RequestID: "r2", Feature: "cad", Version: "1.0", Count: 0})
	if err := tx.Commit(); err == nil {
		t.Fatal("a checkout of count 0 was stored")
	}
}
