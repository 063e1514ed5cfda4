package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
)

// TestProgram runs the model in a real Bubble Tea program: the feed's
// messages arrive through the Source, keys through the program's input.
func TestProgram(t *testing.T) {
	src := newFakeSource()
	r := &fakeRemover{n: 1}
	m := newTestModel(t, 80, 24, Options{Source: src, Remove: r.remove})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitFor := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			return bytes.Contains([]byte(ansi.Strip(string(b))), []byte(what))
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}

	waitFor("connecting to 127.0.0.1:6200")
	src.ch <- feed.ConnMsg{State: feed.Live, Addr: "127.0.0.1:6200"}
	src.ch <- feed.StatusMsg{Status: fixtureStatus(), Addr: "127.0.0.1:6200", At: testNow}
	waitFor("7 of 27 licenses used")

	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	waitFor("6 checkouts by 5 users")

	st := fixtureStatus()
	st.Checkouts = append(st.Checkouts, wire.CheckoutInfo{ID: "co-007", Feature: "cad_pro", User: "zoe", Host: "ws7", PID: 31337,
		Since: testNow, LastHeartbeat: testNow, LeaseUntil: testNow.Add(6 * time.Minute)})
	src.ch <- feed.EventsMsg{Instance: st.Server.Instance, Events: []wire.Event{{Seq: 12, Time: testNow, Kind: wire.EventGrant, Feature: "cad_pro", User: "zoe"}}}
	src.ch <- feed.StatusMsg{Status: st, Addr: "127.0.0.1:6200", At: testNow}
	waitFor("31337")

	tm.Type("/zoe")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor("7 checkouts by 6 users on 6 hosts · 1 shown")
	tm.Type("x")
	waitFor("Remove checkout cad_pro of zoe@ws7 (pid 31337)? y/n")
	tm.Type("y")
	waitFor("removed cad_pro of zoe@ws7")

	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if len(r.reqs) != 1 || r.reqs[0].CheckoutID != "co-007" {
		t.Errorf("remove requests = %+v, want co-007", r.reqs)
	}
	if got := fm.filter.value(); got != "zoe" {
		t.Errorf("final filter = %q", got)
	}
	if !strings.Contains(ansi.Strip(fm.View()), "zoe") {
		t.Errorf("final view:\n%s", ansi.Strip(fm.View()))
	}
}
