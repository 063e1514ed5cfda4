package table

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/floatlic/floatlic/internal/tui/common"
)

// rows is a Source of n numbered rows that counts the cells asked for.
type rows struct {
	n     int
	asked int
}

func (r *rows) Len() int { return r.n }

func (r *rows) Cell(row, col, width int) Cell {
	r.asked++
	if col == 0 {
		return Cell{Text: fmt.Sprintf("row %d", row)}
	}
	return Cell{Text: strings.Repeat("x", row%40), Tone: common.Warn}
}

func newTable(t *testing.T, width, height int, src Source) Model {
	t.Helper()
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	m := New(common.NewStyles(r), []Column{
		{Title: "NAME", Width: 9},
		{Title: "VALUE", Width: 5, Flex: 1, Max: 20},
		{Title: "N", Width: 3, Right: true},
	})
	m.SetSize(width, height)
	m.SetSource(src)
	return m
}

func TestLayout(t *testing.T) {
	tests := []struct {
		width int
		want  []int
		gap   int
	}{
		{40, []int{9, 20, 3}, 2}, // VALUE grows up to its Max
		{30, []int{9, 13, 3}, 2}, // and takes the rest
		{20, []int{9, 5, 3}, 1},  // too narrow: minimum widths, one-space gaps
	}
	for _, tt := range tests {
		m := newTable(t, tt.width, 5, &rows{})
		if fmt.Sprint(m.widths) != fmt.Sprint(tt.want) || m.gap != tt.gap {
			t.Errorf("width %d: widths %v gap %d, want %v gap %d", tt.width, m.widths, m.gap, tt.want, tt.gap)
		}
	}
}

func TestVirtualised(t *testing.T) {
	src := &rows{n: 10000}
	m := newTable(t, 40, 11, src)
	m.SetCursor(5000)
	src.asked = 0
	view := m.View()
	if src.asked != 10*3 {
		t.Errorf("drawing 10 rows asked for %d cells, want 30", src.asked)
	}
	lines := strings.Split(ansi.Strip(view), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines, want 11", len(lines))
	}
	if !strings.HasPrefix(lines[10], "▸row 5000") {
		t.Errorf("last line %q, want the cursor on row 5000", lines[10])
	}
}

func TestScroll(t *testing.T) {
	src := &rows{n: 100}
	m := newTable(t, 40, 11, src) // 10 rows on screen
	steps := []struct {
		do             func()
		cursor, offset int
	}{
		{func() {}, 0, 0},
		{func() { m.Move(9) }, 9, 0},
		{func() { m.Move(1) }, 10, 1},
		{func() { m.Move(-5) }, 5, 1},
		{func() { m.Move(-5) }, 0, 0},
		{func() { m.SetCursor(1000) }, 99, 90},
		{func() { m.Move(-m.PageSize()) }, 89, 89},
		{func() { src.n = 50; m.SetSource(src) }, 49, 40}, // rows went away
		{func() { src.n = 0; m.SetSource(src) }, 0, 0},
	}
	for i, st := range steps {
		st.do()
		if m.Cursor() != st.cursor || m.Offset() != st.offset {
			t.Errorf("step %d: cursor %d offset %d, want %d %d", i, m.Cursor(), m.Offset(), st.cursor, st.offset)
		}
	}
}

func TestViewFits(t *testing.T) {
	for _, w := range []int{10, 20, 33, 80} {
		m := newTable(t, w, 6, &rows{n: 60})
		m.SetCursor(45)
		m.SetSort(1, true)
		for i, l := range strings.Split(m.View(), "\n") {
			if ansi.StringWidth(l) > w {
				t.Errorf("width %d: line %d is %d wide: %q", w, i, ansi.StringWidth(l), ansi.Strip(l))
			}
		}
	}
}

func TestEmpty(t *testing.T) {
	m := newTable(t, 40, 4, &rows{})
	m.SetEmpty("nothing here")
	want := " NAME       VALUE                   N\n nothing here\n\n"
	if got := ansi.Strip(m.View()); got != want {
		t.Errorf("view = %q, want %q", got, want)
	}
}
