package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// WriteJSON writes rep as indented JSON.
func WriteJSON(w io.Writer, rep *wire.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteText writes rep as plain aligned tables, times in loc: a line on the
// period, then FEATURES, EXHAUSTED, USAGE BY <by>, DENIALS, BORROWS and
// GRACE REPORTS.
func WriteText(w io.Writer, rep *wire.Report, loc *time.Location) error {
	bw := bufio.NewWriter(w)
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	fmt.Fprintf(bw, "Usage from %s to %s (%s)", ts(rep.From), ts(rep.Until), span(rep.Until.Sub(rep.From)))
	if rep.Feature != "" {
		fmt.Fprintf(bw, ", feature %s", rep.Feature)
	}
	bw.WriteString("\n")
	if rep.Note != "" {
		fmt.Fprintf(bw, "Note: %s\n", rep.Note)
	}
	table(bw, "FEATURES (used: checked out plus borrowed)", "no feature was served or used", featureRows(rep))
	var ex [][]string
	for _, f := range rep.Features {
		for _, iv := range f.Exhausted {
			ex = append(ex, []string{f.Feature, ts(iv.Start), ts(iv.End), span(iv.End.Sub(iv.Start))})
		}
	}
	table(bw, "EXHAUSTED (every license used)", "never", rows([]string{"FEATURE", "START", "END", "FOR"}, ex))
	var us [][]string
	for _, u := range rep.Usage {
		us = append(us, []string{u.Key, num(u.Hours), strconv.Itoa(u.Checkouts)})
	}
	table(bw, "USAGE BY "+strings.ToUpper(rep.By)+" (license-hours of checkouts)", "no checkouts",
		rows([]string{strings.ToUpper(rep.By), "HOURS", "CHECKOUTS"}, us))
	var ds [][]string
	for _, d := range rep.Denials {
		ds = append(ds, []string{d.Feature, d.Code, d.User, strconv.Itoa(d.Count)})
	}
	table(bw, "DENIALS", "none", rows([]string{"FEATURE", "CODE", "USER", "COUNT"}, ds))
	var bs [][]string
	for _, b := range rep.Borrows {
		bs = append(bs, []string{b.Feature, b.User, strconv.Itoa(b.Borrows), num(b.Hours)})
	}
	table(bw, "BORROWS", "none", rows([]string{"FEATURE", "USER", "BORROWS", "HOURS"}, bs))
	var gs [][]string
	for _, g := range rep.Graces {
		gs = append(gs, []string{g.Feature, g.User, strconv.Itoa(g.Reports)})
	}
	table(bw, "GRACE REPORTS", "none", rows([]string{"FEATURE", "USER", "REPORTS"}, gs))
	return bw.Flush()
}

func featureRows(rep *wire.Report) [][]string {
	var out [][]string
	for _, f := range rep.Features {
		var total time.Duration
		for _, iv := range f.Exhausted {
			total += iv.End.Sub(iv.Start)
		}
		ex := "-"
		if n := len(f.Exhausted); n > 0 {
			ex = fmt.Sprintf("%s in %s", span(total), plural(n, "interval"))
		}
		count := strconv.Itoa(f.Count)
		if f.Count == 0 {
			count = "-"
		}
		out = append(out, []string{f.Feature, count, strconv.Itoa(f.Peak), num(f.Average), num(f.Hours), ex})
	}
	return rows([]string{"FEATURE", "COUNT", "PEAK", "AVERAGE", "HOURS", "EXHAUSTED"}, out)
}

// rows puts head above body, or returns nil when body is empty.
func rows(head []string, body [][]string) [][]string {
	if len(body) == 0 {
		return nil
	}
	return append([][]string{head}, body...)
}

// table writes a blank line, the title and the rows aligned (numbers to the
// right), or the empty text.
func table(w *bufio.Writer, title, empty string, rows [][]string) {
	fmt.Fprintf(w, "\n%s\n", title)
	if len(rows) == 0 {
		fmt.Fprintf(w, "  %s\n", empty)
		return
	}
	widths := make([]int, len(rows[0]))
	right := make([]bool, len(rows[0]))
	for i := range right {
		right[i] = true
	}
	for r, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
			if r > 0 && c != "-" && !isNumber(c) {
				right[i] = false
			}
		}
	}
	for _, row := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// num prints hours and averages with two decimals.
func num(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// span prints a duration as Go does, without a trailing "0s" or "0m".
func span(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}

// CSVHeader is the header row of WriteCSV: one table for every section,
// told apart by the first column (features, exhausted, usage, denials,
// borrows, graces); key is the user, host or feature of a usage row and
// the user of the others; count is COUNT, checkouts, denials, borrows or
// reports; hours is license-hours, or an exhausted interval's length.
var CSVHeader = []string{"section", "feature", "key", "code", "start", "end", "count", "peak", "average", "hours"}

// WriteCSV writes rep as one CSV table (see CSVHeader), times RFC 3339 in loc.
func WriteCSV(w io.Writer, rep *wire.Report, loc *time.Location) error {
	cw := csv.NewWriter(w)
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	it := strconv.Itoa
	cw.Write(CSVHeader)
	for _, u := range rep.Features {
		cw.Write([]string{"features", u.Feature, "", "", ts(rep.From), ts(rep.Until), it(u.Count), it(u.Peak), f(u.Average), f(u.Hours)})
	}
	for _, u := range rep.Features {
		for _, iv := range u.Exhausted {
			cw.Write([]string{"exhausted", u.Feature, "", "", ts(iv.Start), ts(iv.End), "", "", "", f(round3(iv.End.Sub(iv.Start).Hours()))})
		}
	}
	for _, u := range rep.Usage {
		cw.Write([]string{"usage", rep.Feature, u.Key, "", "", "", it(u.Checkouts), "", "", f(u.Hours)})
	}
	for _, d := range rep.Denials {
		cw.Write([]string{"denials", d.Feature, d.User, d.Code, "", "", it(d.Count), "", "", ""})
	}
	for _, b := range rep.Borrows {
		cw.Write([]string{"borrows", b.Feature, b.User, "", "", "", it(b.Borrows), "", "", f(b.Hours)})
	}
	for _, g := range rep.Graces {
		cw.Write([]string{"graces", g.Feature, g.User, "", "", "", it(g.Reports), "", "", ""})
	}
	cw.Flush()
	return cw.Error()
}
