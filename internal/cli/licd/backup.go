package licd

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/wire"
)

func backupCommand() *cli.Command {
	return &cli.Command{
		Name:  "backup",
		Usage: "copy a running licd's database to a file, consistently, while it serves",
		Description: "licd copies its database with SQLite's online backup and streams the copy;\n" +
			"checkouts go on meanwhile. The file is written whole or not at all, mode\n" +
			"0600. To restore: stop licd, copy the file to DIR/licd.db, remove\n" +
			"DIR/licd.db-wal and DIR/licd.db-shm, start licd. On a HAL set see the README:\n" +
			"a node that lost its data takes the ledger from the others instead.",
		Flags: append(adminFlags(),
			&cli.StringFlag{Name: "to", Required: true, Usage: "`FILE` to write the backup to"},
			&cli.BoolFlag{Name: "force", Usage: "replace FILE if it exists"},
		),
		Action: func(c *cli.Context) error {
			a, err := newAdmin(c)
			if err != nil {
				return err
			}
			to := c.String("to")
			if _, err := os.Lstat(to); err == nil && !c.Bool("force") {
				return exit.Setupf("backup: %s exists: choose another --to, or add --force to replace it", to)
			}
			n, err := a.backup(c, to)
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			if c.Bool("json") {
				return printJSON(struct {
					File  string `json:"file"`
					Bytes int64  `json:"bytes"`
				}{to, n})
			}
			fmt.Fprintf(Stdout, "wrote %s (%d bytes)\n", to, n)
			return nil
		},
	}
}

// backup streams the database into a temporary file next to to, and
// renames it to to once it is whole: an interrupted backup leaves no file
// that looks like one.
func (a *admin) backup(c *cli.Context, to string) (int64, error) {
	resp, err := a.do(c.Context, http.MethodGet, wire.PathBackup)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(to), "."+filepath.Base(to)+".*.tmp")
	if err != nil {
		return 0, exit.Setupf("%w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	defer tmp.Close()
	n, err := io.Copy(tmp, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
	}
	if err != nil {
		return 0, exit.Refusedf("from licd at %s: %w", a.base, err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, exit.Setupf("%w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, exit.Setupf("%w", err)
	}
	if err := os.Rename(tmp.Name(), to); err != nil {
		return 0, exit.Setupf("%w", err)
	}
	return n, nil
}
