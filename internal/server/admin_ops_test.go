package server_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

func adminGet(t *testing.T, addr, path, token string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// A backup is the SQLite database itself, whole, for the admin only, and
// leaves nothing behind in the data dir.
func TestAdminBackup(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	if _, err := checkout(t, s.Addr, newClient("ann"), "r", "cad_pro"); err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "wrong"} {
		st, _, body := adminGet(t, s.Addr, wire.PathBackup, token)
		if st != http.StatusUnauthorized || !strings.Contains(string(body), wire.CodeUnauthorized) {
			t.Fatalf("backup with token %q: %d %s", token, st, body)
		}
	}
	st, h, body := adminGet(t, s.Addr, wire.PathBackup, s.AdminToken)
	if st != http.StatusOK || h.Get("Content-Type") != "application/vnd.sqlite3" || !bytes.HasPrefix(body, []byte("SQLite format 3\x00")) {
		t.Fatalf("backup: %d %v %q...", st, h, body[:min(len(body), 40)])
	}
	if h.Get("Content-Length") != "" && h.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %s, body %d bytes", h.Get("Content-Length"), len(body))
	}
	left, _ := filepath.Glob(filepath.Join(s.DataDir, "backup-*"))
	if len(left) != 0 {
		t.Errorf("left in the data dir: %v", left)
	}
	if _, err := os.Stat(filepath.Join(s.DataDir, "licd.db")); err != nil {
		t.Fatal(err)
	}
}

// A server whose main did not say how to stop it refuses a stop, and a
// stop needs the admin token.
func TestAdminStopRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	st, body := adminPost(t, s.Addr, wire.PathStop, "", struct{}{})
	if st != http.StatusUnauthorized {
		t.Fatalf("stop without token: %d %s", st, body)
	}
	st, body = adminPost(t, s.Addr, wire.PathStop, s.AdminToken, struct{}{})
	if st != http.StatusServiceUnavailable || !strings.Contains(string(body), "stop it with a signal") {
		t.Fatalf("stop without OnStop: %d %s", st, body)
	}
}
