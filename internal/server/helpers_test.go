package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// newClient returns a caller with a fresh session id.
func newClient(user string) wire.Client {
	b := make([]byte, 16)
	rand.Read(b)
	return wire.Client{Session: hex.EncodeToString(b), User: user, Host: "ws-" + user, PID: 4242}
}

// post sends body to addr+path on a new connection (as a client that
// reconnected would) and decodes a 2xx reply into reply. It returns the
// HTTP status and the error object of a refusal.
func post(t testing.TB, addr, path string, body, reply any) (int, *wire.Error) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return postRaw(t, addr, path, b, reply)
}

func postRaw(t testing.TB, addr, path string, body []byte, reply any) (int, *wire.Error) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := hc.Post("http://"+addr+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.Header.Get(wire.InstanceHeader) == "" {
		t.Errorf("POST %s: reply has no %s header", path, wire.InstanceHeader)
	}
	if resp.StatusCode/100 != 2 {
		var er wire.ErrorReply
		if err := json.Unmarshal(data, &er); err != nil || er.Error == nil {
			t.Fatalf("POST %s: status %d with no error object: %s", path, resp.StatusCode, data)
		}
		return resp.StatusCode, er.Error
	}
	if reply != nil {
		if err := json.Unmarshal(data, reply); err != nil {
			t.Fatalf("POST %s: decode %s: %v", path, data, err)
		}
	}
	return resp.StatusCode, nil
}

func status(t testing.TB, addr string) wire.Status {
	t.Helper()
	resp, err := http.Get("http://" + addr + wire.PathStatus)
	if err != nil {
		t.Fatalf("GET status: %v", err)
	}
	defer resp.Body.Close()
	var st wire.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decode status: %v", err)
	}
	return st
}

func inUse(t testing.TB, addr, feature string) (used, borrowed int) {
	t.Helper()
	for _, f := range status(t, addr).Features {
		if f.Name == feature {
			return f.InUse, f.Borrowed
		}
	}
	t.Fatalf("feature %s not in status", feature)
	return 0, 0
}

// waitFor polls cond every 10 ms until it holds or 5 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func checkout(t testing.TB, addr string, c wire.Client, reqID, feature string) (wire.CheckoutReply, *wire.Error) {
	t.Helper()
	var r wire.CheckoutReply
	_, e := post(t, addr, wire.PathCheckout, wire.CheckoutRequest{Client: c, RequestID: reqID, Feature: feature}, &r)
	return r, e
}

// logBuffer collects a server's log lines; it is written from the batch
// and reaper goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// count returns how many lines hold every one of want.
func (l *logBuffer) count(want ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range strings.Split(l.b.String(), "\n") {
		all := line != ""
		for _, w := range want {
			all = all && strings.Contains(line, w)
		}
		if all {
			n++
		}
	}
	return n
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// lines returns the lines that contain s.
func (l *logBuffer) lines(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}
