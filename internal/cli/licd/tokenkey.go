package licd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/token"
)

func tokenKeyCommand() *cli.Command {
	return &cli.Command{
		Name:  "token-key",
		Usage: "print this server's token key, for the license's TOKEN_KEY",
		Description: "Prints the base64 public key with which licd signs grace and borrow tokens, making the\n" +
			"key pair in the data dir (server.key, mode 0600) when there is none. Send it to the vendor:\n" +
			"the license names it as TOKEN_KEY, and clients trust a token offline only when the\n" +
			"vendor-signed license names the key that signed it. For HAL, run it on each node (the\n" +
			"license lists the three keys in role order) or copy one server.key to all three.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Value: "licd-data", Usage: "`DIR` that licd serve --data uses"},
			&cli.BoolFlag{Name: "json", Usage: `print {"token_key": KEY, "created": true|false} as JSON`},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("data")
			_, statErr := os.Stat(token.KeyPrefix(dir) + ".key")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return exit.Setupf("data dir: %w", err)
			}
			key, err := token.LoadKey(dir)
			if err != nil {
				return exit.WithCode(exit.Setup, err)
			}
			if c.Bool("json") {
				return printJSON(map[string]any{"token_key": token.PublicText(key), "created": errors.Is(statErr, fs.ErrNotExist)})
			}
			if errors.Is(statErr, fs.ErrNotExist) {
				fmt.Fprintf(Stderr, "licd: made a new token key in %s.key\n", token.KeyPrefix(dir))
			}
			fmt.Fprintln(Stdout, token.PublicText(key))
			return nil
		},
	}
}
