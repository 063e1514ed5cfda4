package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

// TestFrontAgreesWithNetHTTP sends each request twice on loopback: as a
// plain request with a Content-Length, which licd's front serves itself,
// and with a chunked body, which the front hands to net/http (package
// httpfront's tests show it does). Both must answer alike: the same status
// and headers, and the same body byte for byte where the reply is the same
// (refusals, a repeated request id's checkout).
func TestFrontAgreesWithNetHTTP(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	session := `"session":"0123456789abcdef0123456789abcdef","user":"ann","host":"ws1","pid":7`
	tests := []struct {
		name, path, body string
		status           int
		sameBytes        bool
	}{
		{"checkout", wire.PathCheckout, `{` + session + `,"request_id":"r1","feature":"cad_view"}`, 200, true},
		{"heartbeat", wire.PathHeartbeat, `{` + session + `}`, 200, false},
		{"borrow", wire.PathBorrow, `{` + session + `,"request_id":"b1","feature":"solver","hours":2}`, 200, false},
		{"not JSON", wire.PathCheckout, `checkout please`, 400, true},
		{"unknown field", wire.PathCheckout, `{` + session + `,"request_id":"r","feature":"cad_pro","colour":"red"}`, 400, true},
		{"unknown feature", wire.PathCheckout, `{` + session + `,"request_id":"r2","feature":"nope"}`, 404, true},
		{"empty body", wire.PathHeartbeat, ``, 400, true},
		{"checkin neither", wire.PathCheckin, `{` + session + `}`, 400, true},
		{"escaped strings", wire.PathCheckout, `{` + session + `,"request_id":"r3","feature":"caf\u00e9 \"x\""}`, 404, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			front := rawPost(t, s.Addr, tt.path, tt.body, false)
			slow := rawPost(t, s.Addr, tt.path, tt.body, true)
			if front.status != tt.status || slow.status != tt.status {
				t.Fatalf("status: front %d, net/http %d, want %d (%s)", front.status, slow.status, tt.status, front.body)
			}
			for _, h := range []string{"Content-Type", wire.InstanceHeader} {
				if front.header.Get(h) != slow.header.Get(h) || front.header.Get(h) == "" {
					t.Errorf("%s: front %q, net/http %q", h, front.header.Get(h), slow.header.Get(h))
				}
			}
			if tt.sameBytes {
				if !bytes.Equal(front.body, slow.body) {
					t.Fatalf("bodies differ:\nfront    %s\nnet/http %s", front.body, slow.body)
				}
				return
			}
			if fk, sk := jsonKeys(t, front.body), jsonKeys(t, slow.body); !slices.Equal(fk, sk) {
				t.Fatalf("reply fields: front %v, net/http %v", fk, sk)
			}
		})
	}
	// Both paths count in the same metrics.
	resp, err := http.Get("http://" + s.Addr + wire.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m, _ := io.ReadAll(resp.Body)
	if want := `floatlic_requests_total{path="/v1/heartbeat",status="400"} 2`; !strings.Contains(string(m), want) {
		t.Errorf("metrics do not say %s:\n%s", want, m)
	}
}

type rawReply struct {
	status int
	header http.Header
	body   []byte
}

// rawPost writes a POST on a connection of its own, its body chunked if
// asked.
func rawPost(t *testing.T, addr, path, body string, chunked bool) rawReply {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if chunked {
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", path, addr)
		if body != "" {
			fmt.Fprintf(c, "%x\r\n%s\r\n", len(body), body)
		}
		fmt.Fprint(c, "0\r\n\r\n")
	} else {
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			path, addr, len(body), body)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read reply: %v", path, err)
	}
	return rawReply{status: resp.StatusCode, header: resp.Header, body: b}
}

func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("reply %s: %v", b, err)
	}
	return slices.Sorted(maps.Keys(m))
}
