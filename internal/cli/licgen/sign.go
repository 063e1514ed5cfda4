package licgen

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/licfile"
)

// signCmd signs a license template.
type signCmd struct{ *env }

func (s *signCmd) command() *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "check a license template and sign every feature in it",
		ArgsUsage: "TEMPLATE",
		Description: "Writes the template with a KEY line in each FEATURE block (replacing any old\n" +
			"KEY), keeping comments and layout. A template that breaks a rule is not\n" +
			"signed: every problem is printed with its line, and licgen exits 1.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Usage: "the vendor's private key `FILE` (PREFIX.key from licgen keygen)"},
			&cli.StringFlag{Name: "out", Usage: "write the signed license to `FILE` instead of stdout"},
			&cli.BoolFlag{Name: "json", Usage: "print what was written, or the error, as JSON (with --out)"},
		},
		Action: s.run,
	}
}

func (s *signCmd) run(c *cli.Context) error {
	path, err := fileArg(c, "TEMPLATE")
	if err != nil {
		return err
	}
	if err := required(c, "key", "the vendor's private key file, as in --key vendor.key"); err != nil {
		return err
	}
	if c.Bool("json") && c.String("out") == "" {
		return exit.Usagef(c, "sign: --json needs --out: without it the signed license is the output")
	}
	key, err := licfile.ReadPrivateKey(c.String("key"))
	if err != nil {
		return exit.Setupf("sign: %w", err)
	}
	tmpl, err := os.ReadFile(path)
	if err != nil {
		return exit.Setupf("sign: %w", err)
	}
	signed, err := licfile.Sign(path, tmpl, key)
	if err != nil {
		return s.problems(c, err, path, "nothing signed")
	}
	out := c.String("out")
	if out == "" {
		_, err := s.stdout.Write(signed)
		return err
	}
	if err := licfile.WriteFileAtomic(out, signed, 0o644); err != nil {
		return exit.Setupf("sign: %w", err)
	}
	f, err := licfile.Parse(out, signed)
	if err != nil {
		return fmt.Errorf("signed output does not parse: %w", err) // a bug in licfile
	}
	if c.Bool("json") {
		return writeJSON(s.stdout, struct {
			File     string `json:"file"`
			Features int    `json:"features"`
		}{out, len(f.Features)})
	}
	fmt.Fprintf(s.stdout, "wrote %s: %s signed\n", out, count(len(f.Features), "feature"))
	return nil
}
