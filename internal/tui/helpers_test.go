package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
)

// newTestModel returns a model on the fixed clock, in UTC, at width×height,
// with no colours and no ticks, fed the fixture status and events.
func newTestModel(t testing.TB, width, height int, opts Options) *Model {
	t.Helper()
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	opts.Server = "127.0.0.1:6200"
	opts.Now = func() time.Time { return testNow }
	opts.Loc = time.UTC
	opts.Tick = -1
	opts.Renderer = r
	m := New(opts)
	m.Update(tea.WindowSizeMsg{Width: width, Height: height})
	return m
}

// feedFixture sends the fixture's status and events, as the feed would.
func feedFixture(m *Model) {
	m.Update(feed.ConnMsg{State: feed.Live, Addr: "127.0.0.1:6200"})
	m.Update(feed.StatusMsg{Status: fixtureStatus(), Addr: "127.0.0.1:6200", At: testNow})
	m.Update(feed.EventsMsg{Instance: fixtureStatus().Server.Instance, Events: fixtureEvents()})
}

// keyMsg turns a key name as tea prints it ("tab", "esc", "ctrl+c", "x")
// into a KeyMsg.
func keyMsg(k string) tea.KeyMsg {
	named := map[string]tea.KeyType{
		"tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab, "esc": tea.KeyEsc, "enter": tea.KeyEnter,
		"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"home": tea.KeyHome, "end": tea.KeyEnd, "backspace": tea.KeyBackspace, "ctrl+c": tea.KeyCtrlC,
		"ctrl+u": tea.KeyCtrlU, "space": tea.KeySpace,
	}
	if t, ok := named[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press sends each key in turn and returns the last command.
func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(keyMsg(k))
	}
	return cmd
}

// typeText types s into the model rune by rune.
func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// screen is the model's view without ANSI sequences.
func screen(m *Model) string { return ansi.Strip(m.View()) }

// line returns line i of the screen (0-based).
func line(m *Model, i int) string {
	lines := strings.Split(screen(m), "\n")
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// tableRows returns the screen lines of the table's rows (below its header).
func tableRows(m *Model) []string {
	lines := strings.Split(screen(m), "\n")
	var rows []string
	for _, l := range lines[4 : len(lines)-2] {
		if strings.TrimSpace(l) != "" {
			rows = append(rows, l)
		}
	}
	return rows
}

// fakeSource stands in for the feed: it counts refreshes and hands out
// messages queued with push.
type fakeSource struct {
	mu        sync.Mutex
	refreshes int
	ch        chan tea.Msg
}

func newFakeSource() *fakeSource { return &fakeSource{ch: make(chan tea.Msg, 16)} }

func (s *fakeSource) Next() tea.Cmd {
	return func() tea.Msg { return <-s.ch }
}

func (s *fakeSource) Refresh() {
	s.mu.Lock()
	s.refreshes++
	s.mu.Unlock()
}

func (s *fakeSource) refreshed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// fakeRemover records the requests it gets and answers with n, err.
type fakeRemover struct {
	reqs []wire.RemoveRequest
	n    int
	err  error
}

func (r *fakeRemover) remove(_ context.Context, req wire.RemoveRequest) (int, error) {
	r.reqs = append(r.reqs, req)
	return r.n, r.err
}
