package failover

import "testing"

func TestPercentile(t *testing.T) {
	tests := []struct {
		name    string
		samples []float64
		p, want float64
	}{
		{"none", nil, 50, 0},
		{"one", []float64{7}, 90, 7},
		{"median of odd", []float64{3, 1, 2}, 50, 2},
		{"median of even: the lower", []float64{4, 1, 3, 2}, 50, 2},
		{"p90 of ten", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 90, 9},
		{"p90 of twenty", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 90, 18},
		{"max", []float64{1, 5, 2}, 100, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := Config{Licd: "licd"}.withDefaults()
	if err != nil || c.Kills != 20 || c.Clients != 4 || c.LogLevel != "warn" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	for _, bad := range []Config{{}, {Licd: "licd", Kills: -1}, {Licd: "licd", Clients: 17}, {Licd: "licd", Timeout: 1}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
