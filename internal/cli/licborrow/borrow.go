package licborrow

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/licenses"
)

func borrowCommand() *cli.Command {
	return &cli.Command{
		Name:      "borrow",
		Usage:     "borrow a license for some hours, to run with no network",
		ArgsUsage: "FEATURE --hours N",
		Description: "Takes one license of FEATURE out of the server's pool for N hours (at most the " +
			"feature's BORROW) and keeps the server-signed token for this user and host. Until it expires " +
			"or is returned, checkouts of FEATURE need no server. The token is trusted only when it chains to the " +
			"vendor's public key (--vendor-pub FILE or LIC_VENDOR_PUB): without it nothing is borrowed.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "hours", Usage: "borrow for `N` hours"},
			versionFlag(),
			serverFlag(),
			jsonFlag(),
			stateDirFlag(),
			vendorPubFlag(),
		},
		Action: runBorrow,
	}
}

// borrowJSON is one borrowed license in `borrow --json` and `list --json`.
type borrowJSON struct {
	Feature  string  `json:"feature"`
	Version  string  `json:"version"`
	User     string  `json:"user"`
	Host     string  `json:"host"`
	Since    *string `json:"since"`
	Expires  *string `json:"expires"`
	BorrowID string  `json:"borrow_id"`
	Server   string  `json:"server"`
}

func toBorrowJSON(b licenses.Borrow) borrowJSON {
	return borrowJSON{Feature: b.Feature, Version: b.Version, User: b.User, Host: b.Host,
		Since: rfc3339(b.Since), Expires: rfc3339(b.Expires), BorrowID: b.BorrowID, Server: b.Server}
}

func runBorrow(c *cli.Context) error {
	pos, err := args(c, 1, 1, "FEATURE --hours N")
	if err != nil {
		return err
	}
	if !c.IsSet("hours") || c.Int("hours") < 1 {
		return exit.Setupf("borrow needs --hours N, at least 1")
	}
	cl, err := newClient(c, licenses.Options{}, true)
	if err != nil {
		return err
	}
	b, err := cl.Borrow(c.Context, pos[0], c.String("version"), c.Int("hours"))
	if err != nil {
		return refused(err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, toBorrowJSON(*b))
	}
	say(w, "borrowed %s %s for %s@%s until %s (borrow %s)", b.Feature, b.Version, b.User, b.Host, human(b.Expires), b.BorrowID)
	fmt.Fprintf(w, "it runs with no network until then; give it back early with: %s return %s\n", c.App.Name, b.Feature)
	return nil
}
