package store

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

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

// Grace reports stored before they had to prove themselves: only the latest
// of each user, host and feature stays, and only with a period that fits
// the longest GRACE; after that a new report replaces the user's last.
func TestMigrateGraceReportsToOnePerUser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licd.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"001_init.sql", "002_checkouts_without_request_index.sql", "003_event_batches.sql"} {
		q, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(q)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?)`, i+1, name); err != nil {
			t.Fatal(err)
		}
	}
	const h = int64(time.Hour)
	for _, g := range [][]any{
		{"old", "cad", "ann", "ws1", 1 * h, 49 * h},
		{"new", "cad", "ann", "ws1", 2 * h, 50 * h},
		{"other-host", "cad", "ann", "ws2", 2 * h, 50 * h},
		{"forever", "cad", "bob", "ws1", 1 * h, 1 << 62},
		{"backwards", "cad", "cy", "ws1", 5 * h, 4 * h},
	} {
		if _, err := db.Exec(`INSERT INTO graces VALUES (?, ?, ?, ?, ?, ?, 0)`, g...); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := open(t, path)
	ids := func() []string {
		t.Helper()
		snap, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range snap.Graces {
			out = append(out, g.TokenID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(); !slices.Equal(got, []string{"new", "other-host"}) {
		t.Fatalf("graces after migrating: %v, want new and other-host", got)
	}
	tx, _ := s.Begin()
	tx.PutGrace(Grace{TokenID: "newer", Feature: "cad", User: "ann", Host: "ws1", Activated: fromNanos(3 * h), Expires: fromNanos(51 * h)})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := ids(); !slices.Equal(got, []string{"newer", "other-host"}) {
		t.Fatalf("graces after a new report: %v, want newer and other-host", got)
	}
}
