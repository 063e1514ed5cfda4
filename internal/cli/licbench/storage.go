package licbench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/loadgen"
	"github.com/floatlic/floatlic/internal/store"
)

// storageResult is what `licbench storage --json` prints.
type storageResult struct {
	Sync          string  `json:"sync"`
	Batch         int     `json:"batch"` // pairs per transaction
	DurationS     float64 `json:"duration_s"`
	Commits       int     `json:"commits"`
	CommitsPerSec float64 `json:"commits_per_sec"`
	Pairs         int     `json:"pairs"`
	OpsPerSec     float64 `json:"ops_per_sec"` // pairs per second
	P50ms         float64 `json:"p50_ms"`      // per transaction
	P99ms         float64 `json:"p99_ms"`
	P999ms        float64 `json:"p999_ms"`
	Errors        int     `json:"errors"`
}

func storageCommand() *cli.Command {
	return &cli.Command{
		Name:      "storage",
		Usage:     "a raw SQLite write loop with licd's pragmas and schema (the storage limit)",
		UsageText: "licbench storage [--sync full|normal] [--batch N] [--duration D] [--dir DIR] [--json]",
		Description: "Commits transactions back to back on a new database, each with --batch checkout+checkin\n" +
			"pairs (insert and delete a checkout, two events). --batch 1 is one commit per pair; a larger\n" +
			"batch is what group commit does with many clients.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "sync", Value: store.SyncFull, Usage: "durability, as licd's --sync: full or normal"},
			&cli.IntFlag{Name: "batch", Value: 1, Usage: "checkout+checkin pairs per transaction"},
			&cli.DurationFlag{Name: "duration", Aliases: []string{"d"}, Value: 10 * time.Second, Usage: "how long to run"},
			&cli.StringFlag{Name: "dir", Usage: "`DIR` for the database, on the disk licd uses (default: a new temporary dir, removed after)"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
		},
		Action: storageAction,
	}
}

func storageAction(c *cli.Context) error {
	if c.Args().Present() {
		return exit.Setupf("storage takes no arguments, got %q", c.Args().First())
	}
	dir := c.String("dir")
	if dir == "" {
		tmp, err := os.MkdirTemp("", "licbench-storage-")
		if err != nil {
			return exit.Setupf("temporary dir: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return exit.Setupf("--dir %s: not a directory (make it first: the database goes inside)", dir)
	}
	path := filepath.Join(dir, fmt.Sprintf("writeloop-%d.db", os.Getpid()))
	defer removeDB(path)
	h := loadgen.NewHistogram()
	st, err := store.WriteLoop(c.Context, path, store.Options{Sync: c.String("sync")}, c.Int("batch"), c.Duration("duration"), h.Record)
	if err != nil {
		return exit.WithCode(exit.Setup, err)
	}
	secs := st.Elapsed.Seconds()
	res := storageResult{Sync: c.String("sync"), Batch: c.Int("batch"), DurationS: secs, Commits: st.Commits,
		CommitsPerSec: float64(st.Commits) / secs, Pairs: st.Pairs, OpsPerSec: float64(st.Pairs) / secs,
		P50ms: msOf(h.Quantile(0.5)), P99ms: msOf(h.Quantile(0.99)), P999ms: msOf(h.Quantile(0.999))}
	if c.Bool("json") {
		return printJSON(c.App.Writer, res)
	}
	_, err = fmt.Fprintf(c.App.Writer, "storage: sync %s, %d pair(s) per transaction, %.1fs\n"+
		"  commits    %.0f/s (p50 %.2fms  p99 %.2fms  p99.9 %.2fms)\n"+
		"  pairs      %.0f/s\n", res.Sync, res.Batch, secs, res.CommitsPerSec, res.P50ms, res.P99ms, res.P999ms, res.OpsPerSec)
	return err
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// removeDB removes a database and its WAL files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}
