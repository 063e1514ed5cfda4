package store

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// The view of migration 009 shows each event's time as RFC 3339 in UTC.
func TestEventsReadable(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "licd.db"))
	at := time.Date(2026, 12, 1, 9, 30, 5, 250_000_000, time.FixedZone("CET", 3600))
	tx, _ := s.Begin()
	tx.InsertEvents([]wire.Event{
		{Seq: 1, Time: at, Kind: wire.EventGrant, Feature: "cad", User: "ann", Host: "ws1", Checkout: "c1", Count: 2},
		{Seq: 2, Time: at.Add(time.Hour), Kind: wire.EventDeny, Feature: "cad", User: "bob", Host: "ws2", Code: wire.CodeCountExhausted, Count: 1},
	})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	type row struct {
		seq                             int64
		time, kind, feature, user, host string
		session, checkout               string
		count                           int
		code, detail                    string
	}
	var got []row
	err := s.query(s.ro, `SELECT * FROM events_readable ORDER BY seq`, func(r *sql.Rows) error {
		var x row
		err := r.Scan(&x.seq, &x.time, &x.kind, &x.feature, &x.user, &x.host, &x.session, &x.checkout, &x.count, &x.code, &x.detail)
		got = append(got, x)
		return err
	})
	want := []row{
		{1, "2026-12-01T08:30:05.250Z", "grant", "cad", "ann", "ws1", "", "c1", 2, "", ""},
		{2, "2026-12-01T09:30:05.250Z", "deny", "cad", "bob", "ws2", "", "", 1, "count_exhausted", ""},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("events_readable: %+v, %v; want %+v", got, err, want)
	}
}

// ReportData reads what is held (checkouts with their session's user and
// host, borrows) and the trail from the batch holding since's first event.
func TestReportData(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "licd.db"))
	if d, err := s.ReportData(time.Unix(0, 0)); err != nil || !d.Oldest.IsZero() || d.Events != nil || d.Held != nil {
		t.Fatalf("empty store: %+v, %v", d, err)
	}
	all := insertBatches(t, s, 3, 1, 7, 2) // seqs 1-3, 4, 5-11, 12-13 at seq seconds
	tx, _ := s.Begin()
	tx.InsertSession(Session{ID: "s1", User: "ann", Host: "ws1", PID: 7})
	tx.InsertCheckout(Checkout{ID: "c1", Session: "s1", RequestID: "r1", Feature: "cad", Version: "1.0", Count: 2})
	tx.InsertBorrow(Borrow{ID: "b1", Session: "s2", RequestID: "r2", Feature: "sim", Version: "1.0", User: "bob", Host: "ws2"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		since int64 // the seq of the event at since
		want  []wire.Event
	}{
		{0, all},
		{1, all},
		{4, all[3:]},
		{6, all[4:]}, // seq 6 is in the batch of 5-11
		{12, all[11:]},
		{99, all[11:]}, // the last batch: its events are all before since, and the report skips them
	} {
		d, err := s.ReportData(time.Unix(c.since, 7)) // the time of event seq c.since
		if err != nil || !reflect.DeepEqual(d.Events, c.want) {
			t.Errorf("ReportData(%ds): %d events from seq %d, %v; want from seq %d", c.since, len(d.Events), d.Events[0].Seq, err, c.want[0].Seq)
		}
		held := []Held{{ID: "b1", Feature: "sim", User: "bob", Host: "ws2", Count: 1, Borrow: true},
			{ID: "c1", Feature: "cad", User: "ann", Host: "ws1", Count: 2}}
		if !d.Oldest.Equal(all[0].Time) || !reflect.DeepEqual(d.Held, held) {
			t.Errorf("oldest %s, held %+v", d.Oldest, d.Held)
		}
	}
}
