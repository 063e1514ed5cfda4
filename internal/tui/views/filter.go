package views

import "strings"

// Filter is what / narrows the views to: words that must all match (case
// does not matter). A bare word matches the feature, user or host; a word
// with a prefix matches that field only: "user:ann", "host:ws", "feature:cad".
type Filter struct {
	text  string
	terms []term
}

type term struct {
	field int // fieldAny, or an index into Fields
	value string
}

// Indexes into Fields; fieldAny marks a bare word.
const (
	fieldFeature = iota
	fieldUser
	fieldHost
	fieldAny = -1
)

// Fields are the values of a row that a Filter looks at. An empty value is
// one the row does not have: a word for that field alone does not hide it.
type Fields [3]string

// ParseFilter parses the text typed after /.
func ParseFilter(text string) Filter {
	f := Filter{text: strings.TrimSpace(text)}
	for _, w := range strings.Fields(strings.ToLower(text)) {
		t := term{field: fieldAny, value: w}
		if name, value, ok := strings.Cut(w, ":"); ok && value != "" {
			switch name {
			case "feature", "f":
				t = term{fieldFeature, value}
			case "user", "u":
				t = term{fieldUser, value}
			case "host", "h":
				t = term{fieldHost, value}
			}
		}
		f.terms = append(f.terms, t)
	}
	return f
}

// String returns the filter as typed.
func (f Filter) String() string { return f.text }

// Empty reports whether the filter lets every row through.
func (f Filter) Empty() bool { return len(f.terms) == 0 }

// Match reports whether a row with fields passes the filter.
func (f Filter) Match(fields Fields) bool {
	for _, t := range f.terms {
		if !t.match(fields) {
			return false
		}
	}
	return true
}

func (t term) match(fields Fields) bool {
	if t.field != fieldAny {
		v := fields[t.field]
		return v == "" || contains(v, t.value)
	}
	for _, v := range fields {
		if v != "" && contains(v, t.value) {
			return true
		}
	}
	return false
}

// contains is strings.Contains ignoring ASCII case; lower is lower-case.
func contains(s, lower string) bool {
	if len(lower) > len(s) {
		return false
	}
	for i := 0; i+len(lower) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}
