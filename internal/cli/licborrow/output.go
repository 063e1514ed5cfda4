package licborrow

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// isTerminal reports whether w is a terminal, where output is styled.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable writes a table: styled with lipgloss on a terminal, plain
// aligned columns otherwise (for pipes and files).
func printTable(w io.Writer, headers []string, rows [][]string) error {
	if isTerminal(w) {
		r := lipgloss.NewRenderer(w)
		head := r.NewStyle().Bold(true).Foreground(lipgloss.Color("12")).Padding(0, 1)
		cell := r.NewStyle().Padding(0, 1)
		t := table.New().
			Border(lipgloss.RoundedBorder()).
			BorderStyle(r.NewStyle().Foreground(lipgloss.Color("8"))).
			Headers(headers...).
			Rows(rows...).
			StyleFunc(func(row, _ int) lipgloss.Style {
				if row == table.HeaderRow {
					return head
				}
				return cell
			})
		_, err := fmt.Fprintln(w, t.Render())
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// say writes a line of human output, bold on a terminal.
func say(w io.Writer, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if isTerminal(w) {
		line = lipgloss.NewRenderer(w).NewStyle().Bold(true).Render(line)
	}
	fmt.Fprintln(w, line)
}
