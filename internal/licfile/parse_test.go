package licfile

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
)

// feature returns a valid block "f" (lines 1-5) with extra field lines
// inserted at line 5, before the "}".
func feature(extra ...string) string {
	lines := []string{"FEATURE f {", "  VENDOR = acme", "  VERSION = 2.0", "  EXPIRE = 2030-12-31"}
	lines = append(lines, extra...)
	return strings.Join(append(lines, "}"), "\n") + "\n"
}

// Token keys for the tests: base64 Ed25519 public keys.
var tk1, tk2, tk3, tk4 = testPub(1), testPub(2), testPub(3), testPub(4)

func testPub(seed byte) string {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
}

// TestParseRules has one case per validation rule of the format. Each lists
// the full text of every error expected, so it checks that the line, the
// feature and the field are named and that every problem is reported.
func TestParseRules(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"grace above 168", feature("COUNT = 5", "GRACE = 169"),
			[]string{`t.lic:6: feature f: GRACE: want hours from 1 to 168, got "169"`}},
		{"grace zero", feature("COUNT = 5", "GRACE = 0"),
			[]string{`t.lic:6: feature f: GRACE: want hours from 1 to 168, got "0"`}},
		{"grace without count", feature("GRACE = 48"),
			[]string{`t.lic:5: feature f: GRACE: needs COUNT: only network (counted) licenses have GRACE`}},
		{"borrow without count", feature("BORROW = 24"),
			[]string{`t.lic:5: feature f: BORROW: needs COUNT: only network (counted) licenses have BORROW`}},
		{"hal without count", feature(`HAL_SERVERS = "a:1 b:1 c:1"`),
			[]string{`t.lic:5: feature f: HAL_SERVERS: needs COUNT: only network (counted) licenses have HAL_SERVERS`}},
		{"count not an integer", feature("COUNT = 5.5"),
			[]string{`t.lic:5: feature f: COUNT: want an integer from 1 to 1000000, got "5.5"`}},
		{"count negative", feature("COUNT = -1"),
			[]string{`t.lic:5: feature f: COUNT: want an integer from 1 to 1000000, got "-1"`}},
		{"count zero", feature("COUNT = 0"),
			[]string{`t.lic:5: feature f: COUNT: want an integer from 1 to 1000000, got "0"`}},
		{"count above a million", feature("COUNT = 1000001"),
			[]string{`t.lic:5: feature f: COUNT: want an integer from 1 to 1000000, got "1000001"`}},
		{"count overflows int", feature("COUNT = 99999999999999999999999"),
			[]string{`t.lic:5: feature f: COUNT: want an integer from 1 to 1000000, got "99999999999999999999999"`}},
		{"borrow above 8760", feature("COUNT = 5", "BORROW = 8761"),
			[]string{`t.lic:6: feature f: BORROW: want hours from 1 to 8760, got "8761"`}},
		{"hal two servers", feature("COUNT = 5", `HAL_SERVERS = "a:6200 b:6200"`),
			[]string{`t.lic:6: feature f: HAL_SERVERS: want exactly 3 servers "host:port host:port host:port" (roles #1 #2 #3), got 2`}},
		{"hal four servers", feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1 d:1"`),
			[]string{`t.lic:6: feature f: HAL_SERVERS: want exactly 3 servers "host:port host:port host:port" (roles #1 #2 #3), got 4`}},
		{"hal duplicate server", feature("COUNT = 5", `HAL_SERVERS = "a:6200 b:6200 A:06200"`),
			[]string{`t.lic:6: feature f: HAL_SERVERS: server #3 "A:06200" is the same as server #1: want 3 distinct servers`}},
		{"hal bad port", feature("COUNT = 5", `HAL_SERVERS = "a:6200 b:70000 c:6200"`),
			[]string{`t.lic:6: feature f: HAL_SERVERS: server #2 "b:70000": want a port from 1 to 65535`}},
		{"hal no port", feature("COUNT = 5", `HAL_SERVERS = "a b:1 c:1"`),
			[]string{`t.lic:6: feature f: HAL_SERVERS: server #1 "a": want host:port`}},
		{"hal bad host", feature("COUNT = 5", `HAL_SERVERS = "a_b:1 b:1 c:1"`),
			[]string{`t.lic:6: feature f: HAL_SERVERS: server #1 "a_b:1": invalid host name`}},
		{"hostid count with hal", feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1"`, `HOSTID = "h1 h2"`),
			[]string{`t.lic:7: feature f: HOSTID: with HAL_SERVERS, want exactly 3 host ids (one per server, in role order), got 2`}},
		{"expire not a date", strings.Replace(feature(), "2030-12-31", "31.12.2030", 1),
			[]string{`t.lic:4: feature f: EXPIRE: want a date YYYY-MM-DD or permanent, got "31.12.2030"`}},
		{"expire impossible date", strings.Replace(feature(), "2030-12-31", "2027-02-30", 1),
			[]string{`t.lic:4: feature f: EXPIRE: no such date: 2027-02-30`}},
		{"start not a date", feature("START = 2027-1-5"),
			[]string{`t.lic:5: feature f: START: want a date YYYY-MM-DD, got "2027-1-5"`}},
		{"start permanent", feature("START = permanent"),
			[]string{`t.lic:5: feature f: START: want a date YYYY-MM-DD, got "permanent"`}},
		{"start after expire", feature("START = 2031-01-01"),
			[]string{`t.lic:5: feature f: START: 2031-01-01 is after EXPIRE 2030-12-31 (line 4)`}},
		{"version without minor", strings.Replace(feature(), "2.0", "2", 1),
			[]string{`t.lic:3: feature f: VERSION: want major.minor, as in 2.0, got "2"`}},
		{"version not digits", strings.Replace(feature(), "2.0", "v2.x", 1),
			[]string{`t.lic:3: feature f: VERSION: want major.minor, as in 2.0, got "v2.x"`}},
		{"unknown field", feature("COLOR = blue"),
			[]string{`t.lic:5: feature f: COLOR: unknown field: want one of VENDOR VERSION COUNT GRACE BORROW HAL_SERVERS EXPIRE START HOSTID TOKEN_KEY KEY`}},
		{"lower-case field", feature("count = 5"),
			[]string{`t.lic:5: feature f: count: unknown field: field names are upper-case, as in COUNT`}},
		{"duplicate field", feature("COUNT = 5", "COUNT = 6"),
			[]string{`t.lic:6: feature f: COUNT: duplicate field: already set on line 5`}},
		{"duplicate feature", feature() + feature(),
			[]string{`t.lic:6: feature f: duplicate feature: already defined on line 1`}},
		{"missing vendor", strings.Replace(feature(), "  VENDOR = acme\n", "", 1),
			[]string{`t.lic:1: feature f: VENDOR: missing: every feature needs VENDOR`}},
		{"missing version and expire", "FEATURE f {\n  VENDOR = acme\n}\n",
			[]string{`t.lic:1: feature f: VERSION: missing: every feature needs VERSION`,
				`t.lic:1: feature f: EXPIRE: missing: every feature needs EXPIRE`}},
		{"unterminated block at end", strings.TrimSuffix(feature(), "}\n"),
			[]string{`t.lic:1: feature f: block is not closed: want } before the end of the file`}},
		{"unterminated block before next", strings.TrimSuffix(feature(), "}\n") + strings.Replace(feature(), "FEATURE f", "FEATURE g", 1),
			[]string{`t.lic:1: feature f: block is not closed: want } before the FEATURE on line 5`}},
		{"missing brace", strings.Replace(feature(), " {", "", 1),
			[]string{`t.lic:1: feature f: want { after the feature name`}},
		{"text outside blocks", "hello\n" + feature() + "COUNT = 5\n}\n",
			[]string{`t.lic:1: text outside a FEATURE block: "hello"`,
				`t.lic:7: text outside a FEATURE block: "COUNT = 5": fields belong inside FEATURE name { ... }`,
				`t.lic:8: text outside a FEATURE block: "}": } without an open FEATURE block`}},
		{"lower-case keyword", "feature f {\n}\n",
			[]string{`t.lic: no FEATURE blocks: a license file holds one or more FEATURE name { ... }`,
				`t.lic:1: text outside a FEATURE block: "feature f {": keywords are upper-case, as in FEATURE name {`,
				`t.lic:2: text outside a FEATURE block: "}": } without an open FEATURE block`}},
		{"empty file", "",
			[]string{`t.lic: no FEATURE blocks: a license file holds one or more FEATURE name { ... }`}},
		{"only comments", "# nothing here\n\n   # still nothing\n",
			[]string{`t.lic: no FEATURE blocks: a license file holds one or more FEATURE name { ... }`}},
		{"bad feature name", strings.Replace(feature(), "FEATURE f", "FEATURE f/x", 1),
			[]string{`t.lic:1: invalid feature name "f/x": use letters, digits, _ - and .`}},
		{"feature without name", strings.Replace(feature(), "FEATURE f", "FEATURE", 1),
			[]string{`t.lic:1: FEATURE needs a name, as in: FEATURE cad_pro {`}},
		{"bad vendor", strings.Replace(feature(), "acme", `"acme corp"`, 1),
			[]string{`t.lic:2: feature f: VENDOR: invalid vendor name "acme corp": use letters, digits, _ - and .`}},
		{"unterminated quote", feature(`HOSTID = "a b`),
			[]string{`t.lic:5: feature f: HOSTID: unterminated quote`}},
		{"text after quote", feature(`HOSTID = "a b" c`),
			[]string{`t.lic:5: feature f: HOSTID: unexpected text "c" after the closing quote`}},
		{"hash inside quotes is no comment", feature(`HOSTID = "a#1" # comment`),
			[]string{`t.lic:5: feature f: HOSTID: invalid host id "a#1": use printable ASCII other than # and quotes, separated by spaces`}},
		{"no equals", feature("COUNT 5"),
			[]string{`t.lic:5: feature f: want FIELD = value, got "COUNT 5"`}},
		{"empty value", feature("COUNT ="),
			[]string{`t.lic:5: feature f: COUNT: missing value`}},
		{"token key without count", feature("TOKEN_KEY = " + tk1),
			[]string{`t.lic:5: feature f: TOKEN_KEY: needs COUNT: only network (counted) licenses have TOKEN_KEY`}},
		{"token key not base64", feature("COUNT = 5", "TOKEN_KEY = not-base64!"),
			[]string{`t.lic:6: feature f: TOKEN_KEY: key #1 "not-base64!" is not base64: want the Ed25519 public key that licd token-key prints`}},
		{"token key not strict base64", feature("COUNT = 5", "TOKEN_KEY = "+tk1[:42]+"x="),
			[]string{`t.lic:6: feature f: TOKEN_KEY: key #1 "` + tk1[:42] + `x=" is not base64: want the Ed25519 public key that licd token-key prints`}},
		{"token key wrong length", feature("COUNT = 5", "TOKEN_KEY = c2hvcnQ="),
			[]string{`t.lic:6: feature f: TOKEN_KEY: key #1 is 5 bytes, want an Ed25519 public key of 32 bytes (licd token-key prints it)`}},
		{"token key a signature", feature("COUNT = 5", `TOKEN_KEY = "`+tk1+` `+strings.Repeat("A", 86)+`=="`),
			[]string{`t.lic:6: feature f: TOKEN_KEY: key #2 is 64 bytes, want an Ed25519 public key of 32 bytes (licd token-key prints it)`}},
		{"token key repeated", feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1"`, `TOKEN_KEY = "`+tk1+` `+tk2+` `+tk1+`"`),
			[]string{`t.lic:7: feature f: TOKEN_KEY: key #3 is the same as key #1: want distinct keys`}},
		{"token keys without hal", feature("COUNT = 5", `TOKEN_KEY = "`+tk1+` `+tk2+`"`),
			[]string{`t.lic:6: feature f: TOKEN_KEY: want 1 key, or with HAL_SERVERS 1 shared key or 3 (one per server, in role order), got 2`}},
		{"two token keys with hal", feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1"`, `TOKEN_KEY = "`+tk1+` `+tk2+`"`),
			[]string{`t.lic:7: feature f: TOKEN_KEY: want 1 key, or with HAL_SERVERS 1 shared key or 3 (one per server, in role order), got 2`}},
		{"four token keys", feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1"`, `TOKEN_KEY = "`+tk1+` `+tk2+` `+tk3+` `+tk4+`"`),
			[]string{`t.lic:7: feature f: TOKEN_KEY: want at most 3 keys (one per HAL server), got 4`}},
		{"token key twice", feature("COUNT = 5", "TOKEN_KEY = "+tk1, "TOKEN_KEY = "+tk2),
			[]string{`t.lic:7: feature f: TOKEN_KEY: duplicate field: already set on line 6`}},
		{"token key empty", feature("COUNT = 5", `TOKEN_KEY = ""`),
			[]string{`t.lic:6: feature f: TOKEN_KEY: missing value`}},
		{"key not a signature", feature("KEY = abc"),
			[]string{`t.lic:5: feature f: KEY: not a signature: want the base64 Ed25519 signature that licgen sign writes`}},
		{"every problem reported", feature("COUNT = x", "GRACE = 500", "BORROW = 0", "NOPE = 1"),
			[]string{`t.lic:5: feature f: COUNT: want an integer from 1 to 1000000, got "x"`,
				`t.lic:6: feature f: GRACE: want hours from 1 to 168, got "500"`,
				`t.lic:7: feature f: BORROW: want hours from 1 to 8760, got "0"`,
				`t.lic:8: feature f: NOPE: unknown field: want one of VENDOR VERSION COUNT GRACE BORROW HAL_SERVERS EXPIRE START HOSTID TOKEN_KEY KEY`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("t.lic", []byte(tt.in))
			if f != nil {
				t.Errorf("Parse returned a File with an error: nothing may be half-loaded")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse error = %v (%T), want an ErrorList", err, err)
			}
			got := strings.Split(list.Error(), "\n")
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, f *Feature)
	}{
		{"minimal uncounted", feature(), func(t *testing.T, f *Feature) {
			if f.Counted() || f.Vendor != "acme" || f.Version != "2.0" || f.Expire != "2030-12-31" || f.Line != 1 {
				t.Errorf("got %+v", f)
			}
		}},
		{"all fields", feature("COUNT = 5", "GRACE = 48", "BORROW = 72", "START = 2026-01-01",
			`HAL_SERVERS = "lic1:6200   lic2:6200 lic3:6200"`, `HOSTID = "h1 h2 h3"`), func(t *testing.T, f *Feature) {
			if f.Count != 5 || f.Grace != 48 || f.Borrow != 72 || f.Start != "2026-01-01" ||
				!slices.Equal(f.HALServers, []string{"lic1:6200", "lic2:6200", "lic3:6200"}) ||
				!slices.Equal(f.HostID, []string{"h1", "h2", "h3"}) {
				t.Errorf("got %+v", f)
			}
			if f.FieldLine("BORROW") != 7 || f.FieldLine("KEY") != 1 {
				t.Errorf("FieldLine(BORROW) = %d, FieldLine(KEY) = %d; want 7, 1", f.FieldLine("BORROW"), f.FieldLine("KEY"))
			}
		}},
		{"token key", feature("COUNT = 5", "TOKEN_KEY = "+tk1), func(t *testing.T, f *Feature) {
			if !slices.Equal(f.TokenKey, []string{tk1}) || len(f.TokenKeys()) != 1 || f.FieldLine("TOKEN_KEY") != 6 {
				t.Errorf("got %+v", f)
			}
		}},
		{"token keys with hal", feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1"`, `TOKEN_KEY = "`+tk1+" "+tk2+"   "+tk3+`"`),
			func(t *testing.T, f *Feature) {
				if !slices.Equal(f.TokenKey, []string{tk1, tk2, tk3}) || len(f.TokenKeys()) != 3 {
					t.Errorf("got %+v", f)
				}
			}},
		{"one shared token key with hal", feature("COUNT = 5", `HAL_SERVERS = "a:1 b:1 c:1"`, "TOKEN_KEY = "+tk1), nil},
		{"version normalised", strings.Replace(feature(), "2.0", "02.010", 1), func(t *testing.T, f *Feature) {
			if f.Version != "2.10" {
				t.Errorf("Version = %q, want 2.10", f.Version)
			}
		}},
		{"permanent in any case", strings.Replace(feature(), "2030-12-31", "Permanent", 1), func(t *testing.T, f *Feature) {
			if f.Expire != "permanent" {
				t.Errorf("Expire = %q", f.Expire)
			}
		}},
		{"start on expire day", feature("START = 2030-12-31"), nil},
		{"crlf and tabs", strings.ReplaceAll(strings.ReplaceAll(feature("COUNT\t=\t3"), "\n", "\r\n"), "  ", "\t"), func(t *testing.T, f *Feature) {
			if f.Count != 3 {
				t.Errorf("Count = %d", f.Count)
			}
		}},
		{"no final newline", strings.TrimSuffix(feature(), "\n"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, err := Parse("t.lic", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(file.Features) != 1 || file.Lookup("f") == nil || file.Lookup("g") != nil {
				t.Fatalf("features = %v", file.Features)
			}
			if tt.check != nil {
				tt.check(t, file.Features[0])
			}
		})
	}
}

func TestVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.0", "2.0", 0}, {"2.10", "2.9", 1}, {"2.9", "2.10", -1}, {"02.1", "2.1", 0},
		{"3.0", "2.99", 1}, {"10.0", "9.0", 1}, {"1.0", "1.00", 0},
		{"123456789012345678901234567890.0", "123456789012345678901234567889.9", 1},
		{"x", "1.0", -1}, {"1.0", "", 1},
	}
	for _, tt := range tests {
		if got := CompareVersion(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersion(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	for v, want := range map[string]bool{"2.0": true, "0.0": true, "10.25": true, "2": false, "2.": false,
		".1": false, "2.0.1": false, "v2.0": false, " 2.0": false, "2.a": false, "": false} {
		if ValidVersion(v) != want {
			t.Errorf("ValidVersion(%q) = %v, want %v", v, !want, want)
		}
	}
}

func TestDates(t *testing.T) {
	f := &Feature{Expire: "2027-12-31", Start: "2027-01-01"}
	exp, perm := f.ExpiresAt()
	if perm || exp.String() != "2028-01-01 00:00:00 +0000 UTC" {
		t.Errorf("ExpiresAt = %v, %v; want the end of 2027-12-31 UTC", exp, perm)
	}
	if s := f.StartsAt(); s.String() != "2027-01-01 00:00:00 +0000 UTC" {
		t.Errorf("StartsAt = %v", s)
	}
	f = &Feature{Expire: "permanent"}
	if exp, perm := f.ExpiresAt(); !perm || !exp.IsZero() {
		t.Errorf("permanent: ExpiresAt = %v, %v", exp, perm)
	}
	if !f.StartsAt().IsZero() {
		t.Errorf("no START: StartsAt = %v", f.StartsAt())
	}
}
