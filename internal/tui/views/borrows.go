package views

import (
	"time"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
	"github.com/floatlic/floatlic/internal/wire"
)

// Borrows lists licenses borrowed out of the pool, with the time each has left.
func Borrows(c *common.Common) *List[wire.BorrowInfo] {
	return newList(c, spec[wire.BorrowInfo]{
		name:  "Borrows",
		empty: "no borrowed licenses",
		rows: func(d Data) []wire.BorrowInfo {
			if !statusOf(d) {
				return nil
			}
			return d.Status.Borrows
		},
		fields: func(r wire.BorrowInfo) Fields { return Fields{r.Feature, r.User, r.Host} },
		key:    func(r wire.BorrowInfo) string { return r.ID },
		info: func(all []wire.BorrowInfo, shown int, _ Data) (string, common.Tone) {
			return shownOf(plural(len(all), "borrowed license"), len(all), shown), common.Normal
		},
		sortCol: 4,
		cols: []column[wire.BorrowInfo]{
			featureCol(func(r wire.BorrowInfo) string { return r.Feature }),
			userCol(func(r wire.BorrowInfo) string { return r.User }),
			hostCol(func(r wire.BorrowInfo) string { return r.Host }),
			{
				Column:  table.Column{Title: "SINCE", Width: wStamp},
				cell:    func(r wire.BorrowInfo, c cellCtx) table.Cell { return stamp(r.Since, c) },
				compare: func(a, b wire.BorrowInfo) int { return byTime(a.Since, b.Since) },
			},
			{
				Column:  table.Column{Title: "EXPIRES", Width: wStamp},
				cell:    func(r wire.BorrowInfo, c cellCtx) table.Cell { return stamp(r.Expires, c) },
				compare: func(a, b wire.BorrowInfo) int { return byTime(a.Expires, b.Expires) },
			},
			leftCol("LEFT", func(r wire.BorrowInfo) time.Time { return r.Expires }, 24*time.Hour),
		},
	})
}

// Grace lists the grace periods clients reported: licenses used while the
// server could not be reached, counted on top of COUNT.
func Grace(c *common.Common) *List[wire.GraceInfo] {
	return newList(c, spec[wire.GraceInfo]{
		name:  "Grace",
		empty: "no grace licenses in use",
		rows: func(d Data) []wire.GraceInfo {
			if !statusOf(d) {
				return nil
			}
			return d.Status.Graces
		},
		fields: func(r wire.GraceInfo) Fields { return Fields{r.Feature, r.User, r.Host} },
		key:    func(r wire.GraceInfo) string { return r.TokenID },
		info: func(all []wire.GraceInfo, shown int, _ Data) (string, common.Tone) {
			return shownOf(plural(len(all), "grace period")+" reported", len(all), shown), common.Normal
		},
		sortCol: 4,
		cols: []column[wire.GraceInfo]{
			featureCol(func(r wire.GraceInfo) string { return r.Feature }),
			userCol(func(r wire.GraceInfo) string { return r.User }),
			hostCol(func(r wire.GraceInfo) string { return r.Host }),
			{
				Column:  table.Column{Title: "ACTIVATED", Width: wStamp},
				cell:    func(r wire.GraceInfo, c cellCtx) table.Cell { return stamp(r.Activated, c) },
				compare: func(a, b wire.GraceInfo) int { return byTime(a.Activated, b.Activated) },
			},
			{
				Column:  table.Column{Title: "EXPIRES", Width: wStamp},
				cell:    func(r wire.GraceInfo, c cellCtx) table.Cell { return stamp(r.Expires, c) },
				compare: func(a, b wire.GraceInfo) int { return byTime(a.Expires, b.Expires) },
			},
			leftCol("LEFT", func(r wire.GraceInfo) time.Time { return r.Expires }, 4*time.Hour),
		},
	})
}
