package views

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/wire"
)

// plainer is a view that can print itself as a plain table.
type plainer interface {
	writePlain(w io.Writer, title string) error
}

// WriteTables prints st as plain aligned tables, one section per view —
// FEATURES, CHECKOUTS, QUEUE (when requests wait), BORROWS, GRACE,
// SERVERS — the way lmstat prints its
// report, and under a HAL set's servers a line with its quorum. Relative
// times are measured from now; clock times are shown in loc.
func WriteTables(w io.Writer, st *wire.Status, now time.Time, loc *time.Location) error {
	c := common.New(common.NewStyles(nil), loc)
	d := Data{Status: st}
	bw := bufio.NewWriter(w)
	sections := []struct {
		title string
		view  interface {
			View
			plainer
		}
	}{
		{"FEATURES", Features(c)},
		{"CHECKOUTS", Checkouts(c)},
		{"BORROWS", Borrows(c)},
		{"GRACE", Grace(c)},
		{"SERVERS", Servers(c)},
	}
	if len(st.Queue) > 0 { // only when some wait: the report is as it was otherwise
		sections = slices.Insert(sections, 2, struct {
			title string
			view  interface {
				View
				plainer
			}
		}{"QUEUE", Queue(c)})
	}
	for i, s := range sections {
		if i > 0 {
			bw.WriteString("\n")
		}
		s.view.SetData(d)
		s.view.SetNow(now)
		if err := s.view.writePlain(bw, s.title); err != nil {
			return err
		}
	}
	if len(st.Servers) > 1 {
		fmt.Fprintf(bw, "  %s\n", QuorumOf(st))
	}
	return bw.Flush()
}

// writePlain prints the title, the summary line and every row, in the view's
// order, with columns as wide as their widest cell.
func (l *List[T]) writePlain(w io.Writer, title string) error {
	info, _ := l.Info()
	fmt.Fprintf(w, "%s (%s)\n", title, info)
	if len(l.idx) == 0 {
		_, err := fmt.Fprintf(w, "  %s\n", l.spec.empty)
		return err
	}
	rows := make([][]string, 0, len(l.idx)+1)
	head := make([]string, len(l.spec.cols))
	for i, c := range l.spec.cols {
		head[i] = c.Title
	}
	rows = append(rows, head)
	for r := range l.idx {
		cells := make([]string, len(l.spec.cols))
		for i := range l.spec.cols {
			cells[i] = l.Cell(r, i, 0).Text
			if cells[i] == common.None {
				cells[i] = "-" // plain ASCII for scripts
			}
		}
		rows = append(rows, cells)
	}
	return writeAligned(w, rows, func(col int) bool { return l.spec.cols[col].Right })
}

// writeAligned writes rows with two spaces between columns, each as wide as
// its widest cell, indented by two spaces.
func writeAligned(w io.Writer, rows [][]string, right func(int) bool) error {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		b.WriteString("  ")
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-ansi.StringWidth(c))
			if right(i) {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	return nil
}
