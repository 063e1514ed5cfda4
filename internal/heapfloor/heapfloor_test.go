package heapfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		floor, live uint64
		want        int
	}{
		{32 * mib, 0, 800},         // nothing live yet: the cap
		{32 * mib, 512 << 10, 800}, // a tiny heap: Go's minimum, raised to the floor
		{32 * mib, 4 * mib, 700},   // 4 MiB + 700 % = 32 MiB
		{32 * mib, 8 * mib, 300},   // 8 MiB + 300 % = 32 MiB
		{32 * mib, 16 * mib, 100},  // half the floor: Go's default reaches it
		{32 * mib, 100 * mib, 100}, // above: Go's default
		{2 * mib, 100 << 10, 100},  // a floor under Go's minimum changes nothing
		{64 * mib, 3 * mib, 1600},  // capped where Go's minimum is the floor
		{64 * mib, 5 * mib, 1180},
	}
	for _, tt := range tests {
		if got := Percent(tt.floor, tt.live); got != tt.want {
			t.Errorf("Percent(%d MiB, %d KiB) = %d, want %d", tt.floor/mib, tt.live>>10, got, tt.want)
		}
	}
}

// TestKeep checks that GOGC follows the live heap after each collection.
func TestKeep(t *testing.T) {
	t.Setenv("GOGC", "") // restores GOGC after the test
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if !Keep(64 << 20) {
		t.Fatal("Keep returned false with GOGC unset")
	}
	if got := gogc(); got <= 100 {
		t.Fatalf("GOGC right after Keep = %d, want above 100 for a small heap", got)
	}

	// A live heap of 48 MiB, past half the floor: Go's default.
	ballast := make([][]byte, 48)
	for i := range ballast {
		ballast[i] = make([]byte, 1<<20)
	}
	waitGOGC(t, 100)
	runtime.KeepAlive(ballast)

	ballast = nil
	waitGOGC(t, 1600)
}

func TestKeepLeavesUsersGOGC(t *testing.T) {
	t.Setenv("GOGC", "100")
	if Keep(64 << 20) {
		t.Fatal("Keep returned true with GOGC set in the environment")
	}
}

// waitGOGC collects until the finalizer has set GOGC to want, for at most
// two seconds.
func waitGOGC(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for gogc() != want {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC = %d, want %d", gogc(), want)
		}
		runtime.GC()
		time.Sleep(time.Millisecond) // the finalizer runs on its own goroutine
	}
}

func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
