package procstat

import (
	"os"
	"runtime"
	"testing"
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
