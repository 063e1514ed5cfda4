package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/floatlic/floatlic/internal/wire"
)

// decode reads exactly one JSON object of the request's type, with no
// unknown fields and nothing after it.
//
// The caller has read the body whole, and bounded its size. The three
// requests a busy server mostly gets (checkout, checkin, heartbeat) in
// their usual form — the fields by their exact names, strings without
// escapes, integers, booleans — are parsed by hand, several times faster
// than encoding/json and with no garbage; anything else, including every
// malformed request, goes to encoding/json, which decides and words the
// error. So the fast path never changes what is accepted or what a refusal
// says.
func decode(body []byte, v any) *wire.Error {
	if decodeFast(body, v) {
		return nil
	}
	reset(v)
	return decodeJSON(body, v)
}

// reset zeroes the request v points to, after decodeFast gave up half-way.
func reset(v any) {
	switch req := v.(type) {
	case *wire.CheckoutRequest:
		*req = wire.CheckoutRequest{}
	case *wire.CheckinRequest:
		*req = wire.CheckinRequest{}
	case *wire.HeartbeatRequest:
		*req = wire.HeartbeatRequest{}
	}
}

// decodeJSON is the general decoder: encoding/json, strict.
func decodeJSON(body []byte, v any) *wire.Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return wire.Errorf(wire.CodeBadRequest, "request body has more than one JSON value")
	}
	return nil
}

func decodeError(err error) *wire.Error {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return wire.Errorf(wire.CodeBadRequest, "request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return wire.Errorf(wire.CodeBadRequest, "request body is empty: send a JSON object")
	case errors.As(err, &syntax):
		return wire.Errorf(wire.CodeBadRequest, "request body is not valid JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		return wire.Errorf(wire.CodeBadRequest, "field %q must be a %s, not %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return wire.Errorf(wire.CodeBadRequest, "request has an %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return wire.Errorf(wire.CodeBadRequest, "bad request body: %v", err)
}

// decodeFast parses body into v when v is one of the hot request types and
// body is in the plain form decode describes, and reports whether it did.
// When it reports false, v may be partly set: decode it again from zero.
func decodeFast(body []byte, v any) bool {
	switch req := v.(type) {
	case *wire.CheckoutRequest:
		return parseObject(body, func(p *parser, key []byte) bool {
			switch string(key) {
			case "request_id":
				return p.str(&req.RequestID)
			case "feature":
				return p.str(&req.Feature)
			case "version":
				return p.str(&req.Version)
			case "count":
				return p.int(&req.Count)
			}
			return clientField(p, key, &req.Client)
		})
	case *wire.CheckinRequest:
		return parseObject(body, func(p *parser, key []byte) bool {
			switch string(key) {
			case "checkout_id":
				return p.str(&req.CheckoutID)
			case "all":
				return p.bool(&req.All)
			}
			return clientField(p, key, &req.Client)
		})
	case *wire.HeartbeatRequest:
		return parseObject(body, func(p *parser, key []byte) bool {
			return clientField(p, key, &req.Client)
		})
	}
	return false
}

func clientField(p *parser, key []byte, c *wire.Client) bool {
	switch string(key) {
	case "session":
		return p.str(&c.Session)
	case "user":
		return p.str(&c.User)
	case "host":
		return p.str(&c.Host)
	case "pid":
		return p.int(&c.PID)
	}
	return false // unknown, or not in its exact spelling: encoding/json decides
}

// parser reads the plain JSON decodeFast accepts; every method returns
// false on anything else.
type parser struct {
	b []byte
	i int
}

// parseObject parses one object and nothing but white space after it,
// calling field with the parser at each value.
func parseObject(b []byte, field func(p *parser, key []byte) bool) bool {
	p := parser{b: b}
	if !p.byte('{') {
		return false
	}
	if p.ws(); p.peek() == '}' {
		p.i++
	} else {
		for {
			key, ok := p.raw()
			if !ok || !p.byte(':') || !field(&p, key) {
				return false
			}
			if p.byte('}') {
				break
			}
			if !p.byte(',') {
				return false
			}
		}
	}
	p.ws()
	return p.i == len(p.b)
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// byte skips white space and then c.
func (p *parser) byte(c byte) bool {
	p.ws()
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// str reads a string without escapes or control characters, in valid UTF-8.
func (p *parser) str(dst *string) bool {
	s, ok := p.raw()
	if ok {
		*dst = string(s)
	}
	return ok
}

// raw reads a string as str does and returns its bytes, without copying.
func (p *parser) raw() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start, ascii := p.i, true
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			p.i++
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// int reads an integer of at most 18 digits: no fraction, no exponent.
func (p *parser) int(dst *int) bool {
	p.ws()
	neg := p.peek() == '-'
	if neg {
		p.i++
	}
	start := p.i
	n := 0
	for ; p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9'; p.i++ {
		n = n*10 + int(p.b[p.i]-'0')
	}
	digits := p.i - start
	switch {
	case digits == 0 || digits > 18 || digits > 1 && p.b[start] == '0':
		return false
	case p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E'):
		return false
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}

func (p *parser) bool(dst *bool) bool {
	p.ws()
	switch {
	case bytes.HasPrefix(p.b[p.i:], []byte("true")):
		*dst, p.i = true, p.i+4
	case bytes.HasPrefix(p.b[p.i:], []byte("false")):
		*dst, p.i = false, p.i+5
	default:
		return false
	}
	return true
}
