package views

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

func TestFilter(t *testing.T) {
	row := Fields{"cad_pro", "Ann", "ws1.example.com"}
	feature := Fields{fieldFeature: "cad_pro"}
	tests := []struct {
		filter string
		fields Fields
		want   bool
	}{
		{"", row, true},
		{"ann", row, true},
		{"ANN ws1", row, true},
		{"ann bob", row, false},
		{"user:ann", row, true},
		{"u:an h:example", row, true},
		{"host:ann", row, false},
		{"feature:cad", row, true},
		{"f:solver", row, false},
		{"pro", row, true},
		{"other:thing", row, false}, // an unknown prefix is a bare word
		{"user:", row, false},       // so is an empty value: "user:" is in no field
		{"user:ann", feature, true}, // the row has no user: the word does not hide it
		{"ann", feature, false},
	}
	for _, tt := range tests {
		if got := ParseFilter(tt.filter).Match(tt.fields); got != tt.want {
			t.Errorf("%q matches %v = %v, want %v", tt.filter, tt.fields, got, tt.want)
		}
	}
}

func TestWriteTables(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	st := &wire.Status{
		Features: []wire.FeatureStatus{
			{Name: "solver", Version: "3.1", Count: 2, InUse: 1, Borrowed: 1, Expires: "2030-12-31"},
			{Name: "cad_pro", Version: "2.0", Count: 5, InUse: 1, Expires: "permanent"},
		},
		Checkouts: []wire.CheckoutInfo{{ID: "c1", Feature: "cad_pro", User: "ann", Host: "ws1", PID: 42,
			Since: now.Add(-time.Hour), LastHeartbeat: now.Add(-10 * time.Second), LeaseUntil: now.Add(time.Minute)}},
		Borrows: []wire.BorrowInfo{{ID: "b1", Feature: "solver", User: "bob", Host: "lap", Since: now.Add(-time.Hour), Expires: now.Add(3 * time.Hour)}},
		Servers: []wire.ServerNode{{ID: 1, Addr: "127.0.0.1:6200", Role: "single", Up: true, Serving: true}},
	}
	var b bytes.Buffer
	if err := WriteTables(&b, st, now, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := `FEATURES (2 features · 3 of 7 licenses used · 1 borrowed · 0 on grace · 1 exhausted)
  FEATURE  VERSION  USED  BORROWED  GRACE  EXPIRES
  cad_pro  2.0      1/5          0      0  permanent
  solver   3.1      2/2          1      0  2030-12-31

CHECKOUTS (1 checkout by 1 user on 1 host)
  FEATURE  USER  HOST  PID  SINCE  HEARTBEAT  LEASE
  cad_pro  ann   ws1    42  1h00m    10s ago  1m00s

BORROWS (1 borrowed license)
  FEATURE  USER  HOST  SINCE         EXPIRES        LEFT
  solver   bob   lap   Mar 04 08:30  Mar 04 12:30  3h00m

GRACE (0 grace periods reported)
  no grace licenses in use

SERVERS (single server · serving)
  #  ADDRESS         ROLE    STATE  SERVING  TERM  APPLIED
  1  127.0.0.1:6200  single  up     serving     -        -
`
	if got := b.String(); got != want {
		t.Errorf("WriteTables:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Error("plain tables contain escape sequences")
	}
}

func TestWriteTablesHAL(t *testing.T) {
	st := &wire.Status{
		Server: wire.ServerInfo{HALID: 2, Role: "secondary", Serving: true, Quorum: true, Term: 8, Applied: 1310},
		Servers: []wire.ServerNode{
			{ID: 1, Addr: "127.0.0.1:6201", Role: "primary"},
			{ID: 2, Addr: "127.0.0.1:6202", Role: "secondary", Up: true, Serving: true, Term: 8, Applied: 1310},
			{ID: 3, Addr: "127.0.0.1:6203", Role: "quorum", Up: true, Term: 8, Applied: 1309},
		},
	}
	var b bytes.Buffer
	if err := WriteTables(&b, st, time.Now(), time.UTC); err != nil {
		t.Fatal(err)
	}
	want := `SERVERS (HAL · 2 of 3 nodes up · quorum · serving: #2 127.0.0.1:6202)
  #  ADDRESS         ROLE       STATE  SERVING  TERM  APPLIED
  1  127.0.0.1:6201  primary    down   -           -        -
  2  127.0.0.1:6202  secondary  up     serving     8     1310
  3  127.0.0.1:6203  quorum     up     -           8     1309
  quorum: yes (2 of 3 up, #2 serving)
`
	if got := b.String(); !strings.HasSuffix(got, want) {
		t.Errorf("WriteTables ends with:\n%s\nwant:\n%s", got[strings.LastIndex(got, "SERVERS"):], want)
	}
}

func TestQuorumOf(t *testing.T) {
	node := func(id int, up, serving bool) wire.ServerNode {
		return wire.ServerNode{ID: id, Addr: fmt.Sprintf("h:%d", id), Up: up, Serving: serving}
	}
	tests := []struct {
		name   string
		server wire.ServerInfo
		nodes  []wire.ServerNode
		want   string
	}{
		{"all up, #1 serves", wire.ServerInfo{Quorum: true},
			[]wire.ServerNode{node(1, true, true), node(2, true, false), node(3, true, false)},
			"quorum: yes (3 of 3 up, #1 serving)"},
		{"#1 down, #2 serves", wire.ServerInfo{Quorum: true},
			[]wire.ServerNode{node(1, false, false), node(2, true, true), node(3, true, false)},
			"quorum: yes (2 of 3 up, #2 serving)"},
		{"one node left", wire.ServerInfo{},
			[]wire.ServerNode{node(1, false, false), node(2, false, false), node(3, true, false)},
			"quorum: no (1 of 3 up, none serving)"},
		{"all up, raft cut between them", wire.ServerInfo{},
			[]wire.ServerNode{node(1, true, false), node(2, true, false), node(3, true, false)},
			"quorum: no (3 of 3 up, none serving)"},
		{"the serving node does not answer licstat, #3 hears from it", wire.ServerInfo{Quorum: true, Primary: "h:1"},
			[]wire.ServerNode{node(1, false, false), node(2, false, false), node(3, true, false)},
			"quorum: yes (1 of 3 up, #1 serving)"},
		{"an old primary that still says it serves, cut off", wire.ServerInfo{Quorum: true},
			[]wire.ServerNode{node(1, true, true), node(2, true, true), node(3, true, false)},
			"quorum: yes (3 of 3 up, #1, #2 serving)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := QuorumOf(&wire.Status{Server: tt.server, Servers: tt.nodes}).String()
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
