package licd

import (
	"strings"
	"sync"
	"testing"
)

func TestPrefixWriter(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"whole lines", []string{"a\nb\n"}, "[1] a\n[1] b\n"},
		{"split line", []string{"ab", "c\nd", "\n"}, "[1] abc\n[1] d\n"},
		{"no newline at exit", []string{"a\nb"}, "[1] a\n[1] b\n"},
		{"too long a line", []string{strings.Repeat("x", maxLine+1)}, "[1] " + strings.Repeat("x", maxLine+1) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			p := &prefixWriter{mu: &sync.Mutex{}, w: &b, prefix: "[1] "}
			for _, w := range tt.writes {
				if n, err := p.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			p.flush()
			if got := b.String(); got != tt.want {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShellLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--data", "/tmp/x-1/node1", "--raft-peers", "a:1,b:2"}, "serve --data /tmp/x-1/node1 --raft-peers a:1,b:2"},
		{[]string{"--data", "/my dir"}, "--data '/my dir'"},
		{[]string{"it's"}, `'it'\''s'`},
		{[]string{""}, "''"},
	}
	for _, tt := range tests {
		if got := shellLine(tt.args...); got != tt.want {
			t.Errorf("shellLine(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}
