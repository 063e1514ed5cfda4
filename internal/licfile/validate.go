package licfile

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Limits of the license format (README, "Fields").
const (
	MaxCount  = 1_000_000
	MaxGrace  = 168  // hours: 7 days
	MaxBorrow = 8760 // hours: 365 days
)

// setter checks a field's value and stores it in f; it returns a message
// saying what is wrong, or "".
type setter func(f *Feature, v string) string

// setters holds every field a FEATURE block may have.
var setters = map[string]setter{
	"VENDOR":      setVendor,
	"VERSION":     setVersion,
	"COUNT":       setInt(countField),
	"GRACE":       setInt(graceField),
	"BORROW":      setInt(borrowField),
	"HAL_SERVERS": setHALServers,
	"EXPIRE":      setExpire,
	"START":       setStart,
	"HOSTID":      setHostID,
	"TOKEN_KEY":   setTokenKey,
	"KEY":         setKey,
}

// fieldOrder lists the fields in the order a FEATURE block is written, for
// messages.
const fieldOrder = "VENDOR VERSION COUNT GRACE BORROW HAL_SERVERS EXPIRE START HOSTID TOKEN_KEY KEY"

// validate checks block b's fields and cross-field rules and, when b has
// no problem of its own, sets b.feature.
func (p *parser) validate(b *block) {
	before := len(p.errs)
	f := &Feature{Name: b.name, Line: b.line, lines: map[string]int{}}
	for _, fl := range b.fields {
		p.setField(b, f, fl)
	}
	if b.closeIdx >= 0 {
		p.crossCheck(b, f) // an unclosed block is cut short: no cross-field rules
	}
	if len(p.errs) == before {
		b.feature = f
	}
}

// setField checks one field line.
func (p *parser) setField(b *block, f *Feature, fl rawField) {
	if fl.name == "" {
		return // the line did not lex; already reported
	}
	if first, dup := f.lines[fl.name]; dup {
		p.errorf(fl.idx+1, b.name, fl.name, "duplicate field: already set on line %d", first)
		return
	}
	set, known := setters[fl.name]
	if !known {
		p.unknownField(b, fl)
		return
	}
	f.lines[fl.name] = fl.idx + 1
	if fl.bad {
		return
	}
	if msg := set(f, fl.value); msg != "" {
		p.errorf(fl.idx+1, b.name, fl.name, "%s", msg)
	}
}

func (p *parser) unknownField(b *block, fl rawField) {
	if _, ok := setters[strings.ToUpper(fl.name)]; ok {
		p.errorf(fl.idx+1, b.name, fl.name, "unknown field: field names are upper-case, as in %s", strings.ToUpper(fl.name))
		return
	}
	p.errorf(fl.idx+1, b.name, fl.name, "unknown field: want one of %s", fieldOrder)
}

// crossCheck applies the rules that involve more than one field.
func (p *parser) crossCheck(b *block, f *Feature) {
	for _, field := range []string{"VENDOR", "VERSION", "EXPIRE"} {
		if _, ok := f.lines[field]; !ok {
			p.errorf(b.line, b.name, field, "missing: every feature needs %s", field)
		}
	}
	if _, counted := f.lines["COUNT"]; !counted {
		for _, field := range []string{"GRACE", "BORROW", "HAL_SERVERS", "TOKEN_KEY"} {
			if l, ok := f.lines[field]; ok {
				p.errorf(l, b.name, field, "needs COUNT: only network (counted) licenses have %s", field)
			}
		}
	}
	if f.HALServers != nil && f.HostID != nil && len(f.HostID) != 3 {
		p.errorf(f.lines["HOSTID"], b.name, "HOSTID",
			"with HAL_SERVERS, want exactly 3 host ids (one per server, in role order), got %d", len(f.HostID))
	}
	if n := len(f.TokenKey); n > 1 && (f.HALServers == nil || n != 3) {
		p.errorf(f.lines["TOKEN_KEY"], b.name, "TOKEN_KEY",
			"want 1 key, or with HAL_SERVERS 1 shared key or 3 (one per server, in role order), got %d", n)
	}
	if f.Start != "" && f.Expire != "" && f.Expire != Permanent && f.Start > f.Expire {
		p.errorf(f.lines["START"], b.name, "START", "%s is after EXPIRE %s (line %d)", f.Start, f.Expire, f.lines["EXPIRE"])
	}
}

func setVendor(f *Feature, v string) string {
	if !validName(v) {
		return fmt.Sprintf("invalid vendor name %q: use letters, digits, _ - and .", v)
	}
	f.Vendor = v
	return ""
}

func setVersion(f *Feature, v string) string {
	if !ValidVersion(v) {
		return fmt.Sprintf("want major.minor, as in 2.0, got %q", v)
	}
	f.Version = normalVersion(v)
	return ""
}

// intField describes a field holding a bounded whole number.
type intField struct {
	max  int
	unit string
	dst  func(*Feature) *int
}

var (
	countField  = intField{MaxCount, "an integer", func(f *Feature) *int { return &f.Count }}
	graceField  = intField{MaxGrace, "hours", func(f *Feature) *int { return &f.Grace }}
	borrowField = intField{MaxBorrow, "hours", func(f *Feature) *int { return &f.Borrow }}
)

func setInt(spec intField) setter {
	return func(f *Feature, v string) string {
		n, err := strconv.Atoi(v)
		if !allDigits(v) || err != nil || n < 1 || n > spec.max {
			return fmt.Sprintf("want %s from 1 to %d, got %q", spec.unit, spec.max, v)
		}
		*spec.dst(f) = n
		return ""
	}
}

func setExpire(f *Feature, v string) string {
	if strings.EqualFold(v, Permanent) {
		f.Expire = Permanent
		return ""
	}
	if msg := checkDate(v, "a date YYYY-MM-DD or permanent"); msg != "" {
		return msg
	}
	f.Expire = v
	return ""
}

func setStart(f *Feature, v string) string {
	if msg := checkDate(v, "a date YYYY-MM-DD"); msg != "" {
		return msg
	}
	f.Start = v
	return ""
}

func checkDate(v, want string) string {
	if _, ok := parseDate(v); ok {
		return ""
	}
	if len(v) == len(dateLayout) && v[4] == '-' && v[7] == '-' && allDigits(v[:4]+v[5:7]+v[8:]) {
		return fmt.Sprintf("no such date: %s", v)
	}
	return fmt.Sprintf("want %s, got %q", want, v)
}

func setHALServers(f *Feature, v string) string {
	list := strings.Fields(v)
	if len(list) != 3 {
		return fmt.Sprintf(`want exactly 3 servers "host:port host:port host:port" (roles #1 #2 #3), got %d`, len(list))
	}
	seen := map[string]int{}
	for i, s := range list {
		key, msg := checkHostPort(s)
		if msg != "" {
			return fmt.Sprintf("server #%d %q: %s", i+1, s, msg)
		}
		if j, dup := seen[key]; dup {
			return fmt.Sprintf("server #%d %q is the same as server #%d: want 3 distinct servers", i+1, s, j)
		}
		seen[key] = i + 1
	}
	f.HALServers = list
	return ""
}

// checkHostPort checks one host:port and returns a key for comparing
// servers (host in lower case, port as a number).
func checkHostPort(s string) (key, msg string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return "", "want host:port"
	}
	n, err := strconv.Atoi(port)
	if !allDigits(port) || err != nil || n < 1 || n > 65535 {
		return "", "want a port from 1 to 65535"
	}
	if net.ParseIP(host) == nil && !validHostname(host) {
		return "", "invalid host name"
	}
	return strings.ToLower(host) + ":" + strconv.Itoa(n), ""
}

// validHostname reports whether s is a DNS host name.
func validHostname(s string) bool {
	if len(s) > 253 || strings.Contains(s, ":") {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func setHostID(f *Feature, v string) string {
	list := strings.Fields(v)
	for _, id := range list {
		for i := 0; i < len(id); i++ {
			if id[i] <= ' ' || id[i] > '~' || id[i] == '"' || id[i] == '#' {
				return fmt.Sprintf("invalid host id %q: use printable ASCII other than # and quotes, separated by spaces", id)
			}
		}
	}
	f.HostID = list
	return ""
}

// setTokenKey checks TOKEN_KEY: one to three distinct base64 Ed25519
// public keys, as licd token-key prints them. Their number is checked with
// HAL_SERVERS in crossCheck.
func setTokenKey(f *Feature, v string) string {
	list := strings.Fields(v)
	if len(list) > 3 {
		return fmt.Sprintf("want at most 3 keys (one per HAL server), got %d", len(list))
	}
	seen := map[string]int{}
	for i, k := range list {
		b, err := base64.StdEncoding.Strict().DecodeString(k)
		switch {
		case err != nil:
			return fmt.Sprintf("key #%d %q is not base64: want the Ed25519 public key that licd token-key prints", i+1, clip(k))
		case len(b) != ed25519.PublicKeySize:
			return fmt.Sprintf("key #%d is %d bytes, want an Ed25519 public key of %d bytes (licd token-key prints it)",
				i+1, len(b), ed25519.PublicKeySize)
		}
		if j, dup := seen[k]; dup {
			return fmt.Sprintf("key #%d is the same as key #%d: want distinct keys", i+1, j)
		}
		seen[k] = i + 1
	}
	f.TokenKey = list
	return ""
}

func setKey(f *Feature, v string) string {
	sig, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sig) != signatureSize {
		return "not a signature: want the base64 Ed25519 signature that licgen sign writes"
	}
	f.Key = v
	return ""
}
