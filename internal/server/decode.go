package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/floatlic/floatlic/internal/wire"
)

// decode reads exactly one JSON object of the request's type from body,
// strictly: no unknown field, no field twice, nothing after the object.
// The caller has read the body whole and bounded its size.
//
// encoding/json refuses unknown fields but lets a repeated key overwrite the
// first. A request that says two things at once ("session" twice, or
// "user" and "User", which encoding/json maps to one field) is refused
// instead: a proxy or a log may have read the other one.
func decode(body []byte, v any) *wire.Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return wire.Errorf(wire.CodeBadRequest, "request body has more than one JSON value")
	}
	if key, ok := repeatedKey(body); ok {
		return wire.Errorf(wire.CodeBadRequest, "request has the field %q more than once", key)
	}
	return nil
}

// repeatedKey reports the first key that stands twice in one object of
// body, comparing keys without case as encoding/json matches them to
// fields. body is one valid JSON value: decode has parsed it.
func repeatedKey(body []byte) (string, bool) {
	type object struct {
		keys    map[string]bool
		wantKey bool // the next string is a key, not a value
	}
	var open []*object // innermost last; nil for an array
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *object
		if len(open) > 0 {
			top = open[len(open)-1]
		}
		if s, isString := tok.(string); isString && top != nil && top.wantKey {
			key := strings.ToLower(s)
			if top.keys[key] {
				return s, true
			}
			top.keys[key], top.wantKey = true, false
			continue
		}
		if top != nil {
			top.wantKey = true // a value ends here or starts a nested one
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, &object{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			open = append(open, nil)
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
		}
	}
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
		field := typ.Field[strings.LastIndex(typ.Field, ".")+1:] // "Client.pid": the embedded struct is no field of the request
		return wire.Errorf(wire.CodeBadRequest, "field %q must be a %s, not %s", field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return wire.Errorf(wire.CodeBadRequest, "request has an %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return wire.Errorf(wire.CodeBadRequest, "bad request body: %v", err)
}
