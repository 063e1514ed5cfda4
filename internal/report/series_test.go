package report

import (
	"slices"
	"testing"
	"time"
)

// The history of report_test.go, seen by a monitor from 09:00 to 13:00 in
// 8 buckets of 30 minutes, as told by a status at 13:00. cad is used by 2
// from 08:45 (the second grant) to 09:30, 1 to 10:00, 2 to 11:00, then 1.
// Each bucket is the most used within it, including its instants of change.
func TestSeries(t *testing.T) {
	evs := history(t).Events[:14] // up to 12:30
	tests := []struct {
		name    string
		feature string
		used    int
		at      string
		evs     int // how many of the events the monitor has
		want    []int
	}{
		//                                       09:00 09:30 10:00 10:30 11:00 11:30 12:00 12:30
		{"cad", "cad", 1, "13:00", 14, []int{2, 2, 2, 2, 2, 1, 1, 1}},
		// sim: the borrow at 11:00, returned at 12:30 as bob checks it out.
		{"sim", "sim", 1, "13:00", 14, []int{0, 0, 0, 0, 1, 1, 1, 1}},
		// A status from 12:00 (sim 1, the borrow); the events after it
		// (return, grant) leave 1.
		{"stale status", "sim", 1, "12:00", 14, []int{0, 0, 0, 0, 1, 1, 1, 1}},
		// Only the events from 10:00 on are known: before, unknown.
		{"partial", "cad", 1, "13:00", 14 - 4, []int{Unknown, Unknown, 2, 2, 2, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known := evs[len(evs)-tt.evs:]
			got := Series(tt.feature, tt.used, at(tt.at), known, at("13:00"), 4*time.Hour, 8)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
