package licfile

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSignature is wrapped by every error about a KEY that does not verify
// (or is missing), so callers can test for it with errors.Is, also through
// an ErrorList.
var ErrSignature = errors.New("signature does not verify")

// ErrWrongKey is wrapped by the one error Verify returns when not one of
// the features of a file verifies: then the key given is the likely fault,
// not the file, and one line says so. It wraps ErrSignature.
var ErrWrongKey = fmt.Errorf("%w with the key given", ErrSignature)

// Error is one problem in a license file. Its text names the file, the line,
// the feature and the field, leaving out the parts that are empty:
//
//	demo.lic:7: feature cad_pro: GRACE: want hours from 1 to 168, got "200"
type Error struct {
	File    string
	Line    int // 1-based; 0 when the problem has no line (an empty file)
	Feature string
	Field   string
	Msg     string
	Err     error // the sentinel the problem stands for (ErrSignature), or nil
}

// Error returns "FILE:LINE: feature NAME: FIELD: msg" without the empty parts.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Feature != "" {
		fmt.Fprintf(&b, "feature %s: ", e.Feature)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel the problem stands for, if any.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem found in a license file, in line order. Parse,
// Verify and Sign return one instead of stopping at the first problem.
type ErrorList []*Error

// Error returns the problems one per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so errors.Is and errors.As look into each.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// err returns l as an error, or nil when it is empty.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
