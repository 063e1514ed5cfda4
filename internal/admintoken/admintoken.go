// Package admintoken reads the admin token file that licd serve is started
// with and that its admin clients (licd reload, stop and backup, licstat
// remove and the TUI's remove) send: one secret, on one line.
package admintoken

import (
	"fmt"
	"os"
	"strings"
)

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
