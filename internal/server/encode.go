package server

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// appendReply appends the JSON of the three hot replies (checkout, checkin,
// heartbeat) and a newline to b, byte for byte what json.Encoder.Encode
// writes, without reflection; ok is false for any other type. Values that
// need care (strings with characters JSON or HTML escapes, fractional or
// huge floats, times outside years 0-9999) go through encoding/json.
func appendReply(b []byte, v any) (_ []byte, ok bool) {
	ok = true
	appendJSON := func(b []byte, v any) []byte {
		j, err := json.Marshal(v)
		ok = ok && err == nil // the Encoder then reports it, as ever
		return append(b, j...)
	}
	appendFloat := func(b []byte, f float64) []byte { return appendFloat(b, f, appendJSON) }
	appendTime := func(b []byte, t time.Time) []byte { return appendTime(b, t, appendJSON) }
	switch r := v.(type) {
	case wire.CheckoutReply:
		b = appendKey(b, '{', "instance")
		b = wire.AppendString(b, r.Instance)
		b = appendKey(b, ',', "checkout_id")
		b = wire.AppendString(b, r.CheckoutID)
		b = appendKey(b, ',', "feature")
		b = wire.AppendString(b, r.Feature)
		b = appendKey(b, ',', "version")
		b = wire.AppendString(b, r.Version)
		b = appendKey(b, ',', "count")
		b = strconv.AppendInt(b, int64(r.Count), 10)
		b = appendKey(b, ',', "since")
		b = appendTime(b, r.Since)
		b = appendKey(b, ',', "lease_seconds")
		b = appendFloat(b, r.LeaseSeconds)
		b = appendKey(b, ',', "heartbeat_seconds")
		b = appendFloat(b, r.HeartbeatSeconds)
		b = appendKey(b, ',', "expires")
		b = wire.AppendString(b, r.Expires)
		if r.GraceToken != "" {
			b = appendKey(b, ',', "grace_token")
			b = wire.AppendString(b, r.GraceToken)
		}
		if r.ServerKey != "" {
			b = appendKey(b, ',', "server_key")
			b = wire.AppendString(b, r.ServerKey)
		}
	case wire.CheckinReply:
		b = appendKey(b, '{', "instance")
		b = wire.AppendString(b, r.Instance)
		b = appendKey(b, ',', "released")
		b = strconv.AppendInt(b, int64(r.Released), 10)
	case wire.HeartbeatReply:
		b = appendKey(b, '{', "instance")
		b = wire.AppendString(b, r.Instance)
		b = appendKey(b, ',', "lease_until")
		b = appendTime(b, r.LeaseUntil)
		b = appendKey(b, ',', "heartbeat_seconds")
		b = appendFloat(b, r.HeartbeatSeconds)
		b = appendKey(b, ',', "checkouts")
		if r.Checkouts == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i, id := range r.Checkouts {
				if i > 0 {
					b = append(b, ',')
				}
				b = wire.AppendString(b, id)
			}
			b = append(b, ']')
		}
	case *wire.CheckoutInfo: // a status reply's rows: 100,000 of them on a big server
		b = appendKey(b, '{', "id")
		b = wire.AppendString(b, r.ID)
		b = appendKey(b, ',', "feature")
		b = wire.AppendString(b, r.Feature)
		b = appendKey(b, ',', "version")
		b = wire.AppendString(b, r.Version)
		b = appendKey(b, ',', "count")
		b = strconv.AppendInt(b, int64(r.Count), 10)
		b = appendKey(b, ',', "user")
		b = wire.AppendString(b, r.User)
		b = appendKey(b, ',', "host")
		b = wire.AppendString(b, r.Host)
		b = appendKey(b, ',', "pid")
		b = strconv.AppendInt(b, int64(r.PID), 10)
		b = appendKey(b, ',', "session")
		b = wire.AppendString(b, r.Session)
		b = appendKey(b, ',', "since")
		b = appendTime(b, r.Since)
		b = appendKey(b, ',', "last_heartbeat")
		b = appendTime(b, r.LastHeartbeat)
		b = appendKey(b, ',', "lease_until")
		b = appendTime(b, r.LeaseUntil)
	default:
		return b, false
	}
	return append(b, '}', '\n'), ok
}

func appendKey(b []byte, sep byte, key string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendFloat writes whole numbers below 2^53 itself.
func appendFloat(b []byte, f float64, appendJSON func([]byte, any) []byte) []byte {
	if f == float64(int64(f)) && f > -1<<53 && f < 1<<53 && (f != 0 || 1/f > 0) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return appendJSON(b, f)
}

func appendTime(b []byte, t time.Time, appendJSON func([]byte, any) []byte) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		return appendJSON(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
