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
