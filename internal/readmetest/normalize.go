package readmetest

import (
	"regexp"
	"strings"
)

// README's names for what varies with the machine (rule 1 of the package
// doc).
const (
	DemoAddr   = "127.0.0.1:6200"
	ReadmeUser = "ann"
	ReadmeHost = "ws1"
)

// Local is what rule 1 writes back as the README's names: the address of
// the demo server the test started and the user and host running it.
type Local struct {
	Addr, User, Host string
}

// rule 2, in order: times before durations (a time's seconds may have a
// fraction), keys before ids (a key's base64 may hold 32 hex digits
// between a / and a +).
var variable = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})`), "<time>"},
	{regexp.MustCompile(`(^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{43}=`), "${1}<key>"},
	{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "<id>"},
	{regexp.MustCompile(`\b127\.0\.0\.1:[0-9]+\b`), "127.0.0.1:<port>"},
	{regexp.MustCompile(`\bpid [0-9]+\b`), "pid <pid>"},
	{regexp.MustCompile(`\b[0-9]+\.[0-9]+(ns|µs|us|ms|s)\b`), "<duration>"},
}

var spaces = regexp.MustCompile(`  +`)

// Normalize applies rule 1 to a line the commands printed (local is nil
// for a README line) and then rules 2 and 3 to it.
func Normalize(line string, local *Local) string {
	if local != nil {
		line = local.rewrite(line)
	}
	for _, v := range variable {
		if v.with == "127.0.0.1:<port>" {
			line = keepDemoAddr(line, v.re)
			continue
		}
		line = v.re.ReplaceAllString(line, v.with)
	}
	return strings.TrimRight(spaces.ReplaceAllString(line, "  "), " \t")
}

// keepDemoAddr replaces loopback addresses other than the demo's.
func keepDemoAddr(line string, re *regexp.Regexp) string {
	return re.ReplaceAllStringFunc(line, func(a string) string {
		if a == DemoAddr {
			return a
		}
		return "127.0.0.1:<port>"
	})
}

func (l *Local) rewrite(line string) string {
	if l.Addr != "" {
		line = strings.ReplaceAll(line, l.Addr, DemoAddr)
	}
	line = replaceWord(line, l.User, ReadmeUser)
	return replaceWord(line, l.Host, ReadmeHost)
}

// replaceWord replaces whole-word occurrences of word.
func replaceWord(line, word, with string) string {
	if word == "" || word == with {
		return line
	}
	re := regexp.MustCompile(`(^|[^\w.-])` + regexp.QuoteMeta(word) + `($|[^\w.-])`)
	// Twice: neighbouring occurrences share the character between them.
	for range 2 {
		line = re.ReplaceAllString(line, "${1}"+with+"${2}")
	}
	return line
}
