package views

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/report"
	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
	"github.com/floatlic/floatlic/internal/wire"
)

// UsageSpan is the time the Usage view's charts cover.
const UsageSpan = time.Hour

// usageRow is one feature with the events its chart is drawn from.
type usageRow struct {
	f      wire.FeatureStatus
	at     time.Time // when the status was true
	events []wire.Event
}

// Usage charts each feature's licenses used (checked out plus borrowed)
// over the last hour, newest on the right: the status tells the number
// now, and undoing the events received (the server's replay at connect,
// then live ones) gives the hour before. Where the events received do not
// reach back, the chart is blank.
func Usage(c *common.Common) *List[usageRow] {
	return newList(c, spec[usageRow]{
		name:  "Usage",
		empty: "no features served",
		rows: func(d Data) []usageRow {
			if !statusOf(d) {
				return nil
			}
			rows := make([]usageRow, len(d.Status.Features))
			for i, f := range d.Status.Features {
				rows[i] = usageRow{f: f, at: d.Status.Server.Now, events: d.Events}
			}
			return rows
		},
		fields: func(r usageRow) Fields { return Fields{fieldFeature: r.f.Name} },
		key:    func(r usageRow) string { return r.f.Name },
		info:   usageInfo,
		cols: []column[usageRow]{
			featureCol(func(r usageRow) string { return r.f.Name }),
			{
				Column: table.Column{Title: "NOW", Width: 7, Right: true},
				cell: func(r usageRow, _ cellCtx) table.Cell {
					return toned(fmt.Sprintf("%d/%d", taken(r.f), r.f.Count), common.Usage(taken(r.f), r.f.Count))
				},
				compare: func(a, b usageRow) int { return compareUse(taken(a.f), a.f.Count, taken(b.f), b.f.Count) },
			},
			{
				Column: table.Column{Title: "PEAK", Width: 5, Right: true},
				cell: func(r usageRow, c cellCtx) table.Cell {
					p := slices.Max(r.series(c.now, 60))
					if p == report.Unknown {
						return text("")
					}
					return toned(fmt.Sprint(p), common.Usage(p, r.f.Count))
				},
			},
			{
				Column: table.Column{Title: "LAST HOUR", Width: 12, Flex: 8, Max: 120},
				cell: func(r usageRow, c cellCtx) table.Cell {
					s := r.series(c.now, max(c.width, 12))
					return toned(Sparkline(s, r.f.Count), common.Usage(slices.Max(s), r.f.Count))
				},
			},
		},
	})
}

func (r usageRow) series(now time.Time, n int) []int {
	return report.Series(r.f.Name, taken(r.f), r.at, r.events, now, UsageSpan, n)
}

// sparks are the levels of a chart cell: none used, then up to all.
var sparks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws levels out of count, a cell each: ▁ for none, █ for
// all, a blank where unknown.
func Sparkline(levels []int, count int) string {
	var b strings.Builder
	for _, v := range levels {
		switch {
		case v == report.Unknown:
			b.WriteByte(' ')
		case v <= 0 || count <= 0:
			b.WriteRune(sparks[0])
		default:
			i := (v*(len(sparks)-1) + count - 1) / count // round up so any use shows
			b.WriteRune(sparks[min(i, len(sparks)-1)])
		}
	}
	return b.String()
}

func usageInfo(all []usageRow, shown int, _ Data) (string, common.Tone) {
	return shownOf(fmt.Sprintf("%s · used in the last hour, newest right · blank: no events yet",
		plural(len(all), "feature")), len(all), shown), common.Normal
}
