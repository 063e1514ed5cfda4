package licgen

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/floatlic/floatlic/internal/licfile"
)

// writeTable prints one line per feature: name, version, vendor, count,
// expiry, grace and borrow hours, (signed,) and notes on HAL, host locks,
// start and expiry.
func writeTable(w io.Writer, f *licfile.File, now time.Time, signed bool) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	head := "FEATURE\tVERSION\tVENDOR\tCOUNT\tEXPIRES\tGRACE\tBORROW\t"
	if signed {
		head += "SIGNED\t"
	}
	fmt.Fprintln(tw, head+"NOTES")
	for _, ft := range f.Features {
		count := "uncounted"
		if ft.Counted() {
			count = fmt.Sprint(ft.Count)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t", ft.Name, ft.Version, ft.Vendor, count, ft.Expire,
			hours(ft.Grace), hours(ft.Borrow))
		if signed {
			fmt.Fprintf(tw, "%s\t", yesNo(ft.Key != ""))
		}
		fmt.Fprintln(tw, strings.Join(notes(ft, now), "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for l := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(l, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func hours(h int) string {
	if h == 0 {
		return "-"
	}
	return fmt.Sprintf("%dh", h)
}

// notes says what is worth knowing about ft beyond the columns.
func notes(ft *licfile.Feature, now time.Time) []string {
	var n []string
	if exp, permanent := ft.ExpiresAt(); !permanent && !now.Before(exp) {
		n = append(n, "EXPIRED")
	}
	if start := ft.StartsAt(); !start.IsZero() {
		if now.Before(start) {
			n = append(n, "not valid before "+ft.Start)
		} else {
			n = append(n, "valid from "+ft.Start)
		}
	}
	if !ft.Counted() {
		n = append(n, "node-locked, not served by licd")
	}
	if len(ft.HALServers) > 0 {
		n = append(n, "HAL "+strings.Join(ft.HALServers, " "))
	}
	if len(ft.HostID) > 0 {
		n = append(n, "HOSTID "+strings.Join(ft.HostID, " "))
	}
	if (ft.Grace > 0 || ft.Borrow > 0) && len(ft.TokenKey) == 0 {
		n = append(n, "no TOKEN_KEY: licd issues no grace or borrow tokens")
	}
	if len(ft.TokenKey) > 0 {
		n = append(n, "TOKEN_KEY "+strings.Join(ft.TokenKey, " "))
	}
	return n
}
