package server_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// A data dir or server key other users can write to is refused at start,
// naming the file, its mode and the chmod to run; a key they can read is
// served with a warning.
func TestDataDirModes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string // in the data dir; "" for the dir itself
		mode   os.FileMode
		refuse string
		warn   string
	}{
		{"world-writable dir", "", 0o777, "mode 0777: any user can write to it: run chmod o-w", ""},
		{"group-writable dir", "", 0o770, "", ""},
		{"writable key", "server.key", 0o666, "mode 0666: other users can write to it: run chmod 600", ""},
		{"group-writable key", "server.key", 0o620, "mode 0620: other users can write to it", ""},
		{"readable key", "server.key", 0o644, "", "mode 0644: other users can read it: run chmod 600"},
		{"private key", "server.key", 0o600, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := servertest.Start(t, servertest.Options{})
			s.Stop()
			path := filepath.Join(s.DataDir, tc.file)
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			var log logBuffer
			cfg := s.Config()
			cfg.Logger = log.logger()
			srv, err := server.New(cfg)
			if err == nil {
				defer srv.Close(t.Context())
			}
			switch {
			case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), tc.refuse) || !strings.Contains(err.Error(), path)):
				t.Fatalf("start: %v, want a refusal naming %s and saying %q", err, path, tc.refuse)
			case tc.refuse == "" && err != nil:
				t.Fatalf("start: %v", err)
			case tc.warn != "" && log.count("level=WARN", tc.warn, path) != 1:
				t.Fatalf("no warning saying %q:\n%s", tc.warn, log.String())
			case tc.warn == "" && log.count("level=WARN", "mode") != 0:
				t.Fatalf("a warning for mode %04o:\n%s", tc.mode, log.String())
			}
		})
	}
}
