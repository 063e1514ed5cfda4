// Package storetest holds what tests of the store, the server and the
// binaries do to a SQLite database file from outside.
package storetest

import (
	"bytes"
	"os"
	"testing"
)

// DamagePage overwrites page n (from 1) of the closed database at path with
// garbage, as a failing disk would.
func DamagePage(t testing.TB, path string, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 18)
	if _, err := f.ReadAt(head, 0); err != nil {
		t.Fatal(err)
	}
	size := int64(head[16])<<8 | int64(head[17]) // the page size, in the database header
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xff}, int(size)), (n-1)*size); err != nil {
		t.Fatal(err)
	}
}
