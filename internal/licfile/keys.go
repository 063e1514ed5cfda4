package licfile

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Headers of the two key files.
const (
	privateKeyHeader = "floatlic-ed25519-private-key"
	publicKeyHeader  = "floatlic-ed25519-public-key"
)

// GenerateKey returns a new vendor key pair.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	return ed25519.GenerateKey(rand.Reader)
}

// WriteKeyPair generates a key pair and writes PREFIX.key (mode 0600) and
// PREFIX.pub (mode 0644). Unless force is set it refuses, writing nothing,
// when either file exists; the error then wraps fs.ErrExist. Each file is
// written atomically.
func WriteKeyPair(prefix string, force bool) error {
	keyPath, pubPath := prefix+".key", prefix+".pub"
	if !force {
		for _, p := range []string{keyPath, pubPath} {
			if _, err := os.Lstat(p); err == nil {
				return existsError(p)
			}
		}
	}
	pub, priv, err := GenerateKey()
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	if err := WriteFileAtomic(keyPath, encodeKey(privateKeyHeader, priv.Seed()), 0o600); err != nil {
		return err
	}
	return WriteFileAtomic(pubPath, encodeKey(publicKeyHeader, pub), 0o644)
}

// existsError refuses to overwrite a key file; errors.Is finds fs.ErrExist.
type existsError string

func (e existsError) Error() string {
	return string(e) + " already exists: use --force to replace the key pair" +
		" (licenses signed with the old key will not verify with the new .pub)"
}

func (e existsError) Is(target error) bool { return target == fs.ErrExist }

func encodeKey(header string, key []byte) []byte {
	return []byte(header + "\n" + base64.StdEncoding.EncodeToString(key) + "\n")
}

// ReadPrivateKey reads a private key file written by WriteKeyPair.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	seed, err := readKey(path, privateKeyHeader, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ReadPublicKey reads a public key file written by WriteKeyPair.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	key, err := readKey(path, publicKeyHeader, ed25519.PublicKeySize)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(key), nil
}

// ParsePublicKey parses a public key given as the text of a .pub file that
// WriteKeyPair writes, or as the bare base64 line of one: the forms a
// vendor compiles into an application or puts in an environment variable.
func ParsePublicKey(text []byte) (ed25519.PublicKey, error) {
	var lines []string
	for l := range strings.Lines(string(text)) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 2 && lines[0] == publicKeyHeader {
		lines = lines[1:]
	}
	if len(lines) != 1 {
		return nil, fmt.Errorf("not a public key: want the text of a .pub file (licgen keygen writes one) or its base64 line")
	}
	key, err := base64.StdEncoding.DecodeString(lines[0])
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("not a public key: want %d bytes of base64", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(key), nil
}

// readKey reads a key file: the header line, then one line of base64.
// Blank lines and lines starting with '#' are skipped.
func readKey(path, header string, size int) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	kind, ext, other := "public", ".pub", "private"
	if header == privateKeyHeader {
		kind, ext, other = "private", ".key", "public"
	}
	switch {
	case len(lines) > 0 && lines[0] != header && (lines[0] == privateKeyHeader || lines[0] == publicKeyHeader):
		return nil, fmt.Errorf("%s is a floatlic %s key, not a %s key: use the %s file", path, other, kind, ext)
	case len(lines) != 2 || lines[0] != header:
		return nil, fmt.Errorf("%s: not a floatlic %s key file (want a first line %q, as licgen keygen writes)", path, kind, header)
	}
	key, err := base64.StdEncoding.DecodeString(lines[1])
	if err != nil || len(key) != size {
		return nil, fmt.Errorf("%s: damaged %s key: want %d bytes of base64", path, kind, size)
	}
	return key, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so that readers see the old file or the new one,
// never a part. The file gets mode perm.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the temporary file's name from err, which would only
// confuse a user.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
