package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/wire"
)

func TestDecodeIsStrict(t *testing.T) {
	ann := wire.Client{Session: "s1", User: "ann", Host: "ws1", PID: 42}
	tests := []struct {
		name, body string
		want       wire.CheckoutRequest // when err is ""
		err        string
	}{
		{"plain", `{"session":"s1","user":"ann","host":"ws1","pid":42,"request_id":"r1","feature":"cad"}`,
			wire.CheckoutRequest{Client: ann, RequestID: "r1", Feature: "cad"}, ""},
		{"white space and escapes", " {\"session\" : \"s\\u0031\",\n\"user\":\"ann\",\"host\":\"ws1\",\"pid\":42} \n",
			wire.CheckoutRequest{Client: ann}, ""},
		{"empty object", `{}`, wire.CheckoutRequest{}, ""},
		{"field twice", `{"session":"s1","session":"s2"}`, wire.CheckoutRequest{}, `field "session" more than once`},
		{"a field in another case", `{"user":"ann","USER":"bob"}`, wire.CheckoutRequest{}, `unknown field "USER"`},
		{"unknown field", `{"session":"s1","extra":1}`, wire.CheckoutRequest{}, `unknown field "extra"`},
		{"invalid UTF-8", "{\"user\":\"\xff\"}", wire.CheckoutRequest{}, "not valid JSON"},
		{"two values", `{"session":"s1"} {}`, wire.CheckoutRequest{}, "more than one JSON value"},
		{"trailing comma", `{"session":"s1",}`, wire.CheckoutRequest{}, "not valid JSON"},
		{"truncated", `{"session":"s1"`, wire.CheckoutRequest{}, "bad request body"},
		{"empty", ` `, wire.CheckoutRequest{}, "empty"},
		{"array", `[]`, wire.CheckoutRequest{}, "must be a JSON object, not array"},
		{"fraction", `{"pid":1.5}`, wire.CheckoutRequest{}, `field "pid" must be a int, not number`},
		{"string for int", `{"pid":"1"}`, wire.CheckoutRequest{}, `field "pid" must be a int, not string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got wire.CheckoutRequest
			err := decode([]byte(tt.body), &got)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.err == "" && !reflect.DeepEqual(got, tt.want):
				t.Fatalf("got %+v, want %+v", got, tt.want)
			case tt.err != "" && (err == nil || err.Code != wire.CodeBadRequest || !strings.Contains(err.Message, tt.err)):
				t.Fatalf("got %v, want bad_request saying %q", err, tt.err)
			}
		})
	}
}

// decode accepts nothing encoding/json would refuse, and reads what it
// accepts as encoding/json does.
func FuzzDecode(f *testing.F) {
	for _, b := range []string{
		`{"session":"s1","user":"ann","host":"ws1","pid":42,"request_id":"r1","feature":"cad","version":"2.0","count":2}`,
		`{"session":"s1","session":"s2"}`, `{"Session":"s1"}`, `{"session":"a\"b"}`, `{"count":-1}`, `{"x":[{"y":1}]}`,
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var strict, loose wire.CheckoutRequest
		if decode(body, &strict) != nil {
			return
		}
		if err := json.Unmarshal(body, &loose); err != nil || !reflect.DeepEqual(strict, loose) {
			t.Fatalf("%q: decode %+v; encoding/json %+v, %v", body, strict, loose, err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	body, _ := json.Marshal(wire.CheckoutRequest{Client: wire.Client{Session: "0123456789abcdef0123456789abcdef",
		User: "ann", Host: "ws1.example.com", PID: 4242}, RequestID: "0123456789abcdef0123456789abcdef", Feature: "cad_pro", Version: "2.0"})
	b.ReportAllocs()
	for b.Loop() {
		var req wire.CheckoutRequest
		if err := decode(body, &req); err != nil {
			b.Fatal(err)
		}
	}
}
