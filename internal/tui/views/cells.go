package views

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
)

// Widths of columns that recur across views.
const (
	wFeature = 10
	wUser    = 8
	wHost    = 10
	wStamp   = 12 // "Mar 04 09:30"
)

func text(s string) table.Cell {
	if s == "" {
		return table.Cell{Text: common.None, Tone: common.Dim}
	}
	return table.Cell{Text: s}
}

func toned(s string, t common.Tone) table.Cell { return table.Cell{Text: s, Tone: t} }

func number(n int) table.Cell {
	if n == 0 {
		return table.Cell{Text: "0", Tone: common.Dim}
	}
	return table.Cell{Text: strconv.Itoa(n)}
}

func stamp(t time.Time, c cellCtx) table.Cell { return text(common.Stamp(t, c.loc)) }

func byString(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) }

func byTime(a, b time.Time) int { return a.Compare(b) }

// featureCol, userCol and hostCol are the columns most views share.
func featureCol[T any](get func(T) string) column[T] {
	return column[T]{
		Column:  table.Column{Title: "FEATURE", Width: wFeature, Flex: 2, Max: 28},
		cell:    func(r T, _ cellCtx) table.Cell { return text(get(r)) },
		compare: func(a, b T) int { return byString(get(a), get(b)) },
	}
}

func userCol[T any](get func(T) string) column[T] {
	return column[T]{
		Column:  table.Column{Title: "USER", Width: wUser, Flex: 1, Max: 20},
		cell:    func(r T, _ cellCtx) table.Cell { return text(get(r)) },
		compare: func(a, b T) int { return byString(get(a), get(b)) },
	}
}

func hostCol[T any](get func(T) string) column[T] {
	return column[T]{
		Column:  table.Column{Title: "HOST", Width: wHost, Flex: 2, Max: 32},
		cell:    func(r T, _ cellCtx) table.Cell { return text(get(r)) },
		compare: func(a, b T) int { return byString(get(a), get(b)) },
	}
}

// leftCol shows the time left until get(r), warning when less than warn.
func leftCol[T any](title string, get func(T) time.Time, warn time.Duration) column[T] {
	return column[T]{
		Column: table.Column{Title: title, Width: 7, Right: true},
		cell: func(r T, c cellCtx) table.Cell {
			s, t := common.Left(get(r), c.now, warn)
			return toned(s, t)
		},
		compare: func(a, b T) int { return byTime(get(a), get(b)) },
	}
}

// plural returns "1 borrow" or "3 borrows".
func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}

// shownOf adds "(N shown)" when a filter hides rows.
func shownOf(s string, all, shown int) string {
	if shown == all {
		return s
	}
	return s + " · " + strconv.Itoa(shown) + " shown"
}

func statusOf(d Data) bool { return d.Status != nil }
