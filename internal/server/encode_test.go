package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// appendReply writes what encoding/json writes.
func TestAppendReplyAgreesWithJSON(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.FixedZone("X", 3600))
	odd := []string{"", "plain", `q"uote`, `back\slash`, "<b>&amp;</b>", "tab\tnl\n", "ünïcode", "\u2028", "bad\xffutf8", "\x7f"}
	var replies []any
	for i, s := range odd {
		replies = append(replies,
			wire.CheckoutReply{Instance: s, CheckoutID: "c", Feature: s, Version: "1.0", Count: i, Since: now,
				LeaseSeconds: []float64{105, 0.5, 1e21, -3, 0}[i%5], HeartbeatSeconds: 30, Expires: s, GraceToken: s, ServerKey: s},
			wire.CheckinReply{Instance: s, Released: -i},
			wire.HeartbeatReply{Instance: s, LeaseUntil: now.AddDate(i*1000, 0, 0), HeartbeatSeconds: math.Copysign(0, -1), Checkouts: []string{s, "x"}},
			&wire.CheckoutInfo{ID: s, Feature: s, Version: s, Count: i, User: s, Host: s, PID: -i, Session: s,
				Since: now, LastHeartbeat: now.AddDate(i*1000, 0, 0), LeaseUntil: time.Time{}})
	}
	replies = append(replies, wire.HeartbeatReply{}, wire.HeartbeatReply{Checkouts: []string{}}, wire.CheckoutReply{},
		wire.CheckoutReply{Since: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)}, wire.CheckoutReply{LeaseSeconds: math.NaN()},
		&wire.CheckoutInfo{}, &wire.CheckoutInfo{Since: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	for _, r := range replies {
		var want bytes.Buffer
		werr := json.NewEncoder(&want).Encode(r)
		got, ok := appendReply(nil, r)
		if ok != (werr == nil) || ok && string(got) != want.String() {
			t.Errorf("%+v:\n got %s (%v)\nwant %s (%v)", r, got, ok, want.String(), werr)
		}
	}
	if _, ok := appendReply(nil, wire.Status{}); ok {
		t.Error("appendReply took a type it does not know")
	}
}

func BenchmarkEncode(b *testing.B) {
	reply := wire.CheckoutReply{Instance: "0123456789abcdef0123456789abcdef", CheckoutID: "fedcba9876543210fedcba9876543210",
		Feature: "cad_pro", Version: "2.0", Count: 1, Since: time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC),
		LeaseSeconds: 420, HeartbeatSeconds: 120, Expires: "2027-12-31"}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for range b.N {
			var ok bool
			if buf, ok = appendReply(buf[:0], reply); !ok {
				b.Fatal("not appended")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for range b.N {
			buf.Reset()
			if err := json.NewEncoder(&buf).Encode(reply); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The streamed status is what encoding/json writes for the whole value.
func TestStreamStatusAgreesWithJSON(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.FixedZone("X", 3600))
	full := &wire.Status{
		Server:   wire.ServerInfo{Instance: "i<1>", Role: "single", Serving: true, Addr: "127.0.0.1:1", Started: now, Version: "v&1", Now: now},
		Features: []wire.FeatureStatus{{Name: "cad", Version: "1.0", Count: 5, InUse: 1, Expires: "permanent", GraceHours: 24}},
		Checkouts: []wire.CheckoutInfo{
			{ID: "c1", Feature: "cad", Version: "1.0", Count: 1, User: `q"uote`, Host: "ünï\u2028", PID: 7, Session: "s", Since: now, LastHeartbeat: now, LeaseUntil: now},
			{ID: "c2", User: "bad\xffutf8", Host: "tab\t"},
		},
		Borrows: []wire.BorrowInfo{{ID: "b", Feature: "cad", User: "u", Host: "h", Since: now, Expires: now}},
		Graces:  []wire.GraceInfo{{TokenID: "g", Feature: "cad", User: "u", Host: "h", Activated: now, Expires: now}},
		Servers: []wire.ServerNode{{ID: 1, Addr: "a", Role: "single", Up: true, Serving: true}},
	}
	for name, st := range map[string]*wire.Status{
		"full":  full,
		"nil":   {Server: full.Server},
		"empty": {Features: []wire.FeatureStatus{}, Checkouts: []wire.CheckoutInfo{}, Borrows: []wire.BorrowInfo{}, Graces: []wire.GraceInfo{}, Servers: []wire.ServerNode{}},
	} {
		var want, got bytes.Buffer
		if err := json.NewEncoder(&want).Encode(st); err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriter(&got)
		streamStatus(bw, st)
		bw.Flush()
		if got.String() != want.String() {
			t.Errorf("%s:\n got %s\nwant %s", name, got.String(), want.String())
		}
	}
}
