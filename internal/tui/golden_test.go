package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
)

// requireGolden compares the view, without ANSI sequences and trailing
// blanks, with testdata/<test name>.golden. Run with -update to rewrite it.
func requireGolden(t *testing.T, view string) {
	t.Helper()
	lines := strings.Split(ansi.Strip(view), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	golden.RequireEqual(t, []byte(strings.Join(lines, "\n")+"\n"))
}

func TestGoldenViews(t *testing.T) {
	sizes := [][2]int{{80, 24}, {160, 40}}
	names := []string{"features", "checkouts", "borrows", "grace", "servers", "events", "queue", "usage"}
	for _, sz := range sizes {
		for i, name := range names {
			t.Run(fmt.Sprintf("%dx%d/%s", sz[0], sz[1], name), func(t *testing.T) {
				m := newTestModel(t, sz[0], sz[1], Options{})
				feedFixture(m)
				press(m, fmt.Sprint(i+1))
				requireGolden(t, m.View())
			})
		}
	}
}

func TestGoldenStates(t *testing.T) {
	refused := fmt.Errorf("server 127.0.0.1:6200: %w", &syscallErr{errno: 111})
	down := feed.ConnMsg{State: feed.Down, Addr: "127.0.0.1:6200", Err: refused,
		Since: testNow.Add(-42 * time.Second), Attempt: 7, Retry: testNow.Add(4 * time.Second)}
	tests := []struct {
		name  string
		setup func(m *Model)
	}{
		{"connecting", func(m *Model) {}},
		{"never-reached", func(m *Model) { m.Update(down) }},
		{"down", func(m *Model) { feedFixture(m); press(m, "2"); m.Update(down) }},
		{"help", func(m *Model) { feedFixture(m); press(m, "?") }},
		{"filter-editing", func(m *Model) { feedFixture(m); press(m, "2", "/"); typeText(m, "user:ann") }},
		{"filter-kept", func(m *Model) { feedFixture(m); press(m, "2", "/"); typeText(m, "cad"); press(m, "enter", "S") }},
		{"confirm-remove", func(m *Model) { m.opts.Remove = (&fakeRemover{}).remove; feedFixture(m); press(m, "2", "G", "x") }},
		{"hal-no-quorum", func(m *Model) {
			st := fixtureStatus()
			st.Server.Role, st.Server.Serving, st.Server.HALID = "secondary", false, 2
			st.Servers = []wire.ServerNode{
				{ID: 1, Addr: "lic1.example.com:6200", Role: "primary", Up: false},
				{ID: 2, Addr: "lic2.example.com:6200", Role: "secondary", Up: true, Term: 7, Applied: 1204},
				{ID: 3, Addr: "lic3.example.com:6200", Role: "quorum", Up: false},
			}
			m.Update(feed.StatusMsg{Status: st, Addr: "lic2.example.com:6200"})
			press(m, "5")
		}},
		{"hal-failover", func(m *Model) {
			st := fixtureStatus()
			st.Server.Role, st.Server.HALID, st.Server.Quorum = "secondary", 2, true
			st.Servers = []wire.ServerNode{
				{ID: 1, Addr: "lic1.example.com:6200", Role: "primary", Up: false},
				{ID: 2, Addr: "lic2.example.com:6200", Role: "secondary", Up: true, Serving: true, Term: 8, Applied: 1310},
				{ID: 3, Addr: "lic3.example.com:6200", Role: "quorum", Up: true, Term: 8, Applied: 1309},
			}
			m.Update(feed.StatusMsg{Status: st, Addr: "lic2.example.com:6200"})
			press(m, "5")
		}},
		// The events received reach back 12 minutes only (the server's
		// replay at connect): the Usage charts are blank before.
		{"usage-partial", func(m *Model) {
			m.Update(feed.ConnMsg{State: feed.Live, Addr: "127.0.0.1:6200"})
			m.Update(feed.StatusMsg{Status: fixtureStatus(), Addr: "127.0.0.1:6200", At: testNow})
			m.Update(feed.EventsMsg{Instance: fixtureStatus().Server.Instance, Events: fixtureEvents()[6:]})
			press(m, "8")
		}},
		{"many-checkouts", func(m *Model) { m.Update(bigStatus(10000)); press(m, "2", "s", "pgdown", "j") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, 80, 24, Options{})
			tt.setup(m)
			requireGolden(t, m.View())
		})
	}
}
