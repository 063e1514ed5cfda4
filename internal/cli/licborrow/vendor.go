package licborrow

import (
	"bytes"
	"crypto/ed25519"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/licenses"
)

// EnvVendorPub names the environment variable holding the vendor's public
// key (the base64 line of its .pub file, or the whole file's text).
const EnvVendorPub = "LIC_VENDOR_PUB"

// VendorPub is the vendor's public key compiled into this licborrow, for a
// vendor who ships it to end users:
//
//	go build -ldflags "-X github.com/floatlic/floatlic/internal/cli/licborrow.VendorPub=BASE64" ./cmd/licborrow
//
// Empty in the generic build, which then trusts the key given with
// --vendor-pub or LIC_VENDOR_PUB: whoever sets those decides what it
// trusts, so the generic licborrow is a tool for testing a setup, not a
// gate an end user cannot pass. A compiled-in key cannot be replaced.
var VendorPub string

func vendorPubFlag() cli.Flag {
	return &cli.StringFlag{Name: "vendor-pub", Usage: "vendor public key `FILE` that grace and borrowed " +
		"licenses must chain to (or set " + EnvVendorPub + " to the key)"}
}

// vendorKey returns the vendor key for the command: the compiled-in one, or
// --vendor-pub, or LIC_VENDOR_PUB; nil when none is given.
func vendorKey(c *cli.Context) (ed25519.PublicKey, error) {
	given, from, err := givenVendorKey(c)
	if err != nil {
		return nil, err
	}
	if VendorPub == "" {
		return given, nil
	}
	builtin, err := licenses.ParseVendorKey(VendorPub)
	if err != nil {
		return nil, exit.Setupf("the vendor key built into licborrow: %w", err)
	}
	if given != nil && !bytes.Equal(given, builtin) {
		return nil, exit.Setupf("%s is not the vendor key built into this licborrow, which cannot be replaced", from)
	}
	return builtin, nil
}

// givenVendorKey reads --vendor-pub FILE, or else LIC_VENDOR_PUB.
func givenVendorKey(c *cli.Context) (key ed25519.PublicKey, from string, err error) {
	var text string
	switch path := c.String("vendor-pub"); {
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", exit.Setupf("--vendor-pub: %w", err)
		}
		text, from = string(b), "--vendor-pub "+path
	case os.Getenv(EnvVendorPub) != "":
		text, from = os.Getenv(EnvVendorPub), EnvVendorPub
	default:
		return nil, "", nil
	}
	key, err = licenses.ParseVendorKey(text)
	if err != nil {
		return nil, "", exit.Setupf("%s: %w", from, err)
	}
	return key, from, nil
}
