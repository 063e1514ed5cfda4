package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// A full disk refuses what cannot be recorded with a clear error, loses
// nothing that was acknowledged, and the server serves again once there is room.
func TestFullDiskLosesNothingAndRecovers(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Template: servertest.BigTemplate, HeartbeatInterval: time.Minute, Lease: time.Hour})
	st := s.Server().Store()
	pages, err := st.PageCount()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LimitPages(pages + 2); err != nil {
		t.Fatal(err)
	}
	acked := 0
	var refusal *wire.Error
	for i := range 2000 {
		_, werr := checkout(t, s.Addr, newClient(fmt.Sprint("u", i)), "r", "bench")
		if werr != nil {
			refusal = werr
			break
		}
		acked++
	}
	if refusal == nil {
		t.Fatal("2000 checkouts fitted in two more pages: the cap did not bite")
	}
	if refusal.Code != wire.CodeUnavailable || !strings.Contains(refusal.Message, "disk is full") {
		t.Fatalf("refusal %v, want unavailable naming the full disk", refusal)
	}
	if used, _ := inUse(t, s.Addr, "bench"); used != acked {
		t.Fatalf("in use %d while %d checkouts were acknowledged", used, acked)
	}
	if err := st.LimitPages(0); err != nil {
		t.Fatal(err)
	}
	if _, err := checkout(t, s.Addr, newClient("after"), "r", "bench"); err != nil {
		t.Fatalf("checkout once there is room: %v", err)
	}
	s.Restart()
	if used, _ := inUse(t, s.Addr, "bench"); used != acked+1 {
		t.Fatalf("after restart in use %d, want %d", used, acked+1)
	}
}
