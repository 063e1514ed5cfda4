// Command licgen is the vendor's tool: it makes signing keys, signs license
// templates, and verifies and inspects license files. See licgen --help.
package main

import (
	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licgen"
)

func main() { exit.Main(licgen.App()) }
