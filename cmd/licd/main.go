// Command licd is the floatlic license server.
package main

import (
	"context"
	"os"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licd"
)

func main() {
	os.Exit(exit.Run(context.Background(), licd.App(), os.Args, os.Stderr))
}
