package procstat

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if rss := SelfRSS(); rss <= 0 {
		t.Fatalf("SelfRSS = %d", rss)
	}
	if _, ok := SelfCPU(); !ok {
		t.Fatal("SelfCPU unknown")
	}
	s, ok := Of(os.Getpid())
	if !ok || s.RSS <= 0 || s.Peak < s.RSS {
		t.Fatalf("Of(self) = %+v, %v", s, ok)
	}
	if _, ok := Of(-1); ok {
		t.Fatal("Of(-1) reported a process")
	}
}

func TestParseStat(t *testing.T) {
	const tick = 10 * time.Millisecond
	for _, c := range []struct {
		name, text string
		want       Machine
		ok         bool
	}{
		{"two cores", "cpu  100 2 30 500 7 1 4 9 0 0\ncpu0 50 1 15 250 3 1 2 5 0 0\ncpu1 50 1 15 250 4 0 2 4 0 0\nintr 1\n",
			Machine{Cores: 2, Busy: 137 * tick, Idle: 507 * tick, Steal: 9 * tick}, true},
		{"no steal column", "cpu  100 2 30 500 7 1 4\ncpu0 100 2 30 500 7 1 4\n",
			Machine{Cores: 1, Busy: 137 * tick, Idle: 507 * tick}, true},
		{"no cpu line", "intr 1\nctxt 2\n", Machine{}, false},
		{"too short", "cpu  100 2 30\n", Machine{}, false},
		{"not a number", "cpu  100 x 30 500 7 1 4 9\n", Machine{}, false},
		{"negative", "cpu  100 -2 30 500 7 1 4 9\n", Machine{}, false},
		{"too large to add up", "cpu  99999999999999999 2 30 500 7 1 4 9\n", Machine{}, false},
	} {
		got, ok := parseStat(c.text)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: parseStat = %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestMachineCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/stat")
	}
	m, ok := MachineCPU()
	if !ok || m.Cores < 1 || m.Total() <= 0 {
		t.Fatalf("MachineCPU = %+v, %v", m, ok)
	}
}

// parseStat never panics, and what it accepts adds up.
func FuzzParseStat(f *testing.F) {
	f.Add("cpu  100 2 30 500 7 1 4 9 0 0\ncpu0 50 1 15 250 3 1 2 5 0 0\n")
	f.Add("cpu  100 2 30 500 7 1 4\n")
	f.Add("cpu 1 2\ncpu1\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, ok := parseStat(text)
		if !ok {
			if m != (Machine{}) {
				t.Fatalf("refused, yet returned %+v", m)
			}
			return
		}
		if m.Busy < 0 || m.Idle < 0 || m.Steal < 0 || m.Total() < 0 || m.Cores < 0 {
			t.Fatalf("parseStat(%q) = %+v", text, m)
		}
	})
}
