package licbench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/failover"
)

func failoverCommand() *cli.Command {
	return &cli.Command{
		Name:      "failover",
		Usage:     "measure a HAL set's failover: kill -9 of the serving node → first checkout accepted by the next",
		UsageText: "licbench failover [--licd PATH] [--kills N] [--clients N] [--json]",
		Description: "Starts three licd nodes of a HAL set on free loopback ports (a demo HAL license, licd's default\n" +
			"raft timeouts), then N times: waits until #1 serves and the three agree, runs a steady stream of\n" +
			"checkouts and checkins that try the three nodes, kills #1 with SIGKILL, and times the first\n" +
			"checkout another node accepts; then starts #1 again and waits until it serves again.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "licd", Usage: "the licd binary `PATH` (default: licd next to licbench, else on the PATH)"},
			&cli.IntFlag{Name: "kills", Aliases: []string{"n"}, Value: 20, Usage: "how many times to kill the serving node"},
			&cli.IntFlag{Name: "clients", Aliases: []string{"c"}, Value: 4, Usage: "sessions checking out and in meanwhile"},
			&cli.DurationFlag{Name: "timeout", Value: 2 * time.Second, Usage: "bound on each request"},
			&cli.DurationFlag{Name: "wait", Value: time.Minute, Usage: "bound on each wait: the set settling, a takeover"},
			&cli.StringFlag{Name: "dir", Usage: "keep the set's files and the nodes' logs in `DIR` (default: a temporary dir, removed unless the run fails)"},
			&cli.DurationFlag{Name: "raft-timeout", Usage: "pass --raft-timeout `D` to the nodes (default: none, licd's own default, which is what to measure)"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "the nodes' --log-level (at info they log every grant)"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
		},
		Action: runFailover,
	}
}

func runFailover(c *cli.Context) error {
	if c.Args().Present() {
		return exit.Setupf("failover takes no arguments, got %q", c.Args().First())
	}
	licd, err := findLicd(c.String("licd"))
	if err != nil {
		return exit.WithCode(exit.Setup, err)
	}
	cfg := failover.Config{
		Licd: licd, Kills: c.Int("kills"), Clients: c.Int("clients"),
		Timeout: c.Duration("timeout"), Wait: c.Duration("wait"),
		Dir: c.String("dir"), LogLevel: c.String("log-level"), RaftTimeout: c.Duration("raft-timeout"),
	}
	w := c.App.Writer
	if !c.Bool("json") {
		raft := "licd's default raft timeout"
		if cfg.RaftTimeout > 0 {
			raft = "--raft-timeout " + cfg.RaftTimeout.String()
		}
		fmt.Fprintf(w, "failover of a HAL set run by %s (%s): kill -9 of #1, %d times, %d clients checking out\n", licd, raft, cfg.Kills, cfg.Clients)
		fmt.Fprintf(w, "%5s  %-9s  %14s  %12s\n", "KILL", "TOOK OVER", "FIRST CHECKOUT", "#1 BACK")
		cfg.OnKill = func(k failover.Kill) {
			fmt.Fprintf(w, "%5d  %-9s  %11.1f ms  %10.0f ms\n", k.N, fmt.Sprintf("#%d", k.TookOver), k.Ms, k.BackMs)
		}
	}
	res, err := failover.Run(c.Context, cfg)
	switch {
	case errors.Is(err, failover.ErrUsage):
		return exit.WithCode(exit.Setup, err)
	case err != nil:
		return exit.WithCode(exit.Refused, fmt.Errorf("failover: %w", err))
	case c.Bool("json"):
		return printJSON(w, res)
	}
	return writeFailover(w, res)
}

func writeFailover(w io.Writer, res *failover.Result) error {
	_, err := fmt.Fprintf(w, "kill -9 → first accepted checkout over %d kills: p50 %.1f ms, p90 %.1f ms, max %.1f ms\n",
		res.Kills, res.P50, res.P90, res.Max)
	return err
}

// findLicd returns the licd binary: the one given, else licd next to this
// executable, else licd on the PATH.
func findLicd(given string) (string, error) {
	if given != "" {
		if fi, err := os.Stat(given); err != nil || fi.IsDir() {
			return "", fmt.Errorf("--licd %s: not a licd binary (build one with go build ./cmd/licd)", given)
		}
		return given, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "licd")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("licd")
	if err != nil {
		return "", fmt.Errorf("no licd next to licbench nor on the PATH: give --licd PATH (go build ./cmd/licd)")
	}
	return p, nil
}
