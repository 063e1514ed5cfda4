package licgen

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Every licgen command that prints a result prints JSON with --json, and
// its failure as a JSON error on stdout with the same exit code.
func TestJSON(t *testing.T) {
	setup(t)
	lic, _ := os.ReadFile("demo.lic")
	os.WriteFile("tampered.lic", []byte(strings.Replace(string(lic), "COUNT   = 5\n", "COUNT   = 6\n", 1)), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout
	}{
		{"keygen", []string{"keygen", "--out", "v2", "--json"}, 0, `"public_key": "v2.pub"`},
		{"keygen exists", []string{"keygen", "--out", "vendor", "--json"}, 1, `{"error":{"code":"refused","message":"keygen: `},
		{"sign", []string{"sign", "--key", "vendor.key", "--out", "again.lic", "--json", "demo.tmpl"}, 0, `"features": 4`},
		{"sign to stdout", []string{"sign", "--key", "vendor.key", "--json", "demo.tmpl"}, 2, `{"error":{"code":"usage","message":"sign: --json needs --out`},
		{"verify", []string{"verify", "--pub", "vendor.pub", "--json", "demo.lic"}, 0, `"valid": true`},
		{"verify tampered", []string{"verify", "--pub", "vendor.pub", "--json", "tampered.lic"}, 1,
			`{"error":{"code":"refused","message":"tampered.lic: 1 problem; the license is not valid","details":["tampered.lic:13: feature cad_pro: KEY: signature does not verify`},
		{"verify no key", []string{"verify", "--pub", "nope.pub", "--json", "demo.lic"}, 2, `{"error":{"code":"setup","message":"verify: open nope.pub`},
		{"inspect", []string{"inspect", "--json", "demo.lic"}, 0, `"name": "cad_pro"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.want) || r.stderr != "" || !json.Valid([]byte(r.stdout)) {
				t.Errorf("exit %d (want %d)\nstdout %s\nwant in it %s\nstderr %q", r.code, tc.code, r.stdout, tc.want, r.stderr)
			}
		})
	}
}
