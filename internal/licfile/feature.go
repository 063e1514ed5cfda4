package licfile

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"time"
)

// File is a parsed license file.
type File struct {
	Name     string // the file name used in errors
	Features []*Feature
}

// Lookup returns the feature called name, or nil.
func (f *File) Lookup(name string) *Feature {
	for _, ft := range f.Features {
		if ft.Name == name {
			return ft
		}
	}
	return nil
}

// Feature is one FEATURE block. Absent numeric fields are 0, absent lists nil
// and absent strings "".
type Feature struct {
	Name string
	Line int // line of the FEATURE keyword

	Vendor     string   // VENDOR
	Version    string   // VERSION, normalised "major.minor" ("02.10" → "2.10")
	Count      int      // COUNT 1..1000000; 0 = uncounted (node-locked, not servable by licd)
	Grace      int      // GRACE hours 1..168; 0 = no grace
	Borrow     int      // BORROW, the longest borrow in hours 1..8760; 0 = no borrowing
	HALServers []string // HAL_SERVERS: nil, or three distinct host:port in role order #1 #2 #3
	Expire     string   // EXPIRE: "YYYY-MM-DD" or "permanent"
	Start      string   // START: "YYYY-MM-DD" or ""
	HostID     []string // HOSTID values; with HAL_SERVERS one per server, in the same order
	TokenKey   []string // TOKEN_KEY: base64 Ed25519 public keys that may sign grace and borrow tokens
	Key        string   // KEY: base64 Ed25519 signature, "" if unsigned

	lines map[string]int // field name → line
}

// FieldLine returns the line of field (e.g. "COUNT" or "KEY") in the file, or
// the line of the FEATURE keyword when the field is absent.
func (f *Feature) FieldLine(field string) int {
	if n, ok := f.lines[field]; ok {
		return n
	}
	return f.Line
}

// TokenKeys returns the public keys of TOKEN_KEY: the keys of the license
// servers that may sign grace and borrow tokens for the feature. A key that
// does not decode (only in a Feature that did not come from Parse) is left
// out.
func (f *Feature) TokenKeys() []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, k := range f.TokenKey {
		if b, err := base64.StdEncoding.Strict().DecodeString(k); err == nil && len(b) == ed25519.PublicKeySize {
			out = append(out, ed25519.PublicKey(b))
		}
	}
	return out
}

// Counted reports whether the feature has a COUNT, i.e. is a network
// (floating) license that licd can serve.
func (f *Feature) Counted() bool { return f.Count > 0 }

// ExpiresAt returns the instant the feature expires: the end of the EXPIRE
// day in UTC, which is 00:00 UTC of the next day. permanent is true (and t
// zero) for EXPIRE = permanent. A feature that did not come from Parse and
// has an invalid EXPIRE gets the zero time and false: treat it as expired.
func (f *Feature) ExpiresAt() (t time.Time, permanent bool) {
	if strings.EqualFold(f.Expire, Permanent) {
		return time.Time{}, true
	}
	d, ok := parseDate(f.Expire)
	if !ok {
		return time.Time{}, false
	}
	return d.AddDate(0, 0, 1), false
}

// StartsAt returns 00:00 UTC of the START day, or the zero time when the
// feature has no START.
func (f *Feature) StartsAt() time.Time {
	d, _ := parseDate(f.Start)
	return d
}

// Permanent is the EXPIRE value of a license that never expires.
const Permanent = "permanent"

const dateLayout = "2006-01-02"

// parseDate parses a YYYY-MM-DD date as 00:00 UTC. It refuses other layouts
// and impossible dates such as 2027-02-30.
func parseDate(s string) (time.Time, bool) {
	if len(s) != len(dateLayout) || s[4] != '-' || s[7] != '-' ||
		!allDigits(s[:4]) || !allDigits(s[5:7]) || !allDigits(s[8:]) {
		return time.Time{}, false
	}
	t, err := time.Parse(dateLayout, s)
	return t, err == nil
}

// ValidVersion reports whether s is a version "major.minor", each part one or
// more decimal digits, such as "2.0" or "3.10".
func ValidVersion(s string) bool {
	major, minor, ok := strings.Cut(s, ".")
	return ok && allDigits(major) && allDigits(minor)
}

// normalVersion strips leading zeros from both parts of a valid version.
func normalVersion(s string) string {
	major, minor, _ := strings.Cut(s, ".")
	return trimZeros(major) + "." + trimZeros(minor)
}

// CompareVersion compares two "major.minor" versions numerically and returns
// -1, 0 or 1: "2.10" > "2.9", "02.1" == "2.1". Numbers of any length compare
// correctly. An invalid version is lower than every valid one; two invalid
// versions compare as strings.
func CompareVersion(a, b string) int {
	va, vb := ValidVersion(a), ValidVersion(b)
	switch {
	case !va && !vb:
		return strings.Compare(a, b)
	case !va:
		return -1
	case !vb:
		return 1
	}
	amaj, amin, _ := strings.Cut(a, ".")
	bmaj, bmin, _ := strings.Cut(b, ".")
	if c := compareNumber(amaj, bmaj); c != 0 {
		return c
	}
	return compareNumber(amin, bmin)
}

// compareNumber compares two strings of decimal digits by value.
func compareNumber(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// trimZeros strips leading zeros from a string of digits, keeping one digit.
func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
