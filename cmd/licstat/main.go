// Command licstat watches a floatlic license server: a live terminal view by
// default, or one report with --json or --once.
package main

import (
	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licstat"
)

func main() { exit.Main(licstat.App()) }
