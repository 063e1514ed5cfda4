package licgen

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/licfile"
)

// keygenCmd makes the vendor's key pair.
type keygenCmd struct{ *env }

func (k *keygenCmd) command() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "make a vendor key pair: PREFIX.key (private, mode 0600) and PREFIX.pub",
		Description: "Keep PREFIX.key secret: whoever has it can sign licenses. Give PREFIX.pub to\n" +
			"the license server (licd serve --vendor-pub PREFIX.pub).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write `PREFIX`.key and PREFIX.pub"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing key pair"},
			&cli.BoolFlag{Name: "json", Usage: "print the result, or the error, as JSON"},
		},
		Action: k.run,
	}
}

func (k *keygenCmd) run(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return exit.Setupf("keygen: unexpected argument %q: use --out PREFIX", c.Args().First())
	}
	if err := required(c, "out", "the key files' name without extension, as in --out vendor"); err != nil {
		return err
	}
	prefix := c.String("out")
	if ext := filepath.Ext(prefix); ext == ".key" || ext == ".pub" {
		return exit.Setupf("keygen: --out is a prefix: --out %[1]s writes %[1]s.key and %[1]s.pub", strings.TrimSuffix(prefix, ext))
	}
	err := licfile.WriteKeyPair(prefix, c.Bool("force"))
	switch {
	case errors.Is(err, fs.ErrExist):
		return exit.Refusedf("keygen: %w", err)
	case err != nil:
		return exit.Setupf("keygen: %w", err)
	}
	if c.Bool("json") {
		return writeJSON(k.stdout, map[string]string{"private_key": prefix + ".key", "public_key": prefix + ".pub"})
	}
	fmt.Fprintf(k.stdout, "wrote %s.key  private signing key (mode 0600): keep it secret, never ship it\n", prefix)
	fmt.Fprintf(k.stdout, "wrote %s.pub  public key: give it to licd with --vendor-pub\n", prefix)
	return nil
}
