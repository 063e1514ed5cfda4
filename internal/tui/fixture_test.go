package tui

import (
	"fmt"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// testNow is the fixed clock of the tests: both the server's and the local one.
var testNow = time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)

// fixtureStatus is a single server with the demo license's features in use.
func fixtureStatus() *wire.Status {
	ago := func(d time.Duration) time.Time { return testNow.Add(-d) }
	co := func(i int, feature, user, host string, pid int, since, hb time.Duration) wire.CheckoutInfo {
		return wire.CheckoutInfo{
			ID: fmt.Sprintf("co-%03d", i), Feature: feature, Version: "2.0", Count: 1,
			User: user, Host: host, PID: pid, Session: fmt.Sprintf("%016x", i), // a handle, as status shows it
			Since: ago(since), LastHeartbeat: ago(hb), LeaseUntil: ago(hb).Add(6 * time.Minute),
		}
	}
	return &wire.Status{
		Server: wire.ServerInfo{
			Instance: "9f3c2a7e51d04b8a", Role: "single", Serving: true, Addr: "127.0.0.1:6200",
			Started: ago(26*time.Hour + 5*time.Minute), Version: "0.1.0", Now: testNow,
		},
		Features: []wire.FeatureStatus{
			{Name: "cad_pro", Version: "2.0", Count: 5, InUse: 2, Borrowed: 1, Grace: 1, Expires: "2027-12-31", GraceHours: 48, BorrowHours: 72},
			{Name: "cad_view", Version: "1.0", Count: 20, InUse: 2, Expires: "permanent"},
			{Name: "solver", Version: "3.1", Count: 2, InUse: 2, Expires: "2026-03-20"},
		},
		Checkouts: []wire.CheckoutInfo{
			co(1, "cad_pro", "ann", "ws1", 4242, 2*time.Hour+5*time.Minute, 40*time.Second),
			co(2, "cad_pro", "bob", "ws2", 5120, 50*time.Minute, 90*time.Second),
			co(3, "solver", "carol", "hpc-node-17.example.com", 88121, 3*time.Minute, 5*time.Minute+45*time.Second),
			co(4, "solver", "ann", "ws1", 4300, 12*time.Minute, 10*time.Second),
			co(5, "cad_view", "dave", "laptop-dave", 777, 26*time.Hour, 2*time.Minute),
			co(6, "cad_view", "erin", "ws3", 9001, 30*time.Second, 30*time.Second),
		},
		Borrows: []wire.BorrowInfo{
			{ID: "b-1", Feature: "cad_pro", User: "frank", Host: "laptop-frank", Since: ago(20 * time.Hour), Expires: testNow.Add(52 * time.Hour)},
		},
		Graces: []wire.GraceInfo{
			{TokenID: "g-1", Feature: "cad_pro", User: "gina", Host: "ws9", Activated: ago(6 * time.Hour), Expires: testNow.Add(42 * time.Hour)},
		},
		Servers: []wire.ServerNode{{ID: 1, Addr: "127.0.0.1:6200", Role: "single", Up: true, Serving: true}},
		Queue: []wire.QueueInfo{
			{Feature: "solver", Position: 1, Of: 2, Count: 1, User: "dave", Host: "laptop-dave", Session: "0000000000000005", Since: ago(4 * time.Minute)},
			{Feature: "solver", Position: 2, Of: 2, Count: 1, User: "erin", Host: "ws3", Session: "0000000000000006", Since: ago(time.Minute)},
		},
	}
}

// fixtureEvents are a few events of each kind, oldest first.
func fixtureEvents() []wire.Event {
	at := func(d time.Duration) time.Time { return testNow.Add(-d) }
	return []wire.Event{
		{Seq: 1, Time: at(26 * time.Hour), Kind: wire.EventStart, Detail: "instance 9f3c2a7e"},
		{Seq: 2, Time: at(26 * time.Hour), Kind: wire.EventGrant, Feature: "cad_view", User: "dave", Host: "laptop-dave", Count: 1},
		{Seq: 3, Time: at(20 * time.Hour), Kind: wire.EventBorrow, Feature: "cad_pro", User: "frank", Host: "laptop-frank", Detail: "72h"},
		{Seq: 4, Time: at(2 * time.Hour), Kind: wire.EventGrant, Feature: "cad_pro", User: "ann", Host: "ws1", Count: 1},
		{Seq: 5, Time: at(55 * time.Minute), Kind: wire.EventExpire, Feature: "cad_pro", User: "hal", Host: "ws4", Detail: "lease ran out"},
		{Seq: 6, Time: at(50 * time.Minute), Kind: wire.EventGrant, Feature: "cad_pro", User: "bob", Host: "ws2", Count: 1},
		{Seq: 7, Time: at(12 * time.Minute), Kind: wire.EventGrant, Feature: "solver", User: "ann", Host: "ws1", Count: 1},
		{Seq: 8, Time: at(3 * time.Minute), Kind: wire.EventGrant, Feature: "solver", User: "carol", Host: "hpc-node-17.example.com", Count: 1},
		{Seq: 9, Time: at(2 * time.Minute), Kind: wire.EventDeny, Feature: "solver", User: "ivan", Host: "ws5", Code: wire.CodeCountExhausted},
		{Seq: 10, Time: at(time.Minute), Kind: wire.EventRelease, Feature: "cad_view", User: "erin", Host: "ws3"},
		{Seq: 11, Time: at(30 * time.Second), Kind: wire.EventGrant, Feature: "cad_view", User: "erin", Host: "ws3", Count: 1},
	}
}
