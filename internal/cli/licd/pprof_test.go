package licd

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestProfilerListensApart(t *testing.T) {
	addr, err := startProfiler("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("profiler: %s", resp.Status)
	}
	if addr, err := startProfiler("", nil); addr != "" || err != nil {
		t.Fatalf("empty --pprof started a profiler at %q (%v)", addr, err)
	}
	if _, err := startProfiler("127.0.0.1:-1", nil); err == nil || !strings.Contains(err.Error(), "--pprof") {
		t.Fatalf("bad address: %v, want an error naming --pprof", err)
	}
}
