// Command licbench measures a floatlic license server: load over the real
// protocol, a bare-handler baseline and the storage limit. See
// internal/cli/licbench and BENCHMARKS.md.
package main

import (
	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licbench"
)

func main() { exit.Main(licbench.App()) }
