// Package views holds licstat's views — Features, Checkouts, Borrows, Grace,
// Servers and Events — each a small description of a table over the server's
// status, drawn by one generic List. The same descriptions print the plain
// tables of licstat --once.
package views

import (
	"cmp"
	"slices"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
	"github.com/floatlic/floatlic/internal/wire"
)

// Data is what the views are drawn from: the latest status and the events
// received so far.
type Data struct {
	Status *wire.Status
	Events []wire.Event
}

// View is one tab of the UI.
type View interface {
	Name() string
	SetData(Data)
	SetFilter(Filter)
	// SetNow sets the time that "since", "ago" and "left" are measured from.
	SetNow(time.Time)
	SetSize(width, height int)
	// Update handles navigation and sort keys and reports whether it used msg.
	Update(msg tea.KeyMsg) bool
	View() string
	// Info is the line above the table: a summary of what it shows.
	Info() (string, common.Tone)
	// Position returns the cursor's row (from 1) and the number of rows shown.
	Position() (row, rows int)
	// Sort returns the title of the sort column and whether it is descending.
	Sort() (column string, desc bool)
}

// cellCtx is what a cell's text may depend on besides its row.
type cellCtx struct {
	now   time.Time
	loc   *time.Location
	width int // 0 when printing plain tables: no bars, no truncation
}

// column is a table column with the functions that fill and sort it.
type column[T any] struct {
	table.Column
	cell    func(T, cellCtx) table.Cell
	compare func(a, b T) int // nil: not a sort column
}

// spec describes one view.
type spec[T any] struct {
	name    string
	empty   string // shown when there are no rows
	cols    []column[T]
	rows    func(Data) []T
	fields  func(T) Fields // nil: the filter does not apply
	key     func(T) string // identity that keeps the cursor on a row across updates
	info    func(all []T, shown int, d Data) (string, common.Tone)
	sortCol int
	desc    bool
	// tail keeps a cursor on the first row there when rows arrive, as a
	// log viewer follows the newest line.
	tail bool
}

// List is a view over rows of type T: filtered, sorted, and drawn by a
// virtualised table. It is the table's Source.
type List[T any] struct {
	c       *common.Common
	spec    spec[T]
	data    Data
	all     []T
	idx     []int // rows shown: indexes into all, filtered and sorted
	filter  Filter
	sortCol int
	desc    bool
	now     time.Time
	tbl     table.Model
	info    string // the summary, made when the rows change
	tone    common.Tone
}

func newList[T any](c *common.Common, s spec[T]) *List[T] {
	cols := make([]table.Column, len(s.cols))
	for i, col := range s.cols {
		cols[i] = col.Column
	}
	l := &List[T]{c: c, spec: s, sortCol: s.sortCol, desc: s.desc, tbl: table.New(c.Styles, cols)}
	l.tbl.SetEmpty("no data yet")
	l.rebuild("")
	return l
}

// Name returns the view's title.
func (l *List[T]) Name() string { return l.spec.name }

// SetData replaces the rows, keeping the cursor on the same row when it is
// still there.
func (l *List[T]) SetData(d Data) {
	keep := l.selectedKey()
	if l.spec.tail && l.tbl.Cursor() == 0 {
		keep = ""
	}
	l.data = d
	l.all = l.spec.rows(d)
	if d.Status != nil || len(l.all) > 0 {
		l.tbl.SetEmpty(l.spec.empty)
	}
	l.rebuild(keep)
}

// SetFilter narrows the rows shown.
func (l *List[T]) SetFilter(f Filter) {
	keep := l.selectedKey()
	l.filter = f
	l.rebuild(keep)
}

// SetNow sets the time relative times are measured from.
func (l *List[T]) SetNow(now time.Time) { l.now = now }

// SetSize sets the size of the table.
func (l *List[T]) SetSize(width, height int) { l.tbl.SetSize(width, height) }

// Selected returns the row under the cursor.
func (l *List[T]) Selected() (T, bool) {
	if c := l.tbl.Cursor(); c < len(l.idx) {
		return l.all[l.idx[c]], true
	}
	var zero T
	return zero, false
}

// Update moves the cursor and changes the sort order.
func (l *List[T]) Update(msg tea.KeyMsg) bool {
	keys := l.c.Keys
	switch {
	case key.Matches(msg, keys.Sort):
		l.nextSort()
	case key.Matches(msg, keys.Reverse):
		l.desc = !l.desc
		l.rebuild(l.selectedKey())
	default:
		return l.tbl.Update(msg, keys)
	}
	return true
}

// nextSort sorts by the next sortable column, ascending.
func (l *List[T]) nextSort() {
	for i := 1; i <= len(l.spec.cols); i++ {
		c := (l.sortCol + i) % len(l.spec.cols)
		if l.spec.cols[c].compare != nil {
			l.sortCol, l.desc = c, false
			break
		}
	}
	l.rebuild(l.selectedKey())
}

// Sort returns the sort column's title and whether the order is descending.
func (l *List[T]) Sort() (string, bool) { return l.spec.cols[l.sortCol].Title, l.desc }

// View draws the table.
func (l *List[T]) View() string { return l.tbl.View() }

// Info summarises the rows.
func (l *List[T]) Info() (string, common.Tone) { return l.info, l.tone }

// Position returns the cursor's row, from 1, and the number of rows shown.
func (l *List[T]) Position() (int, int) {
	if len(l.idx) == 0 {
		return 0, 0
	}
	return l.tbl.Cursor() + 1, len(l.idx)
}

// Len is the number of rows shown (table.Source).
func (l *List[T]) Len() int { return len(l.idx) }

// Cell is the text of one cell (table.Source).
func (l *List[T]) Cell(row, col, width int) table.Cell {
	return l.spec.cols[col].cell(l.all[l.idx[row]], cellCtx{now: l.now, loc: l.c.Loc, width: width})
}

func (l *List[T]) selectedKey() string {
	if r, ok := l.Selected(); ok {
		return l.spec.key(r)
	}
	return ""
}

// rebuild filters and sorts the rows, then puts the cursor back on the row
// whose key is keep.
func (l *List[T]) rebuild(keep string) {
	l.idx = l.idx[:0]
	for i, r := range l.all {
		if l.spec.fields == nil || l.filter.Match(l.spec.fields(r)) {
			l.idx = append(l.idx, i)
		}
	}
	compare := l.spec.cols[l.sortCol].compare
	slices.SortStableFunc(l.idx, func(a, b int) int {
		c := compare(l.all[a], l.all[b])
		if l.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(l.spec.key(l.all[a]), l.spec.key(l.all[b]))
	})
	l.info, l.tone = l.spec.info(l.all, len(l.idx), l.data)
	l.tbl.SetSort(l.sortCol, l.desc)
	l.tbl.SetSource(l)
	if keep == "" {
		return
	}
	for row, i := range l.idx {
		if l.spec.key(l.all[i]) == keep {
			l.tbl.SetCursor(row)
			return
		}
	}
}
