// Package exit maps errors of floatlic's commands to their exit codes —
// 0 ok, 1 refused or invalid, 2 usage or setup error — and prints
// them as one clear line, or with --json as a JSON error (json.go). Run also
// gives every command the same handling of a bad command line (usage.go)
// and shell completion (completion.go).
package exit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	OK      = 0
	Refused = 1 // the request was refused, or the input is invalid
	Setup   = 2 // bad usage, or the command could not be set up
)

// Error carries an exit code with an error.
type Error struct {
	Code int
	Err  error
	// Details, if any, are the lines of a list of problems (an invalid
	// license file): a JSON error carries them as "details".
	Details []string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Refusedf returns an error that exits with code 1.
func Refusedf(format string, args ...any) error {
	return &Error{Code: Refused, Err: fmt.Errorf(format, args...)}
}

// Setupf returns an error that exits with code 2.
func Setupf(format string, args ...any) error {
	return &Error{Code: Setup, Err: fmt.Errorf(format, args...)}
}

// WithCode wraps err with code; nil stays nil.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Silent is an error that exits with Code and prints nothing more: the command
// has already said what went wrong.
type Silent int

func (s Silent) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// Main runs app on the process's arguments, cancelling its context on
// SIGINT or SIGTERM, and exits with Run's code: the whole of a command's
// main function.
func Main(app *cli.App) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, app, os.Args, os.Stderr)
	stop()
	os.Exit(code)
}

// Run runs app with args and returns the exit code, printing a failure to
// stderr as one line prefixed with the app's name. Flag and argument errors
// exit 2.
func Run(ctx context.Context, app *cli.App, args []string, stderr io.Writer) int {
	app.ExitErrHandler = func(*cli.Context, error) {} // we decide the code below
	prepare(app)
	if app.Writer == nil {
		app.Writer = io.Discard
	}
	app.ErrWriter = stderr
	err := app.RunContext(ctx, args)
	if err == nil {
		return OK
	}
	var silent Silent
	if errors.As(err, &silent) {
		return int(silent)
	}
	if topic, ok := strings.CutPrefix(err.Error(), "No help topic for "); ok {
		// urfave/cli's `help NAME` of an unknown command exits 3.
		err = UsageIn(app.Name, "unknown command %s", strings.ReplaceAll(topic, "'", `"`))
	}
	code := Setup // an error with no code came from flag parsing or set-up
	var e *Error
	var ce cli.ExitCoder
	switch {
	case errors.As(err, &e):
		code = e.Code
	case errors.As(err, &ce):
		code = ce.ExitCode()
	}
	msg := usageLine(err, strings.TrimSpace(err.Error()))
	if wantsJSON(args) {
		writeJSONError(app.Writer, err, code, msg)
		return code
	}
	// One line, except for a list of problems (an invalid license file),
	// which is shown whole, one problem a line.
	msg = strings.ReplaceAll(msg, "\n", "\n  ")
	fmt.Fprintf(stderr, "%s: %s\n", app.Name, msg)
	return code
}
