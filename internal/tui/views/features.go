package views

import (
	"fmt"
	"strings"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
	"github.com/floatlic/floatlic/internal/wire"
)

// Features lists the served features: version, licenses taken out of COUNT
// as a bar (checked out plus borrowed: both come out of the pool), borrowed,
// grace in use (on top of COUNT) and expiry.
func Features(c *common.Common) *List[wire.FeatureStatus] {
	return newList(c, spec[wire.FeatureStatus]{
		name:  "Features",
		empty: "no features served",
		rows: func(d Data) []wire.FeatureStatus {
			if !statusOf(d) {
				return nil
			}
			return d.Status.Features
		},
		fields: func(f wire.FeatureStatus) Fields { return Fields{fieldFeature: f.Name} },
		key:    func(f wire.FeatureStatus) string { return f.Name },
		info:   featuresInfo,
		cols: []column[wire.FeatureStatus]{
			featureCol(func(f wire.FeatureStatus) string { return f.Name }),
			{
				Column:  table.Column{Title: "VERSION", Width: 7},
				cell:    func(f wire.FeatureStatus, _ cellCtx) table.Cell { return text(f.Version) },
				compare: func(a, b wire.FeatureStatus) int { return byString(a.Version, b.Version) },
			},
			{
				Column: table.Column{Title: "USED", Width: 12, Flex: 3, Max: 48},
				cell: func(f wire.FeatureStatus, c cellCtx) table.Cell {
					return toned(common.Bar(taken(f), f.Count, c.width), common.Usage(taken(f), f.Count))
				},
				compare: func(a, b wire.FeatureStatus) int { return compareUse(taken(a), a.Count, taken(b), b.Count) },
			},
			{
				Column:  table.Column{Title: "BORROWED", Width: 8, Right: true},
				cell:    func(f wire.FeatureStatus, _ cellCtx) table.Cell { return number(f.Borrowed) },
				compare: func(a, b wire.FeatureStatus) int { return a.Borrowed - b.Borrowed },
			},
			{
				Column:  table.Column{Title: "GRACE", Width: 6, Right: true},
				cell:    func(f wire.FeatureStatus, _ cellCtx) table.Cell { return number(f.Grace) },
				compare: func(a, b wire.FeatureStatus) int { return a.Grace - b.Grace },
			},
			{
				Column: table.Column{Title: "EXPIRES", Width: 10, Flex: 1, Max: 18},
				cell: func(f wire.FeatureStatus, c cellCtx) table.Cell {
					s := f.Expires + common.ExpiresIn(f.Expires, c.now)
					if c.width > 0 && len(s) > c.width { // narrow: the days left say more than the date
						s = strings.TrimSpace(common.ExpiresIn(f.Expires, c.now))
					}
					return toned(s, common.Expiry(f.Expires, c.now))
				},
				compare: func(a, b wire.FeatureStatus) int { return byString(a.Expires, b.Expires) },
			},
		},
	})
}

// taken is how many licenses of f's pool are gone: checked out or borrowed.
func taken(f wire.FeatureStatus) int { return f.InUse + f.Borrowed }

// compareUse orders by the share of licenses in use, then by the number.
func compareUse(usedA, countA, usedB, countB int) int {
	if c := usedA*max(countB, 1) - usedB*max(countA, 1); c != 0 {
		return c
	}
	return usedA - usedB
}

func featuresInfo(all []wire.FeatureStatus, shown int, _ Data) (string, common.Tone) {
	var used, count, borrowed, grace, full int
	for _, f := range all {
		used, count, borrowed, grace = used+taken(f), count+f.Count, borrowed+f.Borrowed, grace+f.Grace
		if f.Count > 0 && taken(f) >= f.Count {
			full++
		}
	}
	s := fmt.Sprintf("%s · %d of %d licenses used · %d borrowed · %d on grace",
		plural(len(all), "feature"), used, count, borrowed, grace)
	if full > 0 {
		return shownOf(s+fmt.Sprintf(" · %d exhausted", full), len(all), shown), common.Warn
	}
	return shownOf(s, len(all), shown), common.Normal
}
