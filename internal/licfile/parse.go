package licfile

import (
	"cmp"
	"crypto/ed25519"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"
)

// Parse parses and validates a license file (or a template: KEY is
// optional). name is the file name used in errors. On any problem it returns
// no File and an ErrorList holding every problem found, in line order.
func Parse(name string, data []byte) (*File, error) {
	p := parse(name, data, false)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.file(), nil
}

// ParseFile reads and parses the license file at path; errors name the path.
func ParseFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Load reads the license file at path, checks every rule and verifies every
// feature's KEY with the vendor's public key: what a license server calls.
func Load(path string, pub ed25519.PublicKey) (*File, error) {
	f, err := ParseFile(path)
	if err != nil {
		return nil, err
	}
	if err := f.Verify(pub); err != nil {
		return nil, err
	}
	return f, nil
}

// block is one FEATURE block as read, before validation.
type block struct {
	name     string
	line     int // 1-based line of FEATURE
	closeIdx int // index of the "}" line; -1 if the block is not closed
	fields   []rawField
	keys     []keyLine // KEY lines, collected in sign mode only
	feature  *Feature  // the validated feature, set by validate
}

// rawField is one "FIELD = value" line.
type rawField struct {
	name, value string
	idx         int  // index of the line
	bad         bool // the line did not lex; value is empty
}

// keyLine is a KEY line that Sign will replace: prefix is the text up to the
// value, suffix what follows it (spaces and a comment).
type keyLine struct {
	idx            int
	prefix, suffix string
}

type parser struct {
	name   string
	sign   bool // collect KEY lines for Sign instead of parsing them
	lines  []line
	blocks []*block
	errs   ErrorList
}

// parse reads data into blocks and validates them. In sign mode KEY lines
// are set aside for replacement, so a stale or broken KEY is no error.
func parse(name string, data []byte, sign bool) *parser {
	p := &parser{name: name, sign: sign, lines: splitLines(data)}
	p.read()
	for _, b := range p.blocks {
		p.validate(b)
	}
	p.checkDuplicates()
	slices.SortStableFunc(p.errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	return p
}

// file returns the validated features.
func (p *parser) file() *File {
	f := &File{Name: p.name, Features: make([]*Feature, len(p.blocks))}
	for i, b := range p.blocks {
		f.Features[i] = b.feature
	}
	return f
}

func (p *parser) errorf(line int, feature, field, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.name, Line: line, Feature: feature, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// state of the reader between lines.
type state int

const (
	outside   state = iota // between blocks
	wantBrace              // after "FEATURE name" without "{"
	inside                 // in a block
)

// read runs the line state machine, collecting blocks and syntax errors.
func (p *parser) read() {
	st := outside
	var cur *block
	for i := 0; i < len(p.lines); i++ {
		text := p.lines[i].text
		code, quotesOK := stripComment(text)
		code = strings.TrimSpace(code)
		if code == "" {
			continue
		}
		switch {
		case st == wantBrace && code == "{":
			st = inside
			continue
		case st == wantBrace:
			p.errorf(cur.line, cur.name, "", "want { after the feature name")
			st = inside // carry on as if the brace were there
			if isFeatureLine(code) {
				st = outside
			}
		}
		switch {
		case st == outside && isFeatureLine(code):
			cur, st = p.startBlock(i, code), wantBrace
			if strings.HasSuffix(code, "{") {
				st = inside
			}
		case st == outside:
			p.outsideText(i+1, code)
		case isFeatureLine(code):
			p.errorf(cur.line, cur.name, "", "block is not closed: want } before the FEATURE on line %d", i+1)
			i-- // read this line again, outside the block
			st = outside
		case strings.HasPrefix(code, "}"):
			if code != "}" {
				p.errorf(i+1, cur.name, "", "unexpected text after }: put } on a line of its own")
			}
			cur.closeIdx, st = i, outside
		case code == "{":
			p.errorf(i+1, cur.name, "", "unexpected {: the block is already open")
		default:
			p.fieldLine(cur, i, text, code, quotesOK)
		}
	}
	if st != outside {
		p.errorf(cur.line, cur.name, "", "block is not closed: want } before the end of the file")
	}
	if len(p.blocks) == 0 {
		p.errs = append(p.errs, &Error{File: p.name, Msg: "no FEATURE blocks: a license file holds one or more FEATURE name { ... }"})
	}
}

// startBlock begins a block at line index i.
func (p *parser) startBlock(i int, code string) *block {
	name, _, msg := lexHeader(code)
	if msg != "" {
		p.errorf(i+1, "", "", "%s", msg)
	}
	b := &block{name: name, line: i + 1, closeIdx: -1}
	p.blocks = append(p.blocks, b)
	return b
}

// outsideText reports text between blocks, with a hint for likely slips.
func (p *parser) outsideText(line int, code string) {
	hint := ""
	switch {
	case code == "}":
		hint = ": } without an open FEATURE block"
	case strings.HasPrefix(strings.ToUpper(code), "FEATURE"):
		hint = ": keywords are upper-case, as in FEATURE name {"
	case strings.Contains(code, "="):
		hint = ": fields belong inside FEATURE name { ... }"
	}
	p.errorf(line, "", "", "text outside a FEATURE block: %q%s", clip(code), hint)
}

// fieldLine reads one line inside a block.
func (p *parser) fieldLine(b *block, i int, text, code string, quotesOK bool) {
	if p.sign {
		if eq := strings.IndexByte(text, '='); eq >= 0 && strings.TrimSpace(text[:eq]) == "KEY" {
			b.keys = append(b.keys, splitKeyLine(i, text, eq, quotesOK))
			return
		}
	}
	if !quotesOK {
		name, _, _ := lexField(code)
		p.errorf(i+1, b.name, name, "unterminated quote")
		b.fields = append(b.fields, rawField{name: name, idx: i, bad: true})
		return
	}
	name, value, msg := lexField(code)
	if msg != "" {
		p.errorf(i+1, b.name, name, "%s", msg)
	}
	b.fields = append(b.fields, rawField{name: name, value: value, idx: i, bad: msg != ""})
}

// splitKeyLine splits a KEY line around its value.
func splitKeyLine(i int, text string, eq int, quotesOK bool) keyLine {
	k := keyLine{idx: i, prefix: text[:eq+1]}
	rest := text[eq+1:]
	ws := rest[:len(rest)-len(strings.TrimLeft(rest, " \t"))]
	if ws == "" {
		ws = " "
	}
	k.prefix += ws
	if quotesOK {
		code, _ := stripComment(text)
		end := len(strings.TrimRightFunc(code, unicode.IsSpace))
		if end > eq {
			k.suffix = text[end:]
		}
	}
	return k
}

// checkDuplicates reports a feature name used by more than one block.
func (p *parser) checkDuplicates() {
	first := map[string]int{}
	for _, b := range p.blocks {
		if b.name == "" {
			continue
		}
		if l, dup := first[b.name]; dup {
			p.errorf(b.line, b.name, "", "duplicate feature: already defined on line %d", l)
			continue
		}
		first[b.name] = b.line
	}
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
