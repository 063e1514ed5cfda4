package server

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/floatlic/floatlic/internal/wire"
)

// decodeBodies are request bodies in and out of the fast path's plain form.
var decodeBodies = []string{
	`{"session":"s1","user":"ann","host":"ws1","pid":42,"request_id":"r1","feature":"cad","version":"2.0"}`,
	`{"session":"s1","user":"ann","host":"ws1","pid":42,"request_id":"r1","feature":"cad","version":"","count":3}`,
	` { "session" : "s1" , "user":"ann","host":"ws1","pid":-7 } ` + "\n",
	`{"session":"s1","user":"ann","host":"ws1","pid":0,"checkout_id":"c1"}`,
	`{"session":"s1","user":"ann","host":"ws1","pid":0,"all":true}`,
	`{"session":"s1","user":"ann","host":"ws1","pid":0,"all":false,"checkout_id":"c"}`,
	`{"session":"s1","user":"änn","host":"ws1","pid":1}`,
	`{}`,
	`{"session":"s1","session":"s2"}`,
	// Not plain: encoding/json decides.
	`{"Session":"s1"}`,
	`{"session":"s\u0031"}`,
	`{"session":"a\"b"}`,
	`{"session":"` + "\xff" + `"}`,
	`{"session":"s1","pid":1.5}`,
	`{"session":"s1","pid":1e3}`,
	`{"session":"s1","pid":01}`,
	`{"session":"s1","pid":"1"}`,
	`{"session":"s1","pid":null}`,
	`{"session":"s1","pid":1234567890123456789012}`,
	`{"session":"s1","count":-1}`,
	`{"session":"s1","all":1}`,
	`{"session":"s1","extra":1}`,
	`{"session":"s1",}`,
	`{"session":"s1"} {}`,
	`{"session":"s1"`,
	`[]`,
	``,
	`{"session":"s1","user":"` + "\t" + `"}`,
}

// The fast path accepts only what encoding/json accepts, with the same result.
func TestDecodeFastAgreesWithJSON(t *testing.T) {
	accepted := 0
	for _, body := range decodeBodies {
		for _, newReq := range []func() any{
			func() any { return new(wire.CheckoutRequest) },
			func() any { return new(wire.CheckinRequest) },
			func() any { return new(wire.HeartbeatRequest) },
		} {
			fast, slow := newReq(), newReq()
			if !decodeFast([]byte(body), fast) {
				continue
			}
			accepted++
			if err := decodeJSON([]byte(body), slow); err != nil {
				t.Errorf("%T %s: fast path accepted what encoding/json refuses: %v", fast, body, err)
				continue
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Errorf("%T %s: fast %+v, encoding/json %+v", fast, body, fast, slow)
			}
		}
	}
	if accepted < 10 {
		t.Errorf("the fast path took only %d bodies", accepted)
	}
}

// What the client sends takes the fast path.
func TestClientRequestsTakeTheFastPath(t *testing.T) {
	c := wire.Client{Session: "0123456789abcdef0123456789abcdef", User: "ann", Host: "ws1.example.com", PID: 4242}
	for _, req := range []any{
		wire.CheckoutRequest{Client: c, RequestID: "r1", Feature: "cad_pro", Version: "2.0"},
		wire.CheckoutRequest{Client: c, RequestID: "r1", Feature: "cad_pro", Count: 2},
		wire.CheckinRequest{Client: c, CheckoutID: "c1"},
		wire.CheckinRequest{Client: c, All: true},
		wire.HeartbeatRequest{Client: c},
	} {
		body, _ := json.Marshal(req)
		dst := reflect.New(reflect.TypeOf(req))
		if !decodeFast(body, dst.Interface()) || !reflect.DeepEqual(dst.Elem().Interface(), req) {
			t.Errorf("%s: not decoded by the fast path, or wrongly: %+v", body, dst.Elem().Interface())
		}
	}
}

func FuzzDecodeFast(f *testing.F) {
	for _, b := range decodeBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, slow := new(wire.CheckoutRequest), new(wire.CheckoutRequest)
		if !decodeFast(body, fast) {
			return
		}
		if err := decodeJSON(body, slow); err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %+v; encoding/json %+v, %v", body, fast, slow, err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	body, _ := json.Marshal(wire.CheckoutRequest{Client: wire.Client{Session: "0123456789abcdef0123456789abcdef",
		User: "ann", Host: "ws1.example.com", PID: 4242}, RequestID: "0123456789abcdef0123456789abcdef", Feature: "cad_pro", Version: "2.0"})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var req wire.CheckoutRequest
			if !decodeFast(body, &req) {
				b.Fatal("not fast")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var req wire.CheckoutRequest
			if err := decodeJSON(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
