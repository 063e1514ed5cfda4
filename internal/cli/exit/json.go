package exit

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/floatlic/floatlic/internal/wire"
)

// JSON errors: a command run with --json prints its failure as one JSON
// object on stdout, where its result would have been,
//
//	{"error":{"code":"count_exhausted","message":"..."}}
//
// and nothing on stderr; the exit code is the same as without --json. The
// code is the server's error code when a server refused (DESIGN.md), else
// "usage" (exit 2: a mistake in the command line), "setup" (exit 2: the
// command could not be set up: a file, a key) or "refused" (exit 1).
type jsonError struct {
	Error jsonErrorBody `json:"error"`
}

type jsonErrorBody struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details,omitempty"`
}

// Error codes of JSON errors that are not a server's.
const (
	CodeUsage   = "usage"
	CodeSetup   = "setup"
	CodeRefused = "refused"
)

// wantsJSON reports whether args ask for --json (before any "--").
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
}

// writeJSONError writes err, which exits with code, as a JSON error.
func writeJSONError(w io.Writer, err error, code int, msg string) {
	body := jsonErrorBody{Code: CodeRefused, Message: msg}
	var we *wire.Error
	var ue *usageError
	var e *Error
	switch {
	case errors.As(err, &we):
		body.Code = we.Code
	case errors.As(err, &ue):
		body.Code = CodeUsage
	case code == Setup:
		body.Code = CodeSetup
	}
	if errors.As(err, &e) {
		body.Details = e.Details
	}
	b, _ := json.Marshal(jsonError{Error: body}) // strings only: cannot fail
	w.Write(append(b, '\n'))
}
