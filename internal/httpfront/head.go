package httpfront

import (
	"bytes"
	"strings"
)

// head is what the front needs of a request head.
type head struct {
	route         []byte // method and target: "POST /v1/checkout"
	contentLength int
	close         bool // Connection: close, the client's last request
}

// maxContentLength bounds the digits of a Content-Length the front reads.
const maxContentLength = 1 << 30

// indexHeadEnd returns the length of the head at the start of b, through
// the empty line that ends it, or -1 if b holds no empty line yet. A head
// with bare LF line ends is found too, for parseHead to refuse.
func indexHeadEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j
		switch {
		case i+1 < len(b) && b[i+1] == '\n':
			return i + 2
		case i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n':
			return i + 3
		}
	}
	return -1
}

// parseHead parses a request head that indexHeadEnd found, and reports
// whether it is one the front serves itself: an HTTP/1.1 request line with
// a plain path,
// well-formed header fields with CRLF line ends, one Host of plain
// characters, one Content-Length, and no header the front would have to
// act on (Transfer-Encoding, Expect, Upgrade, Connection other than
// keep-alive or close). Every other head is net/http's to decide.
func parseHead(h []byte) (head, bool) {
	line, rest, ok := cutLine(h)
	if !ok {
		return head{}, false
	}
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return head{}, false
	}
	end := bytes.IndexByte(line[sp+1:], ' ') + sp + 1
	if end <= sp+1 || string(line[end+1:]) != "HTTP/1.1" || !isToken(line[:sp]) || !plainPath(line[sp+1:end]) {
		return head{}, false
	}
	req := head{route: line[:end], contentLength: -1}
	hosts := 0
	for {
		if line, rest, ok = cutLine(rest); !ok {
			return head{}, false
		}
		if len(line) == 0 {
			break // the empty line: indexHeadEnd made it the last
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return head{}, false
		}
		name, value := line[:colon], trimSpace(line[colon+1:])
		if !validValue(value) {
			return head{}, false
		}
		switch {
		case equalFold(name, "content-length"):
			n, ok := parseLength(value)
			if !ok || req.contentLength >= 0 {
				return head{}, false
			}
			req.contentLength = n
		case equalFold(name, "host"):
			hosts++
			if !plainHost(value) {
				return head{}, false
			}
		case equalFold(name, "connection"):
			switch {
			case equalFold(value, "close"):
				req.close = true
			case !equalFold(value, "keep-alive"):
				return head{}, false
			}
		case equalFold(name, "transfer-encoding"), equalFold(name, "expect"), equalFold(name, "upgrade"):
			return head{}, false
		}
	}
	return req, hosts == 1 && req.contentLength >= 0 && len(rest) == 0
}

// cutLine cuts a CRLF-ended line off b.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	return b[:i-1], b[i+1:], true
}

// isToken reports whether b is a header field name (RFC 9110's token).
func isToken(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// plainPath reports whether b is an absolute path of letters, digits and
// "/-._~" only, as every route is: no query, no escapes.
func plainPath(b []byte) bool {
	if len(b) == 0 || b[0] != '/' {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// validValue reports whether b is a field value without control
// characters (tabs aside) or DEL.
func validValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// plainHost reports whether b is a non-empty host of letters, digits and
// ".-_:[]" only: every such host is valid to net/http too.
func plainHost(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return len(b) > 0
}

// parseLength parses a Content-Length of decimal digits only.
func parseLength(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= maxContentLength
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold reports whether b equals the lower-case ASCII s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
