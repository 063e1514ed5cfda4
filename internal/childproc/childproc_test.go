package childproc

import (
	"errors"
	"net"
	"os/exec"
	"syscall"
	"testing"
)

func TestReserveAddrs(t *testing.T) {
	addrs, release, err := ReserveAddrs(4)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Errorf("address %s given twice", a)
		}
		seen[a] = true
	}
	if _, err := net.Listen("tcp", addrs[0]); err == nil {
		t.Errorf("%s could be listened on before release", addrs[0])
	}
	release()
	release()
	ln, err := net.Listen("tcp", addrs[0])
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	ln.Close()
}

func TestSpawner(t *testing.T) {
	s := NewSpawner()
	cmd := exec.Command("true")
	cmd.SysProcAttr = Attr(syscall.SIGKILL)
	if err := s.Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if err := s.Start(exec.Command("true")); !errors.Is(err, ErrSpawnerClosed) {
		t.Errorf("Start after Close = %v, want ErrSpawnerClosed", err)
	}
}
