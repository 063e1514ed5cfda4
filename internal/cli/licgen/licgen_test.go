package licgen

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/version"
)

// demoTemplate is the repository's demo template.
var demoTemplate = filepath.Join("..", "..", "..", "testdata", "licenses", "demo.tmpl")

// result is what one run of licgen did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs licgen in-process with args at a fixed time.
func run(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, now: func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }}
	code := exit.Run(context.Background(), newApp(e), append([]string{"licgen"}, args...), &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// want fails the test unless r exited with code and its stderr holds every
// one of lines.
func (r result) want(t *testing.T, code int, lines ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, l := range lines {
		if !strings.Contains(r.stderr, l) {
			t.Errorf("stderr does not hold %q:\n%s", l, r.stderr)
		}
	}
}

// setup makes a key pair "vendor" and a signed demo.lic in a new working
// directory (with a copy of the template as demo.tmpl).
func setup(t *testing.T) {
	t.Helper()
	tmpl, err := os.ReadFile(demoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile("demo.tmpl", tmpl, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "keygen", "--out", "vendor").want(t, 0)
	run(t, "sign", "--key", "vendor.key", "--out", "demo.lic", "demo.tmpl").want(t, 0)
}

func TestKeygenSignVerify(t *testing.T) {
	tmpl, _ := os.ReadFile(demoTemplate)
	t.Chdir(t.TempDir())
	os.WriteFile("demo.tmpl", tmpl, 0o644)

	r := run(t, "keygen", "--out", "vendor")
	r.want(t, 0)
	if !strings.HasPrefix(r.stdout, "wrote vendor.key ") || !strings.Contains(r.stdout, "\nwrote vendor.pub ") {
		t.Errorf("keygen printed:\n%s", r.stdout)
	}
	if st, err := os.Stat("vendor.key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("vendor.key: %v, %v; want mode 0600", st, err)
	}

	r = run(t, "sign", "--key", "vendor.key", "demo.tmpl")
	r.want(t, 0)
	if strings.Count(r.stdout, "  KEY     = ") != 4 || !strings.HasPrefix(r.stdout, "# floatlic demo license template") {
		t.Errorf("sign to stdout printed:\n%s", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("sign wrote to stderr: %s", r.stderr)
	}

	r = run(t, "sign", "--key", "vendor.key", "--out", "demo.lic", "demo.tmpl")
	r.want(t, 0)
	if r.stdout != "wrote demo.lic: 4 features signed\n" {
		t.Errorf("sign --out printed %q", r.stdout)
	}

	r = run(t, "verify", "--pub", "vendor.pub", "demo.lic")
	r.want(t, 0)
	want := `demo.lic: valid, 4 features, every signature verifies with vendor.pub
FEATURE     VERSION  VENDOR  COUNT      EXPIRES     GRACE  BORROW  NOTES
cad_pro     2.0      acme    5          2030-12-31  48h    72h     no TOKEN_KEY: licd issues no grace or borrow tokens
cad_view    2.0      acme    20         2030-12-31  -      -
solver      3.1      acme    2          2030-12-31  -      24h     no TOKEN_KEY: licd issues no grace or borrow tokens
cad_reader  1.0      acme    uncounted  permanent   -      -       node-locked, not served by licd; HOSTID build-01
`
	if r.stdout != want {
		t.Errorf("verify printed:\n%s\nwant:\n%s", r.stdout, want)
	}
}

func TestVerifyTampered(t *testing.T) {
	setup(t)
	lic, _ := os.ReadFile("demo.lic")
	tampered := strings.Replace(string(lic), "COUNT   = 5\n", "COUNT   = 6\n", 1)
	os.WriteFile("demo.lic", []byte(tampered), 0o644)
	r := run(t, "verify", "--pub", "vendor.pub", "demo.lic")
	r.want(t, 1,
		"demo.lic:13: feature cad_pro: KEY: signature does not verify: the FEATURE block on line 6 was changed after signing",
		"licgen: demo.lic: 1 problem; the license is not valid")
	if strings.Count(r.stderr, "\n") != 2 || r.stdout != "" {
		t.Errorf("want one problem and the summary on stderr, nothing on stdout; got\n%s%s", r.stdout, r.stderr)
	}
}

func TestVerifyOtherKey(t *testing.T) {
	setup(t)
	run(t, "keygen", "--out", "other").want(t, 0)
	r := run(t, "verify", "--pub", "other.pub", "demo.lic")
	r.want(t, 1, "licgen: other.pub does not verify demo.lic: every feature's signature fails; is it the vendor key that signed it?")
	if strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
		t.Errorf("want one line on stderr, nothing on stdout; got\n%s%s", r.stdout, r.stderr)
	}
}

func TestVerifyInvalidRules(t *testing.T) {
	setup(t)
	os.WriteFile("bad.lic", []byte("FEATURE x {\n  VENDOR = acme\n  VERSION = 1.0\n  EXPIRE = 2030-01-01\n  GRACE = 5\n}\n"), 0o644)
	run(t, "verify", "--pub", "vendor.pub", "bad.lic").want(t, 1,
		"bad.lic:5: feature x: GRACE: needs COUNT", "licgen: bad.lic: 1 problem; the license is not valid")
}

func TestSignInvalidTemplate(t *testing.T) {
	setup(t)
	bad := "FEATURE cad_pro {\n  VENDOR = acme\n  VERSION = 2\n  COUNT = 5\n  GRACE = 200\n" +
		"  HAL_SERVERS = \"a:1 b:1\"\n  EXPIRE = 2027-02-30\n  COLOUR = red\n}\n"
	os.WriteFile("bad.tmpl", []byte(bad), 0o644)
	r := run(t, "sign", "--key", "vendor.key", "--out", "bad.lic", "bad.tmpl")
	r.want(t, 1,
		`bad.tmpl:3: feature cad_pro: VERSION: want major.minor, as in 2.0, got "2"`,
		`bad.tmpl:5: feature cad_pro: GRACE: want hours from 1 to 168, got "200"`,
		`bad.tmpl:6: feature cad_pro: HAL_SERVERS: want exactly 3 servers`,
		`bad.tmpl:7: feature cad_pro: EXPIRE: no such date: 2027-02-30`,
		`bad.tmpl:8: feature cad_pro: COLOUR: unknown field`,
		"licgen: bad.tmpl: 5 problems; nothing signed")
	if _, err := os.Stat("bad.lic"); err == nil {
		t.Error("an invalid template was written out")
	}
	// verify prints the same texts for the same file.
	v := run(t, "verify", "--pub", "vendor.pub", "bad.tmpl")
	if strings.TrimSuffix(v.stderr, "the license is not valid\n") != strings.TrimSuffix(r.stderr, "nothing signed\n") {
		t.Errorf("sign and verify differ:\n%s\n%s", r.stderr, v.stderr)
	}
}

func TestKeygenNoOverwrite(t *testing.T) {
	setup(t)
	before, _ := os.ReadFile("vendor.key")
	run(t, "keygen", "--out", "vendor").want(t, 1,
		"licgen: keygen: vendor.key already exists: use --force to replace the key pair")
	if after, _ := os.ReadFile("vendor.key"); !bytes.Equal(before, after) {
		t.Fatal("keygen overwrote the key without --force")
	}
	run(t, "keygen", "--force", "--out", "vendor").want(t, 0)
	if after, _ := os.ReadFile("vendor.key"); bytes.Equal(before, after) {
		t.Error("keygen --force kept the old key")
	}
}

// TestSetupErrors: each usage or set-up problem exits 2 with one line.
func TestSetupErrors(t *testing.T) {
	setup(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing license", []string{"verify", "--pub", "vendor.pub", "nope.lic"}, "licgen: verify: open nope.lic: no such file or directory"},
		{"missing public key", []string{"verify", "--pub", "nope.pub", "demo.lic"}, "licgen: verify: open nope.pub: no such file or directory"},
		{"private key as public", []string{"verify", "--pub", "vendor.key", "demo.lic"}, "licgen: verify: vendor.key is a floatlic private key, not a public key: use the .pub file"},
		{"license as key", []string{"sign", "--key", "demo.lic", "demo.tmpl"}, "licgen: sign: demo.lic: not a floatlic private key file"},
		{"missing template", []string{"sign", "--key", "vendor.key", "nope.tmpl"}, "licgen: sign: open nope.tmpl: no such file or directory"},
		{"no --key", []string{"sign", "demo.tmpl"}, "licgen: sign: --key is required"},
		{"no --pub", []string{"verify", "demo.lic"}, "licgen: verify: --pub is required"},
		{"no file", []string{"verify", "--pub", "vendor.pub"}, "licgen: verify: missing the LICENSE argument"},
		{"flags after file", []string{"sign", "demo.tmpl", "--key", "vendor.key"}, "licgen: sign: flags go before the TEMPLATE: licgen sign [flags] TEMPLATE"},
		{"unknown flag", []string{"inspect", "--yaml", "demo.lic"}, "licgen: inspect: flag provided but not defined: -yaml"},
		{"no --out", []string{"keygen"}, "licgen: keygen: --out is required"},
		{"--out with extension", []string{"keygen", "--out", "v.key"}, "licgen: keygen: --out is a prefix: --out v writes v.key and v.pub"},
		{"no such directory", []string{"keygen", "--out", "no/such/v"}, "licgen: keygen: write no/such/v.key: no such file or directory"},
		{"unknown command", []string{"frobnicate"}, `licgen: unknown command "frobnicate" (run 'licgen --help' for usage)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			r.want(t, 2, tt.want)
			if strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want one line on stderr, got:\n%s", r.stderr)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	setup(t)
	r := run(t, "inspect", "demo.tmpl")
	r.want(t, 0)
	if !strings.HasPrefix(r.stdout, "demo.tmpl: 4 features, rules ok (signatures not checked: use licgen verify)\n") ||
		!strings.Contains(r.stdout, "SIGNED") || !strings.Contains(r.stdout, "  no  ") {
		t.Errorf("inspect printed:\n%s", r.stdout)
	}

	r = run(t, "inspect", "--json", "demo.lic")
	r.want(t, 0)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, r.stdout)
	}
	keys := "borrow count expire grace hal_servers hostid line name signed start token_key vendor version"
	for _, f := range got {
		if ks := strings.Join(slices.Sorted(maps.Keys(f)), " "); ks != keys {
			t.Errorf("keys %s, want %s", ks, keys)
		}
	}
	if len(got) != 4 || got[0]["name"] != "cad_pro" || got[0]["count"] != 5.0 || got[0]["grace"] != 48.0 ||
		got[0]["line"] != 6.0 || got[0]["signed"] != true || got[0]["start"] != nil || got[3]["count"] != 0.0 {
		t.Errorf("inspect --json printed:\n%s", r.stdout)
	}

	tk := "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="
	os.WriteFile("tk.lic", []byte("FEATURE x {\n VENDOR = a\n VERSION = 1.0\n COUNT = 1\n BORROW = 1\n EXPIRE = permanent\n TOKEN_KEY = "+tk+"\n}\n"), 0o644)
	r = run(t, "inspect", "tk.lic")
	r.want(t, 0)
	if !strings.Contains(r.stdout, "TOKEN_KEY "+tk) {
		t.Errorf("inspect does not show TOKEN_KEY:\n%s", r.stdout)
	}
	r = run(t, "inspect", "--json", "tk.lic")
	r.want(t, 0)
	if !strings.Contains(r.stdout, `"token_key": [
      "`+tk+`"`) {
		t.Errorf("inspect --json does not show token_key:\n%s", r.stdout)
	}

	os.WriteFile("bad.lic", []byte("FEATURE x {\n}\n"), 0o644)
	run(t, "inspect", "bad.lic").want(t, 1, "bad.lic:1: feature x: VENDOR: missing")
	// With --json the problems are the details of a JSON error, on stdout.
	if r = run(t, "inspect", "--json", "bad.lic"); r.code != 1 || !strings.Contains(r.stdout, `"details":["bad.lic:1: feature x: VENDOR: missing`) {
		t.Errorf("inspect --json of a bad file: exit %d, stdout %s", r.code, r.stdout)
	}
}

func TestVersion(t *testing.T) {
	r := run(t, "--version")
	if r.code != 0 || r.stdout != "licgen version "+version.Version+"\n" {
		t.Errorf("--version: %d %q", r.code, r.stdout)
	}
}

func TestNotes(t *testing.T) {
	t.Chdir(t.TempDir())
	os.WriteFile("t.lic", []byte(`FEATURE old {
  VENDOR = acme
  VERSION = 1.0
  COUNT = 2
  HAL_SERVERS = "a:1 b:1 c:1"
  EXPIRE = 2026-05-31
}
FEATURE later {
  VENDOR = acme
  VERSION = 1.0
  START = 2026-07-01
  EXPIRE = permanent
}
`), 0o644)
	r := run(t, "inspect", "t.lic")
	r.want(t, 0)
	for _, s := range []string{"EXPIRED; HAL a:1 b:1 c:1", "not valid before 2026-07-01; node-locked, not served by licd"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("inspect does not say %q:\n%s", s, r.stdout)
		}
	}
}
