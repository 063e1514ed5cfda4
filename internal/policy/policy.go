// Package policy reads licd's options file: the site's rules on who may use
// a feature (INCLUDE, EXCLUDE and their _BORROW kin), how many licenses one
// user, host or group may hold (MAX), which licenses are kept for whom
// (RESERVE), and how long an idle session keeps a feature (TIMEOUT), with
// the GROUP and HOST_GROUP lists they name.
//
// Design: Parse turns a file into a Policy, plain data that JSON encodes
// unchanged, so that a HAL set replicates it with the features and every
// node applies the same rules; Compile indexes it by feature for the
// ledger (package engine), which decides. Parse refuses a whole file on its
// first error, naming file:line: a half-read policy would grant or refuse
// what the admin did not write.
package policy

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Keywords of the options file.
const (
	Reserve       = "RESERVE"
	Max           = "MAX"
	Include       = "INCLUDE"
	Exclude       = "EXCLUDE"
	IncludeBorrow = "INCLUDE_BORROW"
	ExcludeBorrow = "EXCLUDE_BORROW"
	Group         = "GROUP"
	HostGroup     = "HOST_GROUP"
	Timeout       = "TIMEOUT"
)

// Kinds of rule target.
const (
	User = "USER"
	Host = "HOST"
	// Group and HostGroup are kinds too: a GROUP target names a GROUP list
	// of users, a HOST_GROUP target a HOST_GROUP list of hosts.
)

// MaxFileBytes bounds an options file: a site's rules fit in far less.
const MaxFileBytes = 1 << 20

// Rule is one RESERVE, MAX, INCLUDE, EXCLUDE, INCLUDE_BORROW or
// EXCLUDE_BORROW line.
type Rule struct {
	Keyword string
	N       int `json:",omitempty"` // RESERVE and MAX only
	Feature string
	Kind    string // USER, HOST, GROUP or HOST_GROUP
	Name    string
	Line    int
	Where   string // file:line, with the file's base name: what refusals name
}

// String is the rule as written, and where: "MAX 2 cad_pro USER ann (site.opt:4)".
func (r Rule) String() string {
	n := ""
	if r.Keyword == Reserve || r.Keyword == Max {
		n = strconv.Itoa(r.N) + " "
	}
	return fmt.Sprintf("%s %s%s %s %s (%s)", r.Keyword, n, r.Feature, r.Kind, r.Name, r.Where)
}

// TimeoutRule is one TIMEOUT line.
type TimeoutRule struct {
	Feature string
	Seconds int
	Line    int
	Where   string
}

// String is the rule as written, and where.
func (t TimeoutRule) String() string {
	return fmt.Sprintf("TIMEOUT %s %d (%s)", t.Feature, t.Seconds, t.Where)
}

// Policy is a parsed options file.
type Policy struct {
	Path       string // as given to Load or Parse
	Directives int    // lines (continued lines once) that say something
	Rules      []Rule // in file order
	Timeouts   []TimeoutRule
	Groups     map[string][]string `json:",omitempty"` // GROUP name: users
	HostGroups map[string][]string `json:",omitempty"` // HOST_GROUP name: hosts
	// groupLine and hostGroupLine are where each list was first defined.
	groupLine, hostGroupLine map[string]int
}

// Load reads and parses the options file at path.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("options %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("options %s: larger than %d bytes", path, MaxFileBytes)
	}
	return Parse(path, data)
}

// Parse parses an options file's text; path names it in errors and rules.
func Parse(path string, data []byte) (*Policy, error) {
	p := &Policy{Path: path, Groups: map[string][]string{}, HostGroups: map[string][]string{},
		groupLine: map[string]int{}, hostGroupLine: map[string]int{}}
	base := filepath.Base(path)
	if n, ok := validText(data); !ok {
		// JSON would turn bad bytes into U+FFFD: HAL nodes would differ.
		return nil, fmt.Errorf("options %s:%d: not UTF-8 text", path, n)
	}
	for _, l := range logicalLines(string(data)) {
		if err := p.parseLine(l.fields, l.line, fmt.Sprintf("%s:%d", base, l.line)); err != nil {
			return nil, fmt.Errorf("options %s:%d: %s", path, l.line, err)
		}
	}
	if err := p.checkGroups(); err != nil {
		return nil, err
	}
	return p, nil
}

// validText reports whether data is UTF-8 text, or the first line that is not.
func validText(data []byte) (int, bool) {
	if utf8.Valid(data) {
		return 0, true
	}
	for i, l := range bytes.Split(data, []byte("\n")) {
		if !utf8.Valid(l) {
			return i + 1, false
		}
	}
	return 1, false
}

type logicalLine struct {
	line   int
	fields []string
}

// logicalLines splits text into lines that say something, joining a line
// that ends in a backslash with the next (long GROUP lists), and dropping
// comments (from # to the end of the line) and blank lines.
func logicalLines(text string) []logicalLine {
	var out []logicalLine
	var cur []string
	start := 0
	for i, raw := range strings.Split(text, "\n") {
		if c := strings.IndexByte(raw, '#'); c >= 0 {
			raw = raw[:c]
		}
		raw = strings.TrimRight(raw, " \t\r")
		cont := strings.HasSuffix(raw, "\\")
		raw = strings.TrimSuffix(raw, "\\")
		f := strings.Fields(raw)
		if len(cur) == 0 {
			start = i + 1
		}
		cur = append(cur, f...)
		if cont {
			continue
		}
		if len(cur) > 0 {
			out = append(out, logicalLine{line: start, fields: cur})
		}
		cur = nil
	}
	if len(cur) > 0 {
		out = append(out, logicalLine{line: start, fields: cur})
	}
	return out
}

// parseLine adds the directive in fields to p.
func (p *Policy) parseLine(fields []string, line int, where string) error {
	kw := strings.ToUpper(fields[0])
	args := fields[1:]
	p.Directives++
	switch kw {
	case Reserve, Max:
		if len(args) != 4 {
			return fmt.Errorf("%s takes 4 words, not %d: %s N FEATURE USER|HOST|GROUP|HOST_GROUP NAME", kw, len(args), kw)
		}
		n, err := strconv.Atoi(args[0])
		least := 1
		if kw == Max {
			least = 0
		}
		if err != nil || n < least || n > 1_000_000 {
			return fmt.Errorf("%s count %q is not a number from %d to 1000000", kw, args[0], least)
		}
		return p.addRule(Rule{Keyword: kw, N: n, Feature: args[1], Name: args[3], Line: line, Where: where}, args[2])
	case Include, Exclude, IncludeBorrow, ExcludeBorrow:
		if len(args) != 3 {
			return fmt.Errorf("%s takes 3 words, not %d: %s FEATURE USER|HOST|GROUP|HOST_GROUP NAME", kw, len(args), kw)
		}
		return p.addRule(Rule{Keyword: kw, Feature: args[0], Name: args[2], Line: line, Where: where}, args[1])
	case Group, HostGroup:
		if len(args) < 2 {
			return fmt.Errorf("%s takes a name and at least one member: %s NAME MEMBER...", kw, kw)
		}
		lists, lines := p.Groups, p.groupLine
		if kw == HostGroup {
			lists, lines = p.HostGroups, p.hostGroupLine
		}
		if _, ok := lines[args[0]]; !ok {
			lines[args[0]] = line
		}
		lists[args[0]] = append(lists[args[0]], args[1:]...) // a repeated GROUP adds to the list
		return nil
	case Timeout:
		return p.addTimeout(args, line, where)
	}
	return fmt.Errorf("unknown keyword %q: want RESERVE, MAX, INCLUDE, EXCLUDE, INCLUDE_BORROW, EXCLUDE_BORROW, GROUP, HOST_GROUP or TIMEOUT", clip(fields[0]))
}

func (p *Policy) addRule(r Rule, kind string) error {
	r.Kind = strings.ToUpper(kind)
	switch r.Kind {
	case User, Host, Group, HostGroup:
	default:
		return fmt.Errorf("%s: %q is not USER, HOST, GROUP or HOST_GROUP", r.Keyword, clip(kind))
	}
	p.Rules = append(p.Rules, r)
	return nil
}

func (p *Policy) addTimeout(args []string, line int, where string) error {
	if len(args) != 2 {
		return fmt.Errorf("TIMEOUT takes 2 words, not %d: TIMEOUT FEATURE SECONDS", len(args))
	}
	secs, err := strconv.Atoi(args[1])
	if err != nil || secs < 1 || secs > 366*24*3600 {
		return fmt.Errorf("TIMEOUT seconds %q is not a number from 1 to %d", clip(args[1]), 366*24*3600)
	}
	for _, t := range p.Timeouts {
		if t.Feature == args[0] {
			return fmt.Errorf("TIMEOUT for %s is also set at %s", args[0], t.Where)
		}
	}
	p.Timeouts = append(p.Timeouts, TimeoutRule{Feature: args[0], Seconds: secs, Line: line, Where: where})
	return nil
}

// checkGroups refuses a rule that names a list the file does not define.
// Lists may be defined after the rules that name them.
func (p *Policy) checkGroups() error {
	for _, r := range p.Rules {
		lists := p.Groups
		if r.Kind == HostGroup {
			lists = p.HostGroups
		} else if r.Kind != Group {
			continue
		}
		if _, ok := lists[r.Name]; !ok {
			return fmt.Errorf("options %s:%d: %s %s is not defined: add a line %s %s MEMBER...",
				p.Path, r.Line, r.Kind, r.Name, r.Kind, r.Name)
		}
	}
	return nil
}

// Validate checks the rules against the served features, name: COUNT.
// Every feature a rule names must be served, and a feature's reservations
// must fit in its COUNT.
func (p *Policy) Validate(counts map[string]int) error {
	reserved := map[string]int{}
	for _, r := range p.Rules {
		count, ok := counts[r.Feature]
		if !ok {
			return fmt.Errorf("options %s:%d: feature %s is not served by the licenses", p.Path, r.Line, clip(r.Feature))
		}
		if r.Keyword != Reserve {
			continue
		}
		reserved[r.Feature] += r.N
		if reserved[r.Feature] > count {
			return fmt.Errorf("options %s:%d: RESERVE brings the licenses reserved of %s to %d, more than its COUNT of %d",
				p.Path, r.Line, r.Feature, reserved[r.Feature], count)
		}
	}
	for _, t := range p.Timeouts {
		if _, ok := counts[t.Feature]; !ok {
			return fmt.Errorf("options %s:%d: feature %s is not served by the licenses", p.Path, t.Line, clip(t.Feature))
		}
	}
	return nil
}

// clip shortens what a file says to quote it in a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
