package store

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// insertBatches commits each batch of n events in a transaction of its own,
// numbered on from 1, with fields that need escaping in JSON.
func insertBatches(t *testing.T, s *Store, sizes ...int) []wire.Event {
	t.Helper()
	odd := []string{"", `say "hi"`, `back\slash`, "new\nline", "<&>", "ünï", "\x00\x1f"}
	var all []wire.Event
	for _, n := range sizes {
		tx, err := s.Begin()
		if err != nil {
			t.Fatal(err)
		}
		var evs []wire.Event
		for range n {
			seq := int64(len(all) + 1)
			ev := wire.Event{Seq: seq, Time: time.Unix(0, 1e9*seq+7).UTC(), Kind: wire.EventGrant, Feature: "cad",
				User: odd[seq%int64(len(odd))], Host: "ws1", Session: "s1", Checkout: "c", Count: int(seq), Detail: odd[(seq+3)%int64(len(odd))]}
			evs = append(evs, ev)
			all = append(all, ev)
		}
		tx.InsertEvents(evs)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return all
}

func TestEventsReadBack(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "licd.db"))
	all := insertBatches(t, s, 3, 1, 7, 2) // seqs 1-3, 4, 5-11, 12-13
	for _, c := range []struct {
		after int64
		limit int
		want  []wire.Event
	}{
		{-1, 100, all},
		{-1, 5, all[8:]},
		{-1, 1, all[12:]},
		{0, 100, all},
		{0, 2, all[:2]},
		{3, 1, all[3:4]},
		{5, 4, all[5:9]},
		{12, 10, all[12:]},
		{13, 10, nil},
	} {
		got, err := s.Events(c.after, c.limit)
		if err != nil || len(got) != len(c.want) || (len(got) > 0 && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("Events(%d, %d) = %+v, %v; want %+v", c.after, c.limit, got, err, c.want)
		}
	}
	// The view shows one row an event, as the table before migration 003 did.
	var n, sum int64
	var user string
	err := s.db.QueryRow(`SELECT count(*), sum(count), max(CASE WHEN seq = 9 THEN user END) FROM events`).Scan(&n, &sum, &user)
	if err != nil || n != 13 || sum != 91 || user != all[8].User {
		t.Fatalf("view: %d rows, sum %d, user %q, %v; want 13, 91, %q", n, sum, user, err, all[8].User)
	}
}

func TestInsertEventsOutOfTurn(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "licd.db"))
	tx, _ := s.Begin()
	tx.InsertEvents([]wire.Event{{Seq: 1, Kind: wire.EventGrant}, {Seq: 3, Kind: wire.EventGrant}})
	if err := tx.Commit(); err == nil {
		t.Fatal("events numbered 1, 3 were stored as one batch")
	}
	if evs, err := s.Events(-1, 10); err != nil || len(evs) != 0 {
		t.Fatalf("after a refused batch: %+v, %v", evs, err)
	}
}

func TestPruneEventsAcrossBatches(t *testing.T) {
	for _, c := range []struct {
		sizes      []int
		keep, gone int64
	}{
		{[]int{3, 7, 2}, 5, 7}, // whole first batch, part of the second
		{[]int{3, 7, 2}, 9, 3}, // exactly the first batch
		{[]int{3, 7, 2}, 12, 0},
		{[]int{3, 7, 2}, 100, 0},
		{[]int{1, 1, 1}, 1, 2},
		{nil, 10, 0},
	} {
		s := open(t, filepath.Join(t.TempDir(), "licd.db"))
		all := insertBatches(t, s, c.sizes...)
		n, err := s.PruneEvents(c.keep)
		if err != nil || n != c.gone {
			t.Errorf("%v keep %d: pruned %d, %v; want %d", c.sizes, c.keep, n, err, c.gone)
			continue
		}
		left, err := s.Events(-1, 100)
		if want := all[c.gone:]; err != nil || len(left) != len(want) || (len(left) > 0 && !reflect.DeepEqual(left, want)) {
			t.Errorf("%v keep %d: left %+v, %v; want %+v", c.sizes, c.keep, left, err, want)
		}
	}
}

// A batch's stored JSON reads back as the events written, for any strings
// in them.
func FuzzEventsRoundTrip(f *testing.F) {
	f.Add("grant", "cad", "ann", `"quoted"`, "\\", "\n", int64(1), 2)
	f.Add("", "", "\x00", "ü", "\xff", "<&>", int64(-5), -1)
	f.Fuzz(func(t *testing.T, kind, feature, user, host, session, detail string, at int64, count int) {
		evs := []wire.Event{
			{Seq: 9, Time: fromNanos(at), Kind: kind, Feature: feature, User: user, Host: host, Session: session, Count: count, Detail: detail},
			{Seq: 10, Time: fromNanos(at), Kind: detail, Checkout: user, Code: host},
		}
		data, err := encodeEvents(evs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeEvents(9, data)
		if err != nil {
			t.Fatal(err)
		}
		for i := range evs {
			want := evs[i]
			for _, p := range []*string{&want.Kind, &want.Feature, &want.User, &want.Host, &want.Session, &want.Checkout, &want.Code, &want.Detail} {
				b, _ := json.Marshal(*p) // invalid UTF-8 reads back as encoding/json writes it
				json.Unmarshal(b, p)
			}
			if !reflect.DeepEqual(got[i], want) {
				t.Fatalf("event %d: got %+v, want %+v", i, got[i], want)
			}
		}
	})
}
