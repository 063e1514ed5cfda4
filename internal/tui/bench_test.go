package tui

import (
	"fmt"
	"testing"

	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
)

// BenchmarkView10k draws the Checkouts view with 10,000 checkouts: the
// table asks only for the rows on screen.
func BenchmarkView10k(b *testing.B) {
	for _, sz := range [][2]int{{80, 24}, {200, 60}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			m := newTestModel(b, sz[0], sz[1], Options{})
			m.Update(bigStatus(10000))
			press(m, "2", "pgdown")
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkStatus10k handles a new status with 10,000 checkouts: every view
// filters and sorts its rows again.
func BenchmarkStatus10k(b *testing.B) {
	m := newTestModel(b, 80, 24, Options{})
	msg := bigStatus(10000)
	press(m, "2", "s")
	b.ReportAllocs()
	for b.Loop() {
		m.Update(msg)
	}
}

// BenchmarkEvent handles one event and draws the screen, with 10,000
// checkouts on the Checkouts view: events do not touch the other views.
func BenchmarkEvent(b *testing.B) {
	m := newTestModel(b, 80, 24, Options{})
	m.Update(bigStatus(10000))
	press(m, "2")
	seq := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		m.Update(feed.EventsMsg{Instance: "i", Events: []wire.Event{{Seq: seq, Kind: wire.EventGrant, Feature: "cad_pro", User: "ann"}}})
		_ = m.View()
	}
}
