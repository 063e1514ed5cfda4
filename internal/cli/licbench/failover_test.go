package licbench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/buildcmd"
	"github.com/floatlic/floatlic/internal/cli/exit"
)

// buildLicd builds licd into a temporary dir and returns its path.
func buildLicd(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := buildcmd.Commands(dir, "licd"); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "licd")
}

// Two kills of a real HAL set: #2 takes over each time, and the JSON has
// the figures the benchmark script reads.
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a HAL set of licd processes: a few seconds a kill")
	}
	licd := buildLicd(t)
	code, out, errOut := run(t, "failover", "--licd", licd, "--kills", "2", "--json")
	if code != exit.OK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Kills   int       `json:"kills"`
		P50     *float64  `json:"p50_ms"`
		Max     *float64  `json:"max_ms"`
		Samples []float64 `json:"samples_ms"`
		Runs    []struct {
			TookOver int `json:"took_over"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	if res.Kills != 2 || len(res.Samples) != 2 || len(res.Runs) != 2 || res.P50 == nil || res.Max == nil {
		t.Fatalf("want 2 kills with samples, p50 and max, got %s", out)
	}
	for i, r := range res.Runs {
		if r.TookOver != 2 || res.Samples[i] <= 0 || res.Samples[i] > *res.Max {
			t.Errorf("kill %d: took over by #%d after %v ms (max %v): want #2, above 0", i+1, r.TookOver, res.Samples[i], *res.Max)
		}
	}
}

func TestFailoverErrors(t *testing.T) {
	exe, err := os.Executable() // any file stands for licd when the flags are refused first
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no such licd", []string{"failover", "--licd", filepath.Join(t.TempDir(), "licd")}, "not a licd binary"},
		{"kills", []string{"failover", "--licd", exe, "--kills", "-1"}, "kills -1"},
		{"clients", []string{"failover", "--licd", exe, "--clients", "17"}, "clients 17"},
		{"argument", []string{"failover", "now"}, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, tt.args...)
			if code != exit.Setup || !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line naming %q", code, errOut, tt.want)
			}
		})
	}
}
