package policy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadSite(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "site.opt"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Directives != 9 {
		t.Errorf("%d directives, want 9", p.Directives)
	}
	if got := p.Groups["design"]; !reflect.DeepEqual(got, []string{"ann", "bob", "carol"}) {
		t.Errorf("GROUP design = %v", got)
	}
	want := []string{
		"RESERVE 2 cad_pro GROUP design (site.opt:6)",
		"MAX 2 cad_pro USER ann (site.opt:7)",
		"INCLUDE solver HOST_GROUP lab (site.opt:8)",
		"EXCLUDE solver USER mallory (site.opt:9)",
		"EXCLUDE_BORROW cad_pro HOST kiosk (site.opt:10)",
	}
	var got []string
	for _, r := range p.Rules {
		got = append(got, r.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(p.Timeouts) != 1 || p.Timeouts[0].String() != "TIMEOUT cad_pro 900 (site.opt:12)" {
		t.Errorf("timeouts %v", p.Timeouts)
	}
	if err := p.Validate(map[string]int{"cad_pro": 4, "solver": 2}); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown keyword", "\n\nRESERV 1 f USER ann", `options site.opt:3: unknown keyword "RESERV"`},
		{"bad number", "MAX two f USER ann", `options site.opt:1: MAX count "two" is not a number from 0 to 1000000`},
		{"reserve zero", "RESERVE 0 f USER ann", `options site.opt:1: RESERVE count "0" is not a number from 1`},
		{"negative max", "MAX -1 f USER ann", `MAX count "-1"`},
		{"too few words", "INCLUDE f USER", "options site.opt:1: INCLUDE takes 3 words, not 2"},
		{"too many words", "RESERVE 1 f USER ann bob", "RESERVE takes 4 words, not 5"},
		{"bad kind", "EXCLUDE f PERSON ann", `options site.opt:1: EXCLUDE: "PERSON" is not USER, HOST, GROUP or HOST_GROUP`},
		{"undefined group", "# x\nMAX 1 f GROUP design\nGROUP other ann", "options site.opt:2: GROUP design is not defined"},
		{"group is not a host group", "GROUP lab ann\nINCLUDE f HOST_GROUP lab", "options site.opt:2: HOST_GROUP lab is not defined"},
		{"empty group", "GROUP design", "options site.opt:1: GROUP takes a name and at least one member"},
		{"timeout twice", "TIMEOUT f 60\nTIMEOUT f 90", "options site.opt:2: TIMEOUT for f is also set at site.opt:1"},
		{"timeout zero", "TIMEOUT f 0", `TIMEOUT seconds "0" is not a number from 1`},
		{"continued line counts from its start", "GROUP g \\\n a \\\n\nFOO", "options site.opt:4: unknown keyword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("site.opt", []byte(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	counts := map[string]int{"f": 3, "g": 1}
	tests := []struct {
		name, text, want string
	}{
		{"ok", "RESERVE 2 f USER a\nRESERVE 1 f USER b\nMAX 9 g USER a", ""},
		{"unknown feature", "INCLUDE f USER a\nMAX 1 h USER a", "options site.opt:2: feature h is not served by the licenses"},
		{"unknown timeout feature", "TIMEOUT h 60", "options site.opt:1: feature h is not served"},
		{"over COUNT", "RESERVE 2 f USER a\nRESERVE 2 f USER b", "options site.opt:2: RESERVE brings the licenses reserved of f to 4, more than its COUNT of 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("site.opt", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			err = p.Validate(counts)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.opt"))
	if err == nil || !strings.HasPrefix(err.Error(), "options: open ") {
		t.Fatalf("err = %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.opt")
	os.WriteFile(big, make([]byte, MaxFileBytes+1), 0o600)
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v", err)
	}
}

func TestMatches(t *testing.T) {
	p, err := Parse("site.opt", []byte("GROUP design ann bob\nHOST_GROUP lab ws1\n"+
		"MAX 1 f USER ann\nMAX 1 f HOST ws1\nMAX 1 f GROUP design\nMAX 1 f HOST_GROUP lab"))
	if err != nil {
		t.Fatal(err)
	}
	s := Compile(p)
	tests := []struct {
		user, host string
		want       []bool // USER ann, HOST ws1, GROUP design, HOST_GROUP lab
	}{
		{"ann", "ws1", []bool{true, true, true, true}},
		{"bob", "ws2", []bool{false, false, true, false}},
		{"carol", "ws1", []bool{false, true, false, true}},
		{"Ann", "WS1", []bool{false, false, false, false}},
	}
	for _, tt := range tests {
		for i, r := range s.Feature("f").Max {
			if got := s.Matches(r, tt.user, tt.host); got != tt.want[i] {
				t.Errorf("%s@%s against %s: %v", tt.user, tt.host, r, got)
			}
		}
	}
}

// Reservations are ordered narrowest first, then as written.
func TestCompileReserveOrder(t *testing.T) {
	p, err := Parse("o", []byte("GROUP g a\nHOST_GROUP h x\nRESERVE 1 f GROUP g\nRESERVE 1 f HOST_GROUP h\nRESERVE 1 f HOST x\nRESERVE 1 f USER a\nRESERVE 1 f USER b"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range Compile(p).Feature("f").Reserve {
		got = append(got, r.Kind+" "+r.Name)
	}
	want := []string{"USER a", "USER b", "HOST x", "HOST_GROUP h", "GROUP g"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if Compile(nil).Feature("f") != nil {
		t.Error("an empty policy has rules")
	}
}
