// Command licborrow is floatlic's end-user client: it checks a license out
// to test the setup, borrows and returns licenses, and shows the borrowed
// licenses and grace state kept for the user. See internal/cli/licborrow.
package main

import (
	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/cli/licborrow"
)

func main() { exit.Main(licborrow.App()) }
