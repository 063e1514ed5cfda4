package tui

import (
	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
)

// maxEvents is how many events the Events view keeps.
const maxEvents = 1000

// eventLog holds the latest events of one server instance, without the
// repeats a reconnect replays.
type eventLog struct {
	instance string
	lastSeq  int64
	events   []wire.Event // oldest first
}

// add appends the new events of msg. A new server instance starts a new log:
// the server replays its latest events on connect.
func (l *eventLog) add(msg feed.EventsMsg) {
	if msg.Instance != l.instance {
		*l = eventLog{instance: msg.Instance}
	}
	for _, ev := range msg.Events {
		if ev.Seq != 0 && ev.Seq <= l.lastSeq {
			continue
		}
		l.lastSeq = max(l.lastSeq, ev.Seq)
		l.events = append(l.events, ev)
	}
	if n := len(l.events) - maxEvents; n > 0 {
		l.events = append(l.events[:0:0], l.events[n:]...)
	}
}
