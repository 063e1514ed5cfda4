package readmetest

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	text := strings.Join([]string{
		"# title",
		"```sh",
		"$ not a console block",
		"```",
		"<!-- readme-test",
		"server: demo",
		"setup: touch x",
		"cleanup: rm x",
		"-->",
		"```console",
		"$ echo a \\",
		"  b",
		"a b",
		"$ true",
		"```",
		"<!-- readme-test skip: a TUI screen -->",
		"",
		"```console",
		"$ licstat",
		"```",
	}, "\n")
	got, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{Line: 10, Note: Annotation{Server: "demo", Setup: []string{"touch x"}, Cleanup: []string{"rm x"}},
			Commands: []Command{{Line: 11, Text: "echo a \\\n  b", Want: []string{"a b"}}, {Line: 14, Text: "true"}}},
		{Line: 18, Note: Annotation{Skip: "a TUI screen"}, Commands: []Command{{Line: 19, Text: "licstat"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
	}
}

// TestParseRefuses: what would otherwise leave a block unchecked, or
// checked in a way the writer did not mean, is an error naming the line.
func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"output before command", "```console\nhello\n```", "README.md:2: console block has output before"},
		{"dangling annotation", "<!-- readme-test server: demo -->\ntext\n```console\n$ x\n```", "README.md:1: readme-test annotation with no"},
		{"annotation on sh block", "<!-- readme-test server: demo -->\n```sh\n$ x\n```", "not ```console"},
		{"skip without reason", "<!-- readme-test skip: -->\n```console\n$ x\n```", "want `key: value`"},
		{"unknown key", "<!-- readme-test sever: demo -->\n```console\n$ x\n```", `key "sever"`},
		{"unknown server", "<!-- readme-test server: hal -->\n```console\n$ x\n```", `server "hal"`},
		{"unclosed block", "```console\n$ x\n", "README.md:1: code block never closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	local := &Local{Addr: "127.0.0.1:41234", User: "runner", Host: "fv-az12"}
	for _, tc := range []struct {
		name, printed, readme string
	}{
		{"address, user, host, id",
			"checked out cad_pro 2.0 from 127.0.0.1:41234 for runner@fv-az12 (checkout 0c9fddc9b7a5fc05f52ceb859ec7a97e)",
			"checked out cad_pro 2.0 from 127.0.0.1:6200 for ann@ws1 (checkout d488b8832f5da1e02446decd920bc799)"},
		{"table columns move", "solver   3.1      runner  fv-az12  2026-12-06T11:09:02Z  2ecb6581885146ac6eae00fcf9291f20",
			"solver   3.1      ann   ws1   2026-12-04T01:18:32+01:00  d488b8832f5da1e02446decd920bc799"},
		{"key", "tmFssLFFFgkgr5BsEm3JQ+Ufb9aJMxlE26FTpv1GloA=", "PgdZrKs/UAwQOgf+EU5+mZCFo71a0C3Tywk2X4bv3nA="},
		{"other ports, pids, fractional durations", "node 127.0.0.1:39001 (pid 24733) took 453.2ms",
			"node 127.0.0.1:41001 (pid 1) took 1.5s"},
		{"a word that contains the user is kept", "runners runner", "runners ann"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := Normalize(tc.printed, local), Normalize(tc.readme, nil); got != want {
				t.Errorf("printed %q\n  normalized %q\nREADME %q\n  normalized %q", tc.printed, got, tc.readme, want)
			}
		})
	}
	// Kept: whole durations (what the reader asked for), dates, versions.
	for _, kept := range []string{"holding for 2s", "EXPIRES 2030-12-31", "solver 3.1", "127.0.0.1:6200"} {
		if got := Normalize(kept, local); got != kept {
			t.Errorf("Normalize(%q) = %q, want it kept", kept, got)
		}
	}
}

func TestDiff(t *testing.T) {
	got := Diff([]string{"a", "b", "c"}, []string{"a", "x", "c", "d"})
	want := "  a\n+ x\n- b\n  c\n+ d\n"
	if got != want {
		t.Errorf("Diff:\n%s\nwant\n%s", got, want)
	}
}
