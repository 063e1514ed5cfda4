//go:build !unix

package datadir

import (
	"errors"
	"os"
)

// Without flock(2) the data dir is not locked: licd is built and tested
// for unix systems.
var errWouldBlock = errors.New("would block")

func flock(*os.File) error { return nil }
