package views

import (
	"cmp"
	"fmt"
	"strconv"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
	"github.com/floatlic/floatlic/internal/wire"
)

// Queue lists the checkout requests waiting for a license, by feature and
// position (1 is next), with how long each has waited.
func Queue(c *common.Common) *List[wire.QueueInfo] {
	return newList(c, spec[wire.QueueInfo]{
		name:  "Queue",
		empty: "no requests waiting",
		rows: func(d Data) []wire.QueueInfo {
			if !statusOf(d) {
				return nil
			}
			return d.Status.Queue
		},
		fields: func(r wire.QueueInfo) Fields { return Fields{r.Feature, r.User, r.Host} },
		key:    func(r wire.QueueInfo) string { return r.Feature + "/" + strconv.Itoa(r.Position) + "/" + r.Session },
		info: func(all []wire.QueueInfo, shown int, _ Data) (string, common.Tone) {
			tone := common.Normal
			if len(all) > 0 {
				tone = common.Warn
			}
			return shownOf(plural(len(all), "request")+" waiting", len(all), shown), tone
		},
		cols: []column[wire.QueueInfo]{
			{
				Column: table.Column{Title: "FEATURE", Width: wFeature, Flex: 2, Max: 28},
				cell: func(r wire.QueueInfo, _ cellCtx) table.Cell {
					if r.Count > 1 {
						return text(fmt.Sprintf("%s ×%d", r.Feature, r.Count))
					}
					return text(r.Feature)
				},
				compare: func(a, b wire.QueueInfo) int {
					return cmp.Or(byString(a.Feature, b.Feature), cmp.Compare(a.Position, b.Position))
				},
			},
			{
				Column:  table.Column{Title: "POSITION", Width: 8, Right: true},
				cell:    func(r wire.QueueInfo, _ cellCtx) table.Cell { return text(fmt.Sprintf("%d/%d", r.Position, r.Of)) },
				compare: func(a, b wire.QueueInfo) int { return cmp.Compare(a.Position, b.Position) },
			},
			userCol(func(r wire.QueueInfo) string { return r.User }),
			hostCol(func(r wire.QueueInfo) string { return r.Host }),
			{
				Column:  table.Column{Title: "WAITING", Width: 7, Right: true},
				cell:    func(r wire.QueueInfo, c cellCtx) table.Cell { return text(common.Age(r.Since, c.now)) },
				compare: func(a, b wire.QueueInfo) int { return byTime(b.Since, a.Since) },
			},
		},
	})
}
