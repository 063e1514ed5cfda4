package licfile

import (
	"fmt"
	"strings"
	"unicode"
)

// line is one line of the input.
type line struct {
	text string // without the line ending
	eol  string // "\n", "\r\n", or "" for a last line with no ending
}

// splitLines cuts data into lines, keeping each line's ending so that Sign
// can give back the template byte for byte apart from its KEY lines.
func splitLines(data []byte) []line {
	s := string(data)
	var lines []line
	for s != "" {
		text, eol := s, ""
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			text, eol, s = s[:i], "\n", s[i+1:]
		} else {
			s = ""
		}
		if strings.HasSuffix(text, "\r") {
			text, eol = text[:len(text)-1], "\r"+eol
		}
		lines = append(lines, line{text: text, eol: eol})
	}
	return lines
}

// stripComment returns s up to the first '#' that is not inside double
// quotes. ok is false when a quote is left open.
func stripComment(s string) (code string, ok bool) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case '#':
			if !quoted {
				return s[:i], true
			}
		}
	}
	return s, !quoted
}

// isFeatureLine reports whether code (trimmed, comment stripped) starts with
// the FEATURE keyword.
func isFeatureLine(code string) bool {
	rest, ok := strings.CutPrefix(code, "FEATURE")
	if !ok {
		return false
	}
	return rest == "" || rest[0] == '{' || unicode.IsSpace(rune(rest[0]))
}

// lexHeader reads "FEATURE name", "FEATURE name {". msg says what is wrong.
func lexHeader(code string) (name string, open bool, msg string) {
	rest := strings.TrimSpace(strings.TrimPrefix(code, "FEATURE"))
	if r, ok := strings.CutSuffix(rest, "{"); ok {
		rest, open = strings.TrimSpace(r), true
	}
	switch {
	case rest == "":
		return "", open, "FEATURE needs a name, as in: FEATURE cad_pro {"
	case strings.ContainsFunc(rest, unicode.IsSpace):
		first := strings.Fields(rest)[0]
		return first, open, fmt.Sprintf("unexpected text after the feature name %q: want FEATURE name {", first)
	case !validName(rest):
		return rest, open, fmt.Sprintf("invalid feature name %q: use letters, digits, _ - and .", rest)
	}
	return rest, open, ""
}

// lexField reads "FIELD = value" or `FIELD = "value"` from code (comment
// already stripped). It returns the field name whenever it found one, even
// with an error message.
func lexField(code string) (name, value, msg string) {
	code = strings.TrimSpace(code)
	eq := strings.IndexByte(code, '=')
	if eq < 0 || !validFieldName(strings.TrimSpace(code[:eq])) {
		return "", "", fmt.Sprintf("want FIELD = value, got %q", code)
	}
	name = strings.TrimSpace(code[:eq])
	v := strings.TrimSpace(code[eq+1:])
	if q, ok := strings.CutPrefix(v, `"`); ok {
		end := strings.IndexByte(q, '"')
		if end < 0 {
			return name, "", "unterminated quote"
		}
		if rest := strings.TrimSpace(q[end+1:]); rest != "" {
			return name, "", fmt.Sprintf("unexpected text %q after the closing quote", rest)
		}
		v = strings.TrimSpace(q[:end])
	} else if strings.Contains(v, `"`) {
		return name, "", `stray quote: quote the whole value, as in HOSTID = "a b c"`
	}
	if v == "" {
		return name, "", "missing value"
	}
	return name, v, ""
}

// validName reports whether s is a feature or vendor name: letters, digits,
// '_', '-' and '.'.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validFieldName reports whether s looks like a field name (in any case, so
// that "count" is reported as an unknown field rather than as noise).
func validFieldName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }
