package views

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
	"github.com/floatlic/floatlic/internal/wire"
)

// leaseWarn is how little lease left turns the LEASE cell yellow: less than
// that, and a heartbeat is overdue.
const leaseWarn = 30 * time.Second

// Checkouts lists live checkouts: feature, user, host, pid, since, last
// heartbeat and lease left.
func Checkouts(c *common.Common) *List[wire.CheckoutInfo] {
	return newList(c, spec[wire.CheckoutInfo]{
		name:  "Checkouts",
		empty: "no licenses checked out",
		rows: func(d Data) []wire.CheckoutInfo {
			if !statusOf(d) {
				return nil
			}
			return d.Status.Checkouts
		},
		fields: func(r wire.CheckoutInfo) Fields { return Fields{r.Feature, r.User, r.Host} },
		key:    func(r wire.CheckoutInfo) string { return r.ID },
		info:   checkoutsInfo,
		cols: []column[wire.CheckoutInfo]{
			{
				Column: table.Column{Title: "FEATURE", Width: wFeature, Flex: 2, Max: 28},
				cell: func(r wire.CheckoutInfo, _ cellCtx) table.Cell {
					if r.Count > 1 {
						return text(fmt.Sprintf("%s ×%d", r.Feature, r.Count))
					}
					return text(r.Feature)
				},
				compare: func(a, b wire.CheckoutInfo) int {
					return cmp.Or(byString(a.Feature, b.Feature), byString(a.User, b.User), byTime(a.Since, b.Since))
				},
			},
			userCol(func(r wire.CheckoutInfo) string { return r.User }),
			hostCol(func(r wire.CheckoutInfo) string { return r.Host }),
			{
				Column:  table.Column{Title: "PID", Width: 7, Right: true},
				cell:    func(r wire.CheckoutInfo, _ cellCtx) table.Cell { return text(strconv.Itoa(r.PID)) },
				compare: func(a, b wire.CheckoutInfo) int { return cmp.Compare(a.PID, b.PID) },
			},
			{
				Column:  table.Column{Title: "SINCE", Width: 7, Right: true},
				cell:    func(r wire.CheckoutInfo, c cellCtx) table.Cell { return text(common.Age(r.Since, c.now)) },
				compare: func(a, b wire.CheckoutInfo) int { return byTime(b.Since, a.Since) }, // shortest first
			},
			{
				Column: table.Column{Title: "HEARTBEAT", Width: 10, Right: true},
				cell: func(r wire.CheckoutInfo, c cellCtx) table.Cell {
					return toned(common.Ago(r.LastHeartbeat, c.now), common.Dim)
				},
				compare: func(a, b wire.CheckoutInfo) int { return byTime(b.LastHeartbeat, a.LastHeartbeat) },
			},
			leftCol("LEASE", func(r wire.CheckoutInfo) time.Time { return r.LeaseUntil }, leaseWarn),
		},
	})
}

func checkoutsInfo(all []wire.CheckoutInfo, shown int, _ Data) (string, common.Tone) {
	users, hosts := map[string]bool{}, map[string]bool{}
	for _, r := range all {
		users[r.User], hosts[r.Host] = true, true
	}
	s := fmt.Sprintf("%s by %s on %s", plural(len(all), "checkout"), plural(len(users), "user"), plural(len(hosts), "host"))
	return shownOf(s, len(all), shown), common.Normal
}
