package licfile

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// canonicalPrefix separates what floatlic signs from anything else signed
// with the same key, and names the version of the canonical form.
const canonicalPrefix = "floatlic-license-v1\n"

const signatureSize = ed25519.SignatureSize

// Canonical returns the bytes that a feature's KEY signs: the line
// "floatlic-license-v1", then "FEATURE=name", then one "FIELD=value" line
// per field present except KEY, sorted by field name, each line ending in
// "\n". Values are normalised: numbers in decimal without leading zeros,
// VERSION as "major.minor" without leading zeros, lists joined by one space,
// dates as written, EXPIRE "permanent" in lower case. No value can hold a
// newline, so the encoding is unambiguous.
func Canonical(f *Feature) []byte {
	var b strings.Builder
	b.WriteString(canonicalPrefix)
	b.WriteString("FEATURE=" + f.Name + "\n")
	put := func(field, value string) {
		if value != "" {
			b.WriteString(field + "=" + value + "\n")
		}
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	version := f.Version
	if ValidVersion(version) {
		version = normalVersion(version)
	}
	expire := f.Expire
	if strings.EqualFold(expire, Permanent) {
		expire = Permanent
	}
	// Sorted by field name.
	put("BORROW", num(f.Borrow))
	put("COUNT", num(f.Count))
	put("EXPIRE", expire)
	put("GRACE", num(f.Grace))
	put("HAL_SERVERS", strings.Join(f.HALServers, " "))
	put("HOSTID", strings.Join(f.HostID, " "))
	put("START", f.Start)
	put("TOKEN_KEY", strings.Join(f.TokenKey, " "))
	put("VENDOR", f.Vendor)
	put("VERSION", version)
	return []byte(b.String())
}

// Verify checks every feature's KEY against the vendor's public key. The
// ErrorList it returns names the file, the KEY line and the feature of each
// failure, and each entry wraps ErrSignature. When a file of several
// features is signed throughout and none verifies, the list is one error
// that wraps ErrWrongKey: a wrong key, not several edits, is what the user
// has to fix.
func (f *File) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("verify %s: invalid public key (%d bytes, want %d)", f.Name, len(pub), ed25519.PublicKeySize)
	}
	var errs ErrorList
	signed := 0
	for _, ft := range f.Features {
		if ft.Key != "" {
			signed++
		}
		if msg := verifyFeature(ft, pub); msg != "" {
			errs = append(errs, &Error{File: f.Name, Line: ft.FieldLine("KEY"), Feature: ft.Name,
				Field: "KEY", Msg: msg, Err: ErrSignature})
		}
	}
	if len(errs) > 1 && len(errs) == len(f.Features) && signed == len(f.Features) {
		return ErrorList{{File: f.Name, Msg: "every feature's signature fails; is it the vendor key that signed it?", Err: ErrWrongKey}}
	}
	return errs.err()
}

// WrongKeyFile returns the file whose features all failed to verify, when
// err is (or wraps) the error Verify returns then.
func WrongKeyFile(err error) (string, bool) {
	var e *Error
	if errors.As(err, &e) && errors.Is(e.Err, ErrWrongKey) {
		return e.File, true
	}
	return "", false
}

// verifyFeature returns what is wrong with ft's KEY, or "".
func verifyFeature(ft *Feature, pub ed25519.PublicKey) string {
	if ft.Key == "" {
		return "missing: the feature is not signed (sign the file with licgen sign)"
	}
	sig, err := base64.StdEncoding.DecodeString(ft.Key)
	if err == nil && len(sig) == signatureSize && ed25519.Verify(pub, Canonical(ft), sig) {
		return ""
	}
	return fmt.Sprintf("%v: the FEATURE block on line %d was changed after signing, or was signed with another vendor key",
		ErrSignature, ft.Line)
}

// Sign validates template by the rules of Parse (any KEY lines in it are
// ignored) and returns it with one KEY line per feature holding a fresh
// signature: an existing KEY line gets the new value in place, a block
// without one gets a KEY line before its "}". Comments, blank lines, layout
// and line endings are kept. On any problem Sign returns the same ErrorList
// as Parse.
func Sign(name string, template []byte, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("sign: invalid private key")
	}
	p := parse(name, template, true)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	replace := map[int]string{} // line index → new text; "\x00" drops the line
	insert := map[int]string{}  // line index → a line to put before it
	for _, b := range p.blocks {
		sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, Canonical(b.feature)))
		b.feature.Key = sig
		if len(b.keys) == 0 {
			insert[b.closeIdx] = p.newKeyLine(b, sig)
			continue
		}
		k := b.keys[0]
		replace[k.idx] = k.prefix + sig + k.suffix
		for _, extra := range b.keys[1:] {
			replace[extra.idx] = dropLine
		}
	}
	var out strings.Builder
	for i, l := range p.lines {
		if s, ok := insert[i]; ok {
			out.WriteString(s + p.eolNear(i))
		}
		text, ok := replace[i]
		switch {
		case text == dropLine:
			continue
		case ok:
			out.WriteString(text + l.eol)
		default:
			out.WriteString(l.text + l.eol)
		}
	}
	return []byte(out.String()), nil
}

const dropLine = "\x00"

// newKeyLine formats a KEY line for block b in the style of its last field:
// same indent, "=" in the same column.
func (p *parser) newKeyLine(b *block, sig string) string {
	if len(b.fields) == 0 {
		return "  KEY = " + sig
	}
	last := b.fields[len(b.fields)-1]
	text := p.lines[last.idx].text
	indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
	eq := strings.IndexByte(text, '=')
	gap := strings.TrimLeft(text[len(indent):eq], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
	if !strings.Contains(gap, "\t") {
		width := eq - len(indent) // the name and the spaces before "="
		gap = strings.Repeat(" ", max(width-len("KEY"), min(len(gap), 1)))
	}
	after := text[eq+1:]
	ws := after[:len(after)-len(strings.TrimLeft(after, " \t"))]
	if ws == "" {
		ws = " " // as splitKeyLine does, so signing twice gives the same bytes
	}
	return indent + "KEY" + gap + "=" + ws + sig
}

// eolNear returns the line ending to use for a line put before line i.
func (p *parser) eolNear(i int) string {
	if i > 0 && p.lines[i-1].eol != "" {
		return p.lines[i-1].eol
	}
	if e := p.lines[i].eol; e != "" {
		return e
	}
	return "\n"
}

// WrongKeyMessage is the one line for a file no feature of which verifies
// with the public key in pubFile.
func WrongKeyMessage(pubFile, file string) string {
	return fmt.Sprintf("%s does not verify %s: every feature's signature fails; is it the vendor key that signed it?",
		pubFile, file)
}
