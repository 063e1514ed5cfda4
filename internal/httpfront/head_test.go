package httpfront

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// goClientHead is the head Go's http.Client sends for a small JSON POST.
const goClientHead = "POST /v1/checkout HTTP/1.1\r\n" +
	"Host: 127.0.0.1:6200\r\n" +
	"User-Agent: Go-http-client/1.1\r\n" +
	"Content-Length: 12\r\n" +
	"Content-Type: application/json\r\n" +
	"Accept-Encoding: gzip\r\n" +
	"\r\n"

// minimalHead builds a head from a request line and header lines, each
// given without its CRLF.
func minimalHead(requestLine string, fields ...string) string {
	var b strings.Builder
	b.WriteString(requestLine + "\r\n")
	for _, f := range fields {
		b.WriteString(f + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

var parseHeadAccepted = []struct {
	name  string
	head  string
	route string
	n     int
}{
	{"go client", goClientHead, "POST /v1/checkout", 12},
	{"mixed case names", minimalHead("POST /a HTTP/1.1", "hOsT: x", "content-LENGTH: 3"), "POST /a", 3},
	{"keep-alive", minimalHead("POST /a HTTP/1.1", "Host: x", "Connection: keep-alive", "Content-Length: 1"), "POST /a", 1},
	{"Connection: close", minimalHead("POST /a HTTP/1.1", "Host: x", "Connection: Close", "Content-Length: 1"), "POST /a", 1},
	{"keep-alive any case", minimalHead("POST /a HTTP/1.1", "Host: x", "connection: Keep-Alive", "Content-Length: 1"), "POST /a", 1},
	{"OWS around values", minimalHead("POST /a HTTP/1.1", "Host: \t x \t", "Content-Length:  5\t"), "POST /a", 5},
	{"no space after colon", minimalHead("POST /a HTTP/1.1", "Host:x", "Content-Length:5"), "POST /a", 5},
	{"zero length", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 0"), "POST /a", 0},
	{"leading zeros", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 0000000007"), "POST /a", 7},
	{"largest length", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 1073741824"), "POST /a", 1 << 30},
	{"IPv6 host", minimalHead("POST /a HTTP/1.1", "Host: [::1]:6200", "Content-Length: 1"), "POST /a", 1},
	{"empty value", minimalHead("POST /a HTTP/1.1", "Host: x", "X-Empty:", "Content-Length: 1"), "POST /a", 1},
	{"obs-text value", minimalHead("POST /a HTTP/1.1", "Host: x", "X-Name: caf\xc3\xa9", "Content-Length: 1"), "POST /a", 1},
	{"other method", minimalHead("PUT /a/b.c HTTP/1.1", "Host: x", "Content-Length: 1"), "PUT /a/b.c", 1},
}

var parseHeadRefused = []struct {
	name string
	head string
}{
	{"HTTP/1.0", minimalHead("POST /a HTTP/1.0", "Host: x", "Content-Length: 1")},
	{"query", minimalHead("POST /a?b=c HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"escape in path", minimalHead("POST /a%20b HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"target not a path", minimalHead("POST x HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"method not a token", minimalHead("P(ST /a HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"numeric request line", minimalHead("0 0 HTTP/1.1", "Host:0", "Content-Length:0")},
	{"HTTP/2.0", minimalHead("POST /a HTTP/2.0", "Host: x", "Content-Length: 1")},
	{"lower-case version", minimalHead("POST /a http/1.1", "Host: x", "Content-Length: 1")},
	{"Connection: close, Upgrade", minimalHead("POST /a HTTP/1.1", "Host: x", "Connection: close, Upgrade", "Content-Length: 1")},
	{"Connection: keep-alive, Upgrade", minimalHead("POST /a HTTP/1.1", "Host: x", "Connection: keep-alive, Upgrade", "Content-Length: 1")},
	{"chunked", minimalHead("POST /a HTTP/1.1", "Host: x", "Transfer-Encoding: chunked")},
	{"chunked and length", minimalHead("POST /a HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "Content-Length: 1")},
	{"identity encoding", minimalHead("POST /a HTTP/1.1", "Host: x", "Transfer-Encoding: identity", "Content-Length: 1")},
	{"Expect", minimalHead("POST /a HTTP/1.1", "Host: x", "Expect: 100-continue", "Content-Length: 1")},
	{"Upgrade", minimalHead("POST /a HTTP/1.1", "Host: x", "Upgrade: websocket", "Content-Length: 1")},
	{"no Host", minimalHead("POST /a HTTP/1.1", "Content-Length: 1")},
	{"empty Host", minimalHead("POST /a HTTP/1.1", "Host:", "Content-Length: 1")},
	{"two Hosts", minimalHead("POST /a HTTP/1.1", "Host: x", "host: x", "Content-Length: 1")},
	{"Host with @", minimalHead("POST /a HTTP/1.1", "Host: a@b", "Content-Length: 1")},
	{"Host with %", minimalHead("POST /a HTTP/1.1", "Host: a%41", "Content-Length: 1")},
	{"Host with space", minimalHead("POST /a HTTP/1.1", "Host: a b", "Content-Length: 1")},
	{"Host with slash", minimalHead("POST /a HTTP/1.1", "Host: a/b", "Content-Length: 1")},
	{"no Content-Length", minimalHead("POST /a HTTP/1.1", "Host: x")},
	{"two Content-Lengths", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 1", "Content-Length: 1")},
	{"Content-Length +5", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: +5")},
	{"Content-Length -1", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: -1")},
	{"Content-Length 1,1", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 1,1")},
	{"Content-Length 1 1", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 1 1")},
	{"Content-Length empty", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: ")},
	{"Content-Length hex", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 0x5")},
	{"Content-Length over 1<<30", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 1073741825")},
	{"Content-Length huge", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 99999999999999999999")},
	{"Content-Length 11 digits", minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 00000000001")},
	{"obs-fold", minimalHead("POST /a HTTP/1.1", "Host: x", "X-Long: a", " b", "Content-Length: 1")},
	{"obs-fold tab", minimalHead("POST /a HTTP/1.1", "Host: x", "X-Long: a", "\tb", "Content-Length: 1")},
	{"leading space on first field", minimalHead("POST /a HTTP/1.1", " Host: x", "Content-Length: 1")},
	{"bare LF", "POST /a HTTP/1.1\nHost: x\nContent-Length: 1\n\n"},
	{"bare LF in one line", "POST /a HTTP/1.1\r\nHost: x\nContent-Length: 1\r\n\r\n"},
	{"bare LF after request line", "POST /a HTTP/1.1\nHost: x\r\nContent-Length: 1\r\n\r\n"},
	{"bare LF at the end", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\n"},
	{"CR in value", minimalHead("POST /a HTTP/1.1", "Host: x", "X-A: a\rb", "Content-Length: 1")},
	{"field without colon", minimalHead("POST /a HTTP/1.1", "Host: x", "X-A", "Content-Length: 1")},
	{"empty field name", minimalHead("POST /a HTTP/1.1", "Host: x", ": a", "Content-Length: 1")},
	{"space before colon", minimalHead("POST /a HTTP/1.1", "Host : x", "Content-Length: 1")},
	{"non-token name", minimalHead("POST /a HTTP/1.1", "Host: x", "X(A): a", "Content-Length: 1")},
	{"NUL in value", minimalHead("POST /a HTTP/1.1", "Host: x", "X-A: a\x00b", "Content-Length: 1")},
	{"control char in value", minimalHead("POST /a HTTP/1.1", "Host: x", "X-A: a\x01b", "Content-Length: 1")},
	{"DEL in value", minimalHead("POST /a HTTP/1.1", "Host: x", "X-A: a\x7fb", "Content-Length: 1")},
	{"request line one space", minimalHead("POST /aHTTP/1.1", "Host: x", "Content-Length: 1")},
	{"request line no space", minimalHead("POST", "Host: x", "Content-Length: 1")},
	{"request line three spaces", minimalHead("POST /a b HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"request line double space", minimalHead("POST  /a HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"request line trailing space", minimalHead("POST /a HTTP/1.1 ", "Host: x", "Content-Length: 1")},
	{"request line leading space", minimalHead(" POST /a HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"empty target", minimalHead("POST  HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"empty request line", minimalHead("", "Host: x", "Content-Length: 1")},
	{"blank line before request", "\r\n" + minimalHead("POST /a HTTP/1.1", "Host: x", "Content-Length: 1")},
	{"no end", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"},
	{"empty", ""},
}

func TestParseHead(t *testing.T) {
	for _, tt := range parseHeadAccepted {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := parseHead([]byte(tt.head))
			if !ok {
				t.Fatalf("parseHead(%q) refused it", tt.head)
			}
			if string(h.route) != tt.route || h.contentLength != tt.n {
				t.Errorf("parseHead(%q) = %q, %d; want %q, %d", tt.head, h.route, h.contentLength, tt.route, tt.n)
			}
		})
	}
	for _, tt := range parseHeadRefused {
		t.Run(tt.name, func(t *testing.T) {
			if h, ok := parseHead([]byte(tt.head)); ok {
				t.Errorf("parseHead(%q) = %q, %d; want it refused", tt.head, h.route, h.contentLength)
			}
		})
	}
}

func TestIndexHeadEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", -1},
		{"POST", -1},
		{"POST /a HTTP/1.1\r\n", -1},
		{"POST /a HTTP/1.1\r\nHost: x\r\n", -1},
		{"POST /a HTTP/1.1\r\nHost: x\r\n\r", -1}, // the last LF has not come yet
		{"POST /a HTTP/1.1\r\nHost: x\r\n\r\n", 29},
		{"POST /a HTTP/1.1\r\nHost: x\r\n\r\nbody", 29},
		{"POST /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\n\r\n", 29},
		{"\r\n\r\n", 4},
		{"\r\n", -1},
		{"\n\n", 2},
		{"\n", -1},
		{"GET / HTTP/1.1\nHost: x\n\n", 24},
		{"GET / HTTP/1.1\nHost: x\n\nbody", 24},
		{"A\r\n\n", 4},  // CRLF then a bare LF
		{"A\n\r\n", 4},  // a bare LF then CRLF
		{"A\r\r\n", -1}, // CR CR LF is no empty line
		{"A\n\rB\n", -1},
		{"A\r\nB\r\n\r\n", 8},
		{goClientHead, len(goClientHead)},
		{goClientHead + "{\"lease\":1}\n", len(goClientHead)},
	}
	for _, tt := range tests {
		if got := indexHeadEnd([]byte(tt.in)); got != tt.want {
			t.Errorf("indexHeadEnd(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzParseHead checks parseHead against net/http: a head the front
// serves itself must be one net/http reads the same way, so that the
// front never answers a request net/http would have refused or read
// differently.
func FuzzParseHead(f *testing.F) {
	for _, tt := range parseHeadAccepted {
		f.Add([]byte(tt.head))
		f.Add([]byte(tt.head + "body"))
	}
	for _, tt := range parseHeadRefused {
		f.Add([]byte(tt.head))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n := indexHeadEnd(b)
		if n < 0 {
			return
		}
		if n > len(b) || !bytes.HasSuffix(b[:n], []byte("\n")) {
			t.Fatalf("indexHeadEnd(%q) = %d, not the end of a line", b, n)
		}
		h, ok := parseHead(b[:n])
		if !ok {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b[:n])))
		if err != nil {
			t.Fatalf("parseHead(%q) = %q, %d; net/http refuses it: %v", b[:n], h.route, h.contentLength, err)
		}
		if got := req.Method + " " + req.RequestURI; got != string(h.route) {
			t.Errorf("parseHead(%q) route %q; net/http reads %q", b[:n], h.route, got)
		}
		if req.ContentLength != int64(h.contentLength) {
			t.Errorf("parseHead(%q) length %d; net/http reads %d", b[:n], h.contentLength, req.ContentLength)
		}
		if req.Close != h.close || len(req.TransferEncoding) != 0 || req.ProtoMajor != 1 || req.ProtoMinor != 1 {
			t.Errorf("parseHead(%q) accepted; net/http reads Close=%v TransferEncoding=%q proto=%d.%d",
				b[:n], req.Close, req.TransferEncoding, req.ProtoMajor, req.ProtoMinor)
		}
	})
}

// TestParseHeadGoClient checks the head Go's own client writes, rather
// than a copy of it, so that a change in what the client sends shows up.
func TestParseHeadGoClient(t *testing.T) {
	for _, size := range []int{0, 12, 4096} {
		body := strings.Repeat("x", size)
		req, err := http.NewRequest("POST", "http://127.0.0.1:6200/v1/checkout", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		var buf bytes.Buffer
		if err := req.Write(&buf); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		n := indexHeadEnd(b)
		if n < 0 || len(b)-n != size {
			t.Fatalf("indexHeadEnd(%q) = %d, want the head's length %d", b, n, len(b)-size)
		}
		h, ok := parseHead(b[:n])
		if !ok || string(h.route) != "POST /v1/checkout" || h.contentLength != size {
			t.Errorf("parseHead(%q) = %q, %d, %v; want %q, %d, true", b[:n], h.route, h.contentLength, ok, "POST /v1/checkout", size)
		}
	}
}
