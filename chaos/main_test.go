package chaos

import (
	"fmt"
	"os"
	"testing"
)

// licdBin is the licd the tests run, built once by TestMain.
var licdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "floatlic-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	licdBin, err = BuildLicd(dir, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
