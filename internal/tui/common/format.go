package common

import (
	"fmt"
	"strings"
	"time"
)

// None stands for a missing value in a table cell.
const None = "—"

// Dur formats d compactly for a narrow column: 45s, 12m05s, 3h12m, 2d03h.
func Dur(d time.Duration) string {
	if d < 0 {
		return "-" + Dur(-d)
	}
	d = d.Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// Ago formats how long before now t was: "12s ago", or None for a zero time.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return None
	}
	d := now.Sub(t)
	if d < time.Second {
		return "now"
	}
	return Dur(d) + " ago"
}

// Age formats how long before now t was, without "ago": "3h12m".
func Age(t, now time.Time) string {
	if t.IsZero() {
		return None
	}
	return Dur(max(now.Sub(t), 0))
}

// Left formats the time from now until t, and a tone that warns when less
// than warn is left and alarms once t has passed.
func Left(t, now time.Time, warn time.Duration) (string, Tone) {
	if t.IsZero() {
		return None, Dim
	}
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "expired", Bad
	case d < warn:
		return Dur(d), Warn
	default:
		return Dur(d), Normal
	}
}

// Stamp formats t as a date and time in loc: "Mar 04 09:30".
func Stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return None
	}
	return t.In(loc).Format("Jan 02 15:04")
}

// Clock formats t as a time of day in loc, or as a date when it is not on
// now's day: "09:30:05" or "Mar 03". It fits in 8 cells.
func Clock(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return None
	}
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 02")
}

// Usage returns the tone of used out of total: good with room to spare, a
// warning from 80 %, bad when none is left.
func Usage(used, total int) Tone {
	switch {
	case total <= 0:
		return Dim
	case used >= total:
		return Bad
	case used*5 >= total*4:
		return Warn
	default:
		return Good
	}
}

// Bar draws used/total as a bar followed by the numbers, in exactly width
// cells ("███░░ 3/5"). With width too small for a bar it gives the numbers
// alone.
func Bar(used, total, width int) string {
	label := fmt.Sprintf("%d/%d", used, total)
	n := width - len(label) - 1
	if n < 3 || total <= 0 {
		return label
	}
	full := min(n, (used*n+total-1)/total) // round up so any use shows
	if used <= 0 {
		full = 0
	}
	return strings.Repeat("█", full) + strings.Repeat("░", n-full) + " " + label
}

// expiryWarning is how long before its end a license is marked: as licd
// warns of it (server.ExpiryWarning).
const expiryWarning = 30 * 24 * time.Hour

// timeLeft is how long a license's EXPIRE value ("YYYY-MM-DD", the end of
// that day UTC) has to run at now; ok is false for "permanent" or anything
// that is not a date.
func timeLeft(expire string, now time.Time) (left time.Duration, ok bool) {
	day, err := time.Parse(time.DateOnly, expire)
	if err != nil {
		return 0, false
	}
	return day.Add(24 * time.Hour).Sub(now), true
}

// Expiry returns the tone of a license's EXPIRE value ("YYYY-MM-DD", the end
// of that day UTC, or "permanent"): bad once past, a warning within 30 days.
func Expiry(expire string, now time.Time) Tone {
	left, ok := timeLeft(expire, now)
	switch {
	case !ok:
		return Normal
	case left <= 0:
		return Bad
	case left < expiryWarning:
		return Warn
	default:
		return Normal
	}
}

// ExpiresIn is what the EXPIRES cell adds to a license's EXPIRE value
// within 30 days of its end: " in 12d", or " in 5h" on its last day; ""
// otherwise (and once expired: the tone says that).
func ExpiresIn(expire string, now time.Time) string {
	left, ok := timeLeft(expire, now)
	switch {
	case !ok || left <= 0 || left >= expiryWarning:
		return ""
	case left < 24*time.Hour:
		return fmt.Sprintf(" in %dh", int((left+time.Hour-1)/time.Hour))
	}
	return fmt.Sprintf(" in %dd", int(left/(24*time.Hour)))
}
