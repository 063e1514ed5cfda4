package tui

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
)

func TestSwitchViews(t *testing.T) {
	tests := []struct {
		keys []string
		want string // the active tab, as drawn
	}{
		{nil, "[1 Features]"},
		{[]string{"tab"}, "[2 Checkouts]"},
		{[]string{"tab", "tab", "tab"}, "[4 Grace]"},
		{[]string{"shift+tab"}, "[8 Usage]"},
		{[]string{"6", "tab"}, "[7 Queue]"},
		{[]string{"7", "tab"}, "[8 Usage]"},
		{[]string{"8", "tab"}, "[1 Features]"},
		{[]string{"5"}, "[5 Servers]"},
		{[]string{"3", "shift+tab"}, "[2 Checkouts]"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			m := newTestModel(t, 80, 24, Options{})
			feedFixture(m)
			press(m, tt.keys...)
			if got := line(m, 1); !strings.Contains(got, tt.want) {
				t.Errorf("tabs = %q, want %s active", got, tt.want)
			}
		})
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			m := newTestModel(t, 80, 24, Options{})
			cmd := press(m, k)
			if cmd == nil {
				t.Fatal("no command")
			}
			if _, ok := cmd().(tea.QuitMsg); !ok {
				t.Errorf("%s does not quit", k)
			}
		})
	}
	t.Run("ctrl+c while filtering", func(t *testing.T) {
		m := newTestModel(t, 80, 24, Options{})
		if cmd := press(m, "/", "ctrl+c"); cmd == nil {
			t.Error("ctrl+c in the filter does not quit")
		}
	})
	t.Run("q while filtering is text", func(t *testing.T) {
		m := newTestModel(t, 80, 24, Options{})
		if cmd := press(m, "/", "q"); cmd != nil {
			t.Error("q in the filter quits")
		}
	})
}

func TestSortCheckouts(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	feedFixture(m)
	press(m, "2")
	firstUsers := func() string {
		var users []string
		for _, r := range tableRows(m) {
			users = append(users, strings.Fields(strings.TrimPrefix(r, "▸"))[1])
		}
		return strings.Join(users, " ")
	}
	steps := []struct {
		key, sort, users string
	}{
		{"", "FEATURE▲", "ann bob dave erin ann carol"},
		{"s", "USER▲", "ann ann bob carol dave erin"},
		{"S", "USER▼", "erin dave carol bob ann ann"},
		{"s", "HOST▲", "carol dave ann ann bob erin"},
		{"s", "PID▲", "dave ann ann bob erin carol"},
		{"s", "SINCE▲", "erin carol ann bob ann dave"},
		{"s", "HEARTBEAT▲", "ann erin ann bob dave carol"},
		{"s", "LEASE▲", "carol dave bob ann erin ann"},
		{"s", "FEATURE▲", "ann bob dave erin ann carol"},
	}
	for _, st := range steps {
		if st.key != "" {
			press(m, st.key)
		}
		if got := firstUsers(); got != st.users {
			t.Errorf("after %q: users = %s, want %s", st.key, got, st.users)
		}
		if footer := line(m, 22); !strings.Contains(footer, "sort "+st.sort) {
			t.Errorf("after %q: footer = %q, want sort %s", st.key, footer, st.sort)
		}
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		filter string
		view   string
		want   int // rows shown
	}{
		{"ann", "2", 2},
		{"ANN", "2", 2},
		{"ws", "2", 4},
		{"user:ann solver", "2", 1},
		{"host:hpc", "2", 1},
		{"cad", "2", 4},
		{"feature:solver", "1", 1},
		{"user:ann", "1", 3}, // features have no user: the word does not hide them
		{"nobody", "2", 0},
		{"solver", "6", 3},
		{"nobody", "5", 1}, // the filter does not apply to servers
	}
	for _, tt := range tests {
		t.Run(tt.filter+"/"+tt.view, func(t *testing.T) {
			m := newTestModel(t, 80, 24, Options{})
			feedFixture(m)
			press(m, tt.view, "/")
			typeText(m, tt.filter)
			if _, rows := m.views[m.active].Position(); rows != tt.want {
				t.Errorf("while typing: %d rows, want %d", rows, tt.want)
			}
			press(m, "enter")
			if _, rows := m.views[m.active].Position(); rows != tt.want {
				t.Errorf("after enter: %d rows, want %d", rows, tt.want)
			}
			if !strings.Contains(line(m, 22), "/"+tt.filter) {
				t.Errorf("footer %q does not show the filter", line(m, 22))
			}
		})
	}
}

func TestFilterEditing(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	feedFixture(m)
	press(m, "2", "/")
	typeText(m, "carol")
	press(m, "backspace", "backspace", "backspace")
	if got := m.filter.value(); got != "ca" {
		t.Fatalf("filter = %q after backspaces, want ca", got)
	}
	if _, rows := m.views[m.active].Position(); rows != 5 { // carol, and the cad_pro and cad_view rows
		t.Errorf("%d rows for ca, want 5", rows)
	}
	press(m, "esc")
	if m.filter.editing || m.filter.value() != "" {
		t.Errorf("esc left editing=%v filter=%q", m.filter.editing, m.filter.value())
	}
	if _, rows := m.views[m.active].Position(); rows != 6 {
		t.Errorf("%d rows after esc, want all 6", rows)
	}
	press(m, "/")
	typeText(m, "ann")
	press(m, "enter", "esc") // esc outside the filter line clears it too
	if _, rows := m.views[m.active].Position(); rows != 6 {
		t.Errorf("%d rows after enter, esc; want all 6", rows)
	}
}

func TestReconnectState(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	if got := line(m, 0); !strings.Contains(got, "○ connecting") {
		t.Errorf("header before any status = %q", got)
	}
	if got := line(m, 2); !strings.Contains(got, "connecting to 127.0.0.1:6200") {
		t.Errorf("info before any status = %q", got)
	}
	feedFixture(m)
	if got := line(m, 0); !strings.HasSuffix(got, "● live") {
		t.Errorf("header when live = %q", got)
	}

	refused := fmt.Errorf("server 127.0.0.1:6200: %w", &syscallErr{syscall.ECONNREFUSED})
	m.Update(feed.ConnMsg{State: feed.Down, Addr: "127.0.0.1:6200", Err: refused,
		Since: testNow.Add(-12 * time.Second), Attempt: 3, Retry: testNow.Add(1500 * time.Millisecond)})
	if got := line(m, 0); !strings.HasSuffix(got, "✕ down 12s") {
		t.Errorf("header when down = %q", got)
	}
	want := "unreachable: connection refused · retry 3 in 2s · data as of 09:30:00"
	if got := line(m, 2); strings.TrimSpace(got) != want {
		t.Errorf("info when down = %q, want %q", got, want)
	}
	if rows := tableRows(m); len(rows) != 6 && m.active == viewCheckouts {
		t.Errorf("the last data is gone while down: %q", rows)
	}

	st := fixtureStatus()
	st.Checkouts = st.Checkouts[:2]
	m.Update(feed.StatusMsg{Status: st, Addr: "127.0.0.1:6200", At: testNow})
	if got := line(m, 0); !strings.HasSuffix(got, "● live") {
		t.Errorf("header after reconnect = %q", got)
	}
	press(m, "2")
	if got := len(tableRows(m)); got != 2 {
		t.Errorf("%d checkouts after reconnect, want 2", got)
	}
}

type syscallErr struct{ errno syscall.Errno }

func (e *syscallErr) Error() string { return "connect: " + e.errno.Error() }
func (e *syscallErr) Unwrap() error { return e.errno }

func TestRemoveCheckout(t *testing.T) {
	t.Run("without token", func(t *testing.T) {
		m := newTestModel(t, 80, 24, Options{})
		feedFixture(m)
		press(m, "2", "x")
		if m.confirm.open {
			t.Fatal("x asked to remove without an admin token")
		}
		if got := line(m, 22); !strings.Contains(got, "--admin-token-file") {
			t.Errorf("footer = %q, want a hint about the admin token", got)
		}
	})
	t.Run("outside the checkouts view", func(t *testing.T) {
		r := &fakeRemover{n: 1}
		m := newTestModel(t, 80, 24, Options{Remove: r.remove})
		feedFixture(m)
		press(m, "1", "x")
		if m.confirm.open {
			t.Fatal("x asked to remove from the Features view")
		}
	})
	t.Run("yes", func(t *testing.T) {
		r := &fakeRemover{n: 1}
		src := newFakeSource()
		m := newTestModel(t, 80, 24, Options{Remove: r.remove, Source: src})
		feedFixture(m)
		press(m, "2", "j", "x")
		if got := line(m, 22); !strings.Contains(got, "Remove checkout cad_pro of bob@ws2 (pid 5120)? y/n") {
			t.Fatalf("footer = %q, want the question", got)
		}
		press(m, "j") // other keys leave the question open and the cursor where it is
		cmd := press(m, "y")
		if cmd == nil {
			t.Fatal("y gave no command")
		}
		m.Update(cmd())
		if len(r.reqs) != 1 || r.reqs[0].CheckoutID != "co-002" {
			t.Errorf("remove requests = %+v, want checkout co-002", r.reqs)
		}
		if got := line(m, 22); !strings.Contains(got, "removed cad_pro of bob@ws2") {
			t.Errorf("footer = %q", got)
		}
		if src.refreshed() != 1 {
			t.Errorf("no refresh after the removal")
		}
	})
	t.Run("no", func(t *testing.T) {
		r := &fakeRemover{n: 1}
		m := newTestModel(t, 80, 24, Options{Remove: r.remove})
		feedFixture(m)
		if cmd := press(m, "2", "x", "n"); cmd != nil || len(r.reqs) != 0 {
			t.Errorf("n removed: %+v", r.reqs)
		}
		if m.confirm.open {
			t.Error("question still open after n")
		}
	})
	t.Run("refused", func(t *testing.T) {
		r := &fakeRemover{err: wire.Errorf(wire.CodeUnauthorized, "bad admin token")}
		m := newTestModel(t, 80, 24, Options{Remove: r.remove})
		feedFixture(m)
		cmd := press(m, "2", "x", "y")
		m.Update(cmd())
		if got := line(m, 22); !strings.Contains(got, "could not remove cad_pro of ann@ws1 (pid 4242): unauthorized: bad admin token") {
			t.Errorf("footer = %q", got)
		}
	})
}

func TestCursorFollowsRow(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	feedFixture(m)
	press(m, "2", "j", "j", "j") // erin's cad_view
	co, _ := m.checkouts.Selected()
	if co.User != "erin" {
		t.Fatalf("selected %s, want erin", co.User)
	}
	st := fixtureStatus()
	st.Checkouts = append(st.Checkouts[1:], wire.CheckoutInfo{ID: "co-000", Feature: "ansys", User: "zed"})
	m.Update(feed.StatusMsg{Status: st, At: testNow})
	if co, _ := m.checkouts.Selected(); co.ID != "co-006" {
		t.Errorf("after an update the cursor is on %s (%s), want co-006 (erin)", co.ID, co.User)
	}
}

func TestEventsDeduplicated(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	feedFixture(m)
	inst := fixtureStatus().Server.Instance
	// A reconnect replays the latest events, with one new.
	replay := append(fixtureEvents()[5:], wire.Event{Seq: 12, Time: testNow, Kind: wire.EventDeny, Feature: "solver", User: "ann", Code: wire.CodeCountExhausted})
	m.Update(feed.EventsMsg{Instance: inst, Events: replay})
	if got := len(m.events.events); got != 12 {
		t.Errorf("%d events after the replay, want 12", got)
	}
	// A new server instance starts afresh.
	m.Update(feed.EventsMsg{Instance: "other", Events: []wire.Event{{Seq: 1, Kind: wire.EventStart}}})
	if got := len(m.events.events); got != 1 {
		t.Errorf("%d events after a restart, want 1", got)
	}
}

func TestEventsCapped(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	evs := make([]wire.Event, maxEvents+500)
	for i := range evs {
		evs[i] = wire.Event{Seq: int64(i + 1), Kind: wire.EventGrant}
	}
	m.Update(feed.EventsMsg{Instance: "i", Events: evs})
	if n := len(m.events.events); n != maxEvents || m.events.events[0].Seq != 501 {
		t.Errorf("kept %d events from seq %d, want %d from 501", n, m.events.events[0].Seq, maxEvents)
	}
}

func TestHelpToggle(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	feedFixture(m)
	press(m, "?")
	if !strings.Contains(screen(m), "sort by next column") || !strings.Contains(screen(m), "any key closes this help") {
		t.Fatalf("? shows no help:\n%s", screen(m))
	}
	press(m, "j")
	if m.showHelp {
		t.Error("a key did not close the help")
	}
	if cmd := press(m, "?", "q"); cmd == nil {
		t.Error("q in the help does not quit")
	}
}

func TestViewFitsScreen(t *testing.T) {
	sizes := [][2]int{{80, 24}, {60, 15}, {120, 40}, {200, 60}, {40, 10}}
	for _, sz := range sizes {
		for v := range 6 {
			t.Run(fmt.Sprintf("%dx%d/%d", sz[0], sz[1], v+1), func(t *testing.T) {
				m := newTestModel(t, sz[0], sz[1], Options{})
				feedFixture(m)
				m.Update(bigStatus(300))
				press(m, fmt.Sprint(v+1), "end")
				checkFits(t, m.View(), sz[0], sz[1])
				press(m, "?")
				checkFits(t, m.View(), sz[0], sz[1])
			})
		}
	}
}

func checkFits(t *testing.T, view string, width, height int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != height {
		t.Errorf("%d lines, want %d", len(lines), height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line %d is %d wide, more than %d: %q", i, w, width, ansi.Strip(l))
		}
	}
}

// bigStatus is the fixture with n checkouts.
func bigStatus(n int) feed.StatusMsg {
	st := fixtureStatus()
	users := []string{"ann", "bob", "carol", "dave", "erin", "frank", "gina", "hal"}
	features := []string{"cad_pro", "cad_view", "solver"}
	st.Checkouts = make([]wire.CheckoutInfo, n)
	for i := range st.Checkouts {
		st.Checkouts[i] = wire.CheckoutInfo{
			ID: fmt.Sprintf("co-%06d", i), Feature: features[i%3], User: users[i%len(users)],
			Host: fmt.Sprintf("ws%04d.example.com", i%997), PID: 1000 + i, Count: 1,
			Since: testNow.Add(-time.Duration(i) * time.Second), LastHeartbeat: testNow.Add(-time.Duration(i%120) * time.Second),
			LeaseUntil: testNow.Add(time.Duration(360-i%120) * time.Second),
		}
	}
	return feed.StatusMsg{Status: st, Addr: "127.0.0.1:6200", At: testNow}
}

func TestScrollManyRows(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	m.Update(bigStatus(10000))
	press(m, "2", "s") // sort by user
	press(m, "end")
	if row, rows := m.views[viewCheckouts].Position(); row != 10000 || rows != 10000 {
		t.Fatalf("position %d/%d after end, want 10000/10000", row, rows)
	}
	if !strings.Contains(line(m, 22), "10000/10000") {
		t.Errorf("footer = %q", line(m, 22))
	}
	rows := tableRows(m)
	if len(rows) != 18 || !strings.HasPrefix(rows[17], "▸") {
		t.Errorf("the cursor is not on the last of 18 rows on screen: %q", rows)
	}
	press(m, "pgup", "up")
	if row, _ := m.views[viewCheckouts].Position(); row != 10000-18-1 {
		t.Errorf("row %d after pgup, up; want %d", row, 10000-19)
	}
	press(m, "home")
	if row, _ := m.views[viewCheckouts].Position(); row != 1 {
		t.Errorf("row %d after home, want 1", row)
	}
}

func TestFeedMessagesWaitForMore(t *testing.T) {
	src := newFakeSource()
	m := newTestModel(t, 80, 24, Options{Source: src})
	for _, msg := range []tea.Msg{
		feed.ConnMsg{State: feed.Live},
		feed.StatusMsg{Status: fixtureStatus()},
		feed.EventsMsg{Events: fixtureEvents()},
	} {
		if _, cmd := m.Update(msg); cmd == nil {
			t.Errorf("%T: the model stops listening to the feed", msg)
		}
	}
	press(m, "r")
	if src.refreshed() != 1 {
		t.Error("r did not refresh")
	}
}

func TestServerClock(t *testing.T) {
	// The server's clock is 10 minutes behind the local one: times are
	// measured on the server's clock, moved on by the local time since.
	local := testNow.Add(10 * time.Minute)
	m := newTestModel(t, 80, 24, Options{})
	m.opts.Now = func() time.Time { return local }
	m.Update(feed.StatusMsg{Status: fixtureStatus()})
	local = local.Add(5 * time.Second)
	m.Update(TickMsg(local))
	press(m, "2")
	if got := tableRows(m)[0]; !strings.Contains(got, "45s ago") || !strings.Contains(got, "5m15s") {
		t.Errorf("first row = %q, want heartbeat 45s ago, lease 5m15s", got)
	}
}

func TestShortHelpKeepsQuit(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{Remove: (&fakeRemover{}).remove})
	feedFixture(m)
	press(m, "2")
	if got := line(m, 23); !strings.Contains(got, "x remove") || !strings.HasSuffix(got, "q quit") {
		t.Errorf("help line = %q, want x remove and q quit", got)
	}
	press(m, "1")
	if got := line(m, 23); strings.Contains(got, "x remove") {
		t.Errorf("help line = %q offers x outside the Checkouts view", got)
	}
}

func TestEventsFollowNewest(t *testing.T) {
	m := newTestModel(t, 80, 24, Options{})
	feedFixture(m)
	press(m, "6")
	next := wire.Event{Seq: 12, Time: testNow, Kind: wire.EventDeny, Feature: "solver", User: "zoe", Code: wire.CodeCountExhausted}
	m.Update(feed.EventsMsg{Instance: fixtureStatus().Server.Instance, Events: []wire.Event{next}})
	if rows := tableRows(m); !strings.HasPrefix(rows[0], "▸") || !strings.Contains(rows[0], "zoe") {
		t.Errorf("first row %q: the cursor does not follow the newest event", rows[0])
	}
	// Away from the top, the cursor stays on its event.
	press(m, "j", "j")
	next.Seq, next.User = 13, "yan"
	m.Update(feed.EventsMsg{Instance: fixtureStatus().Server.Instance, Events: []wire.Event{next}})
	if row, _ := m.views[viewEvents].Position(); row != 4 {
		t.Errorf("cursor on row %d, want 4 (the same event, one row down)", row)
	}
}

func TestKeysInOneRead(t *testing.T) {
	// Keys typed quickly arrive as one KeyMsg with several runes.
	r := &fakeRemover{n: 1}
	m := newTestModel(t, 80, 24, Options{Remove: r.remove})
	feedFixture(m)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2jx")})
	if !m.confirm.open || m.confirm.req.CheckoutID != "co-002" {
		t.Fatalf("2jx: confirm open %v for %q, want co-002", m.confirm.open, m.confirm.req.CheckoutID)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n/ann")})
	if got := m.filter.value(); got != "ann" || !m.filter.editing {
		t.Errorf("n/ann: filter %q editing %v, want ann being edited", got, m.filter.editing)
	}
}
