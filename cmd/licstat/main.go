// Command licstat watches a floatlic license server: a live terminal view by
// default, or one report with --json or --once.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licstat"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exit.Run(ctx, licstat.App(), os.Args, os.Stderr)
	stop()
	os.Exit(code)
}
