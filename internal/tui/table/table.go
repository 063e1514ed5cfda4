// Package table is a virtualised table for licstat: it asks its Source only
// for the cells of the rows on screen, so drawing costs the same with ten rows
// or ten thousand.
package table

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/floatlic/floatlic/internal/tui/common"
)

// Column describes one column: its title, its minimum width, and how much of
// the spare width it takes (Flex, up to Max cells; 0 means no limit).
type Column struct {
	Title string
	Width int
	Flex  int
	Max   int
	Right bool // align right (numbers, durations)
}

// Cell is the text of one cell and what it means.
type Cell struct {
	Text string
	Tone common.Tone
}

// Source gives the table its rows. Cell is called only for rows on screen;
// width is the column's width in cells.
type Source interface {
	Len() int
	Cell(row, col, width int) Cell
}

// Model is the table: columns, a cursor and the window of rows on screen.
type Model struct {
	styles *common.Styles
	cols   []Column
	widths []int
	gap    int
	src    Source
	empty  string

	cursor, offset int
	width, height  int // height counts the header line

	sortCol  int
	sortDesc bool
}

// New returns a table with cols, drawn with styles.
func New(styles *common.Styles, cols []Column) Model {
	return Model{styles: styles, cols: cols, sortCol: -1, gap: 2}
}

// SetSize sets the table's width and height, header line included.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 1)
	m.layout()
	m.scroll()
}

// SetSource sets the rows. The cursor stays on the same index, clamped.
func (m *Model) SetSource(src Source) {
	m.src = src
	m.SetCursor(m.cursor)
}

// SetEmpty sets the text shown when there are no rows.
func (m *Model) SetEmpty(text string) { m.empty = text }

// SetSort marks column col in the header as the sort column (-1 for none).
func (m *Model) SetSort(col int, desc bool) { m.sortCol, m.sortDesc = col, desc }

// Len returns the number of rows.
func (m Model) Len() int {
	if m.src == nil {
		return 0
	}
	return m.src.Len()
}

// Cursor returns the index of the selected row (0 with no rows).
func (m Model) Cursor() int { return m.cursor }

// Offset returns the index of the first row on screen.
func (m Model) Offset() int { return m.offset }

// SetCursor selects row i, clamped to the rows there are, and scrolls it into view.
func (m *Model) SetCursor(i int) {
	m.cursor = max(0, min(i, m.Len()-1))
	m.scroll()
}

// Move moves the cursor by n rows, up when n < 0.
func (m *Model) Move(n int) { m.SetCursor(m.cursor + n) }

// PageSize is the number of rows on screen.
func (m Model) PageSize() int { return max(m.height-1, 1) }

// Update moves the cursor for navigation keys and reports whether key was one.
func (m *Model) Update(msg tea.KeyMsg, keys common.KeyMap) bool {
	switch {
	case key.Matches(msg, keys.Up):
		m.Move(-1)
	case key.Matches(msg, keys.Down):
		m.Move(1)
	case key.Matches(msg, keys.PageUp):
		m.Move(-m.PageSize())
	case key.Matches(msg, keys.PageDown):
		m.Move(m.PageSize())
	case key.Matches(msg, keys.Top):
		m.SetCursor(0)
	case key.Matches(msg, keys.Bottom):
		m.SetCursor(m.Len() - 1)
	default:
		return false
	}
	return true
}

// scroll moves the window as little as needed to show the cursor.
func (m *Model) scroll() {
	page := m.PageSize()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+page {
		m.offset = m.cursor - page + 1
	}
	m.offset = max(0, min(m.offset, m.Len()-page))
}

// layout shares the width among the columns: each gets its minimum, and the
// flexible ones share what is left by weight.
func (m *Model) layout() {
	m.widths = make([]int, len(m.cols))
	sum, flex := 0, 0
	for i, c := range m.cols {
		m.widths[i] = c.Width
		sum += c.Width
		flex += c.Flex
	}
	gaps := max(len(m.cols)-1, 0)
	m.gap = 2
	if 1+sum+2*gaps > m.width {
		m.gap = 1
	}
	spare := m.width - 1 - sum - m.gap*gaps
	for spare > 0 && flex > 0 {
		given, share := 0, spare
		for i, c := range m.cols {
			if c.Flex == 0 || (c.Max > 0 && m.widths[i] >= c.Max) {
				continue
			}
			n := max(share*c.Flex/flex, 1)
			if c.Max > 0 {
				n = min(n, c.Max-m.widths[i])
			}
			n = min(n, spare-given)
			m.widths[i] += n
			given += n
		}
		if given == 0 {
			break
		}
		spare -= given
		flex = 0
		for i, c := range m.cols {
			if c.Flex > 0 && (c.Max == 0 || m.widths[i] < c.Max) {
				flex += c.Flex
			}
		}
	}
}

// View draws the header and the rows on screen: exactly the table's height
// in lines, each at most its width.
func (m Model) View() string {
	var b strings.Builder
	b.Grow(m.height * (m.width + 16))
	b.WriteString(m.styles.Header.Render(m.fit(m.headerLine())))
	page := m.PageSize()
	n := m.Len()
	for i := 0; i < page; i++ {
		b.WriteByte('\n')
		row := m.offset + i
		switch {
		case row < n:
			b.WriteString(m.rowLine(row))
		case n == 0 && i == 0:
			b.WriteString(m.styles.Render(common.Dim, m.fit(" "+m.empty)))
		}
	}
	return b.String()
}

func (m Model) headerLine() string {
	var b strings.Builder
	b.WriteByte(' ')
	for i, c := range m.cols {
		title := c.Title
		if i == m.sortCol {
			title += map[bool]string{false: "▲", true: "▼"}[m.sortDesc]
		}
		m.writeCell(&b, i, common.Normal, title)
	}
	return b.String()
}

func (m Model) rowLine(row int) string {
	selected := row == m.cursor
	var b strings.Builder
	b.WriteString(map[bool]string{false: " ", true: "▸"}[selected])
	for i := range m.cols {
		cell := m.src.Cell(row, i, m.widths[i])
		if selected {
			cell.Tone = common.Normal // the selection style colours the whole line
		}
		m.writeCell(&b, i, cell.Tone, cell.Text)
	}
	line := m.fit(b.String())
	if selected {
		line += strings.Repeat(" ", max(m.width-ansi.StringWidth(line), 0))
		return m.styles.Selected.Render(line)
	}
	return line
}

// writeCell writes the gap before column i, then text in tone, truncated and
// padded to the column's width.
func (m Model) writeCell(b *strings.Builder, i int, tone common.Tone, text string) {
	if i > 0 {
		b.WriteString(strings.Repeat(" ", m.gap))
	}
	w := m.widths[i]
	if ansi.StringWidth(text) > w {
		text = ansi.Truncate(text, w, "…")
	}
	pad := strings.Repeat(" ", w-ansi.StringWidth(text))
	text = m.styles.Render(tone, text)
	if m.cols[i].Right {
		b.WriteString(pad + text)
		return
	}
	b.WriteString(text + pad)
}

// fit cuts line to the table's width and drops trailing blanks.
func (m Model) fit(line string) string {
	if ansi.StringWidth(line) > m.width {
		line = ansi.Truncate(line, m.width, "")
	}
	return strings.TrimRight(line, " ")
}
