// Command licbench measures a floatlic license server: load over the real
// protocol, a bare-handler baseline and the storage limit. See
// internal/cli/licbench and BENCHMARKS.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licbench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exit.Run(ctx, licbench.App(), os.Args, os.Stderr)
	stop()
	os.Exit(code)
}
