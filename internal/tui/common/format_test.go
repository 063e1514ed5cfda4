package common

import (
	"testing"
	"time"
)

func TestDur(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{45*time.Second + 900*time.Millisecond, "45s"},
		{12*time.Minute + 5*time.Second, "12m05s"},
		{3*time.Hour + 12*time.Minute + 59*time.Second, "3h12m"},
		{50*time.Hour + 30*time.Minute, "2d02h"},
		{-90 * time.Second, "-1m30s"},
	}
	for _, tt := range tests {
		if got := Dur(tt.d); got != tt.want {
			t.Errorf("Dur(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestLeftAndAgo(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name     string
		until    time.Time
		want     string
		wantTone Tone
	}{
		{"plenty", now.Add(5 * time.Minute), "5m00s", Normal},
		{"short", now.Add(20 * time.Second), "20s", Warn},
		{"past", now.Add(-time.Second), "expired", Bad},
		{"unknown", time.Time{}, None, Dim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, tone := Left(tt.until, now, 30*time.Second)
			if got != tt.want || tone != tt.wantTone {
				t.Errorf("Left = %q, %v; want %q, %v", got, tone, tt.want, tt.wantTone)
			}
		})
	}
	if got := Ago(now.Add(-90*time.Second), now); got != "1m30s ago" {
		t.Errorf("Ago = %q", got)
	}
	if got := Ago(now, now); got != "now" {
		t.Errorf("Ago(now) = %q", got)
	}
}

func TestBar(t *testing.T) {
	tests := []struct {
		used, total, width int
		want               string
	}{
		{0, 5, 12, "░░░░░░░░ 0/5"},
		{1, 5, 12, "██░░░░░░ 1/5"}, // any use shows
		{5, 5, 12, "████████ 5/5"},
		{6, 5, 12, "████████ 6/5"}, // over COUNT (never from the server) stays inside the bar
		{3, 20, 4, "3/20"},         // no room for a bar
		{2, 5, 0, "2/5"},           // plain tables
	}
	for _, tt := range tests {
		if got := Bar(tt.used, tt.total, tt.width); got != tt.want {
			t.Errorf("Bar(%d, %d, %d) = %q, want %q", tt.used, tt.total, tt.width, got, tt.want)
		}
	}
}

func TestExpiryAndUsage(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	for expire, want := range map[string]Tone{
		"permanent":  Normal,
		"2027-12-31": Normal,
		"2026-03-20": Warn,
		"2026-03-04": Warn, // valid until the end of the day
		"2026-03-03": Bad,
	} {
		if got := Expiry(expire, now); got != want {
			t.Errorf("Expiry(%s) = %v, want %v", expire, got, want)
		}
	}
	for _, tt := range []struct {
		used, total int
		want        Tone
	}{{0, 5, Good}, {3, 5, Good}, {4, 5, Warn}, {5, 5, Bad}, {0, 0, Dim}} {
		if got := Usage(tt.used, tt.total); got != tt.want {
			t.Errorf("Usage(%d, %d) = %v, want %v", tt.used, tt.total, got, tt.want)
		}
	}
}

func TestExpiresIn(t *testing.T) {
	now := time.Date(2026, 12, 19, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct{ expire, want string }{
		{"2026-12-31", " in 12d"},
		{"2026-12-19", " in 12h"},
		{"2027-01-17", " in 29d"},
		{"2027-01-18", ""}, // 30 days and 12 hours
		{"2026-12-18", ""}, // expired: the tone says so
		{"permanent", ""},
	} {
		if got := ExpiresIn(c.expire, now); got != c.want {
			t.Errorf("ExpiresIn(%s) = %q, want %q", c.expire, got, c.want)
		}
	}
}
