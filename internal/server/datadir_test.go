package server_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/datadir"
	"github.com/floatlic/floatlic/internal/server"
	"github.com/floatlic/floatlic/internal/servertest"
)

// A second server on a data dir in use is refused, naming the holder's pid;
// once the first stops, the data dir can be taken.
func TestDataDirIsLocked(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	_, err := server.New(s.Config())
	if !errors.Is(err, datadir.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second server on %s: %v, want ErrLocked naming pid %d", s.DataDir, err, os.Getpid())
	}
	if _, werr := checkout(t, s.Addr, newClient("ann"), "r", "cad_pro"); werr != nil {
		t.Fatalf("first server after the second was refused: %v", werr)
	}
	s.Stop()
	again, err := server.New(s.Config())
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	again.Close(t.Context())
}
