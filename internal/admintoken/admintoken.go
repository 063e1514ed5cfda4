// Package admintoken makes and reads the admin token file that licd serve
// is started with and that its admin clients (licd reload, stop and
// backup, licstat remove and the TUI's remove) send: one secret, on one
// line.
package admintoken

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Write writes a new random token to path, mode 0600, whole or not at all,
// and returns it. Unless replace is set an existing file is refused (an
// error that is fs.ErrExist): it may be the token a running licd was
// started with.
func Write(path string, replace bool) (string, error) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	tok := hex.EncodeToString(b)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed; after a link, the temporary name goes
	_, err = tmp.WriteString(tok + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if e := tmp.Close(); err == nil {
		err = e
	}
	if err == nil && replace {
		err = os.Rename(tmp.Name(), path)
	} else if err == nil {
		err = os.Link(tmp.Name(), path) // fails if path exists, unlike a rename
	}
	if err != nil {
		return "", fmt.Errorf("write admin token %s: %w", path, err)
	}
	return tok, nil
}

// Read returns the token in the file at path, without the surrounding
// white space a text editor or `echo` leaves.
func Read(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("admin token file %s is empty", path)
	}
	return tok, nil
}
