// Command licgen is the vendor's tool: it makes signing keys, signs license
// templates, and verifies and inspects license files. See licgen --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exit.Run(ctx, licgen.App(), os.Args, os.Stderr)
	stop()
	os.Exit(code)
}
