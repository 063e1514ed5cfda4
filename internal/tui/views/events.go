package views

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
	"github.com/floatlic/floatlic/internal/wire"
)

// eventTones says how each kind of event looks.
var eventTones = map[string]common.Tone{
	wire.EventGrant:        common.Good,
	wire.EventDeny:         common.Bad,
	wire.EventRelease:      common.Dim,
	wire.EventExpire:       common.Warn,
	wire.EventRemove:       common.Warn,
	wire.EventBorrow:       common.Accent,
	wire.EventReturn:       common.Dim,
	wire.EventBorrowExpire: common.Warn,
	wire.EventGrace:        common.Warn,
	wire.EventReload:       common.Accent,
	wire.EventStart:        common.Accent,
}

// Events lists the latest events, newest first: grants, denials (with their
// code), releases, expiries, borrows, grace reports.
func Events(c *common.Common) *List[wire.Event] {
	return newList(c, spec[wire.Event]{
		name:    "Events",
		empty:   "no events yet",
		rows:    func(d Data) []wire.Event { return d.Events },
		fields:  func(e wire.Event) Fields { return Fields{e.Feature, e.User, e.Host} },
		key:     func(e wire.Event) string { return strconv.FormatInt(e.Seq, 10) },
		info:    eventsInfo,
		sortCol: 0,
		desc:    true,
		tail:    true,
		cols: []column[wire.Event]{
			{
				Column:  table.Column{Title: "TIME", Width: 8},
				cell:    func(e wire.Event, c cellCtx) table.Cell { return toned(common.Clock(e.Time, c.now, c.loc), common.Dim) },
				compare: func(a, b wire.Event) int { return cmp.Or(cmp.Compare(a.Seq, b.Seq), byTime(a.Time, b.Time)) },
			},
			{
				Column:  table.Column{Title: "EVENT", Width: 13},
				cell:    func(e wire.Event, _ cellCtx) table.Cell { return toned(e.Kind, eventTones[e.Kind]) },
				compare: func(a, b wire.Event) int { return byString(a.Kind, b.Kind) },
			},
			featureCol(func(e wire.Event) string { return e.Feature }),
			userCol(func(e wire.Event) string { return e.User }),
			hostCol(func(e wire.Event) string { return e.Host }),
			{
				Column:  table.Column{Title: "DETAIL", Width: 14, Flex: 3},
				cell:    func(e wire.Event, _ cellCtx) table.Cell { return toned(eventDetail(e), common.Dim) },
				compare: func(a, b wire.Event) int { return byString(eventDetail(a), eventDetail(b)) },
			},
		},
	})
}

func eventDetail(e wire.Event) string {
	var parts []string
	if e.Count > 1 {
		parts = append(parts, "×"+strconv.Itoa(e.Count))
	}
	if e.Code != "" {
		parts = append(parts, e.Code)
	}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	return strings.Join(parts, " ")
}

func eventsInfo(all []wire.Event, shown int, _ Data) (string, common.Tone) {
	n := map[string]int{}
	for _, e := range all {
		n[e.Kind]++
	}
	s := fmt.Sprintf("latest %s · %d granted · %d denied · %d expired · %d removed",
		plural(len(all), "event"), n[wire.EventGrant], n[wire.EventDeny], n[wire.EventExpire]+n[wire.EventBorrowExpire], n[wire.EventRemove])
	return shownOf(s, len(all), shown), common.Normal
}
