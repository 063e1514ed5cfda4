package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

func adminPost(t *testing.T, addr, path, token string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func TestAdminRemove(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := newClient("ann")
	co, err := checkout(t, s.Addr, c, "r", "cad_pro")
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "wrong"} {
		st, body := adminPost(t, s.Addr, wire.PathRemove, token, wire.RemoveRequest{CheckoutID: co.CheckoutID})
		if st != http.StatusUnauthorized || !strings.Contains(string(body), wire.CodeUnauthorized) {
			t.Fatalf("remove with token %q: %d %s", token, st, body)
		}
	}
	st, body := adminPost(t, s.Addr, wire.PathRemove, s.AdminToken, wire.RemoveRequest{CheckoutID: co.CheckoutID})
	if st != http.StatusOK || !strings.Contains(string(body), `"removed":1`) {
		t.Fatalf("remove: %d %s", st, body)
	}
	if used, _ := inUse(t, s.Addr, "cad_pro"); used != 0 {
		t.Fatalf("in use after remove = %d", used)
	}
}

func TestGraceReportShowsInStatus(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := newClient("gus")
	tok, tk := graceToken(t, s.Addr, c, "r1")
	if _, err := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: c, All: true}, nil); err != nil {
		t.Fatal(err)
	}
	report := report(c, tok, tk, time.Now().UTC())
	for range 2 { // idempotent
		if _, err := post(t, s.Addr, wire.PathGrace, report, nil); err != nil {
			t.Fatal(err)
		}
	}
	st := status(t, s.Addr)
	if len(st.Graces) != 1 || st.Graces[0].User != "gus" {
		t.Fatalf("graces = %+v, want one for gus", st.Graces)
	}
	for _, f := range st.Features {
		if f.Name == "cad_pro" && (f.Grace != 1 || f.InUse != 0) {
			t.Fatalf("cad_pro %+v: want grace 1, in use 0 (grace is not taken from the pool)", f)
		}
	}
}

func TestEventsStream(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	resp, err := http.Get("http://" + s.Addr + wire.PathEvents)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan wire.Event, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var e wire.Event
				json.Unmarshal([]byte(data), &e)
				events <- e
			}
		}
		close(events)
	}()
	next := func() wire.Event {
		select {
		case e := <-events:
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
		}
		return wire.Event{}
	}
	if e := next(); e.Kind != wire.EventStart {
		t.Fatalf("first replayed event %+v, want start", e)
	}
	c := newClient("eve")
	if _, err := checkout(t, s.Addr, c, "r", "solver"); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Kind != wire.EventGrant || e.User != "eve" || e.Feature != "solver" {
		t.Fatalf("event %+v, want eve's grant of solver", e)
	}
	checkout(t, s.Addr, newClient("x"), "r", "solver")
	next()
	checkout(t, s.Addr, newClient("y"), "r", "solver") // COUNT 2: refused
	if e := next(); e.Kind != wire.EventDeny || e.Code != wire.CodeCountExhausted {
		t.Fatalf("event %+v, want a count_exhausted denial", e)
	}
}

func TestMetrics(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	checkout(t, s.Addr, newClient("m"), "r", "solver")
	checkout(t, s.Addr, newClient("m"), "r", "nope")
	resp, err := http.Get("http://" + s.Addr + wire.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`floatlic_licenses_in_use{feature="solver"} 1`,
		`floatlic_denials_total{feature="",code="unknown_feature"} 1`,
		`floatlic_requests_total{path="/v1/checkout",status="200"} 1`,
		`floatlic_request_duration_seconds_count{path="/v1/checkout"} 2`,
		`process_resident_memory_bytes`,
		"floatlic_commit_seconds_total ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The start note and the two checkouts went through batches.
	for _, name := range []string{"floatlic_batches_total", "floatlic_batch_commands_total", "floatlic_commits_total"} {
		if n := metricValue(string(body), name); n < 2 {
			t.Errorf("%s = %v, want at least 2", name, n)
		}
	}
}

// metricValue returns the value of an unlabelled metric, or -1.
func metricValue(body, name string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// Every subscriber gets the same bytes for an event (it is encoded once for
// all of them), and they are the server-sent event of that event.
func TestEventsStreamsAgree(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	var streams [2]chan string
	for i := range streams {
		resp, err := http.Get("http://" + s.Addr + wire.PathEvents)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		streams[i] = make(chan string, 64)
		go func(ch chan string) {
			defer close(ch)
			sc := bufio.NewScanner(resp.Body)
			var frame strings.Builder
			for sc.Scan() {
				frame.WriteString(sc.Text() + "\n")
				if sc.Text() == "" {
					ch <- frame.String()
					frame.Reset()
				}
			}
		}(streams[i])
	}
	if _, err := checkout(t, s.Addr, newClient("eve"), "r", "solver"); err != nil {
		t.Fatal(err)
	}
	grant := func(ch chan string) string {
		for {
			select {
			case f, ok := <-ch:
				if !ok {
					t.Fatal("stream ended")
				}
				if strings.Contains(f, "event: grant\n") {
					return f
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no grant within 5 s")
			}
		}
	}
	a, b := grant(streams[0]), grant(streams[1])
	if a != b {
		t.Fatalf("subscribers got different frames:\n%q\n%q", a, b)
	}
	lines := strings.Split(a, "\n")
	var e wire.Event
	if len(lines) != 5 || json.Unmarshal([]byte(strings.TrimPrefix(lines[2], "data: ")), &e) != nil ||
		lines[0] != fmt.Sprintf("id: %d", e.Seq) || lines[1] != "event: grant" || e.User != "eve" {
		t.Fatalf("grant frame %q", a)
	}
}
