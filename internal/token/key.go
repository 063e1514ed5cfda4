package token

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/floatlic/floatlic/internal/licfile"
)

// KeyPrefix returns the path prefix of the server's token key pair in its
// data dir: PREFIX.key and PREFIX.pub, as licfile writes key pairs.
func KeyPrefix(dataDir string) string { return filepath.Join(dataDir, "server") }

// LoadKey reads the server's token key from the data dir, making a key pair
// there (mode 0600) when there is none. Its public key is what the vendor
// puts in the license's TOKEN_KEY.
func LoadKey(dataDir string) (ed25519.PrivateKey, error) {
	prefix := KeyPrefix(dataDir)
	key, err := licfile.ReadPrivateKey(prefix + ".key")
	if errors.Is(err, fs.ErrNotExist) {
		if err := licfile.WriteKeyPair(prefix, false); err != nil {
			return nil, fmt.Errorf("create server token key: %w", err)
		}
		key, err = licfile.ReadPrivateKey(prefix + ".key")
	}
	if err != nil {
		return nil, fmt.Errorf("server token key: %w", err)
	}
	return key, nil
}

// PublicText returns the base64 public key of key, as TOKEN_KEY holds it.
func PublicText(key ed25519.PrivateKey) string {
	return EncodeKey(key.Public().(ed25519.PublicKey))
}
