package licgen

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/licfile"
)

// verifyCmd checks a signed license file with the vendor's public key.
type verifyCmd struct{ *env }

func (v *verifyCmd) command() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check a license file's rules and every signature",
		ArgsUsage: "LICENSE",
		Description: "Exits 0 and prints one line per feature when the file is valid and every\n" +
			"KEY verifies with the public key; otherwise prints every problem with its\n" +
			"line and exits 1.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "pub", Usage: "the vendor's public key `FILE` (PREFIX.pub from licgen keygen)"},
			&cli.BoolFlag{Name: "json", Usage: "print the verified features, or the problems, as JSON"},
		},
		Action: v.run,
	}
}

func (v *verifyCmd) run(c *cli.Context) error {
	path, err := fileArg(c, "LICENSE")
	if err != nil {
		return err
	}
	if err := required(c, "pub", "the vendor's public key file, as in --pub vendor.pub"); err != nil {
		return err
	}
	pubPath := c.String("pub")
	pub, err := licfile.ReadPublicKey(pubPath)
	if err != nil {
		return exit.Setupf("verify: %w", err)
	}
	f, err := licfile.ParseFile(path)
	if err != nil {
		return v.problems(c, err, path, "the license is not valid")
	}
	if err := f.Verify(pub); err != nil {
		if file, ok := licfile.WrongKeyFile(err); ok {
			return exit.Refusedf("%s", licfile.WrongKeyMessage(pubPath, file))
		}
		return v.problems(c, err, path, "the license is not valid")
	}
	if c.Bool("json") {
		return writeJSON(v.stdout, struct {
			File     string        `json:"file"`
			Valid    bool          `json:"valid"`
			Pub      string        `json:"pub"`
			Features []featureJSON `json:"features"`
		}{path, true, pubPath, featuresJSON(f)})
	}
	fmt.Fprintf(v.stdout, "%s: valid, %s, every signature verifies with %s\n", path, count(len(f.Features), "feature"), pubPath)
	return writeTable(v.stdout, f, v.now(), false)
}
