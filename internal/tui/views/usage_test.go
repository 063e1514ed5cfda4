package views

import (
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/report"
	"github.com/floatlic/floatlic/internal/wire"
)

func TestSparkline(t *testing.T) {
	for _, c := range []struct {
		levels []int
		count  int
		want   string
	}{
		{[]int{report.Unknown, 0, 1, 2, 3, 4, 5}, 5, " ▁▃▄▆▇█"},
		{[]int{0, 1, 2}, 2, "▁▅█"},
		{[]int{1, 20}, 20, "▂█"}, // any use shows
		{[]int{3}, 2, "█"},       // over COUNT after a reload lowered it
		{[]int{2}, 0, "▁"},       // no longer served
	} {
		if got := Sparkline(c.levels, c.count); got != c.want {
			t.Errorf("Sparkline(%v, %d) = %q, want %q", c.levels, c.count, got, c.want)
		}
	}
}

// --once marks a feature within 30 days of its end with the days left.
func TestWriteTablesExpiresSoon(t *testing.T) {
	now := time.Date(2026, 12, 19, 12, 0, 0, 0, time.UTC)
	st := &wire.Status{Features: []wire.FeatureStatus{
		{Name: "solver", Version: "3.1", Count: 2, Expires: "2026-12-31"},
		{Name: "cad_pro", Version: "2.0", Count: 5, Expires: "2027-12-31"},
	}}
	var b strings.Builder
	if err := WriteTables(&b, st, now, time.UTC); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "  2026-12-31 in 12d\n") || strings.Contains(b.String(), "2027-12-31 in") {
		t.Errorf("FEATURES:\n%s", b.String())
	}
}
