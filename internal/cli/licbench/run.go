package licbench

import (
	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/loadgen"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "drive a running licd over the real protocol",
		UsageText: "licbench run --server ADDR [--mode churn|heartbeat|mixed] [--clients N] [--sessions N] [--duration D] [--interval D] [--rate R] [--json]",
		Description: "Each simulated client is one session of the licenses package. The feature (default: the one\n" +
			"with the most free licenses) needs a free license per session: serve a license with a large\n" +
			"COUNT (BENCHMARKS.md shows how). Start licd with --log-level warn, or it logs every grant.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "server", Aliases: []string{"s"}, Usage: "license server `ADDR` (host:port)", Required: true},
			&cli.StringFlag{Name: "feature", Aliases: []string{"f"}, Usage: "`FEATURE` to check out (default: the one with the most free licenses)"},
			&cli.StringFlag{Name: "version", Usage: "license `VERSION` to ask for (default: any)"},
			&cli.IntFlag{Name: "pid", Usage: "`PID` of a local licd: read its CPU and (peak) memory from /proc"},
		}, loadFlags()...),
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return exit.Setupf("run takes no arguments, got %q", c.Args().First())
			}
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			cfg.Server, cfg.Feature, cfg.Version = c.String("server"), c.String("feature"), c.String("version")
			cfg.ServerPID = c.Int("pid")
			res, err := profiled(c, func() (*loadgen.Result, error) { return loadgen.Run(c.Context, cfg) })
			if err != nil {
				return loadError(err)
			}
			return report(c, res)
		},
	}
}

func baselineCommand() *cli.Command {
	return &cli.Command{
		Name:      "baseline",
		Usage:     "drive a bare net/http JSON handler in this process with the same client code (the transport limit)",
		UsageText: "licbench baseline [--mode churn|heartbeat|mixed] [--clients N] [--duration D] [--json]",
		Flags:     loadFlags(),
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return exit.Setupf("baseline takes no arguments, got %q", c.Args().First())
			}
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			res, err := profiled(c, func() (*loadgen.Result, error) { return loadgen.Baseline(c.Context, cfg) })
			if err != nil {
				return loadError(err)
			}
			return report(c, res)
		},
	}
}
