package licstat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/report"
	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// reportCommand is `licstat report`: the server's usage report over a
// period, computed by the server from its audit trail.
func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "usage over a period: peak and average use, exhausted times, hours by user, denials, borrows, grace",
		UsageText: "licstat report [--since D] [--until D] [--feature F] [--by user|host|feature] [--json | --csv] [--server ADDR]",
		Description: "D is an RFC 3339 time, a date (YYYY-MM-DD, from its start in UTC) or a\n" +
			"duration back from the server's clock (24h, 90m, 7d). The default period is\n" +
			"the last 24 hours. Used licenses are those checked out plus those borrowed;\n" +
			"hours are license-hours. The server keeps its newest events only (1,000,000\n" +
			"by default): a period that starts before the oldest is reported from it.\n\n" +
			"--csv prints one table; its first column names the section (features,\n" +
			"exhausted, usage, denials, borrows, graces).",
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:    "server",
				Usage:   "license server `ADDR` (host:port or URL; a comma-separated list is tried in order)",
				EnvVars: []string{licenses.EnvServer},
				Value:   defaultServer,
			},
			&cli.StringFlag{Name: "since", Usage: "start of the period `D`", Value: "24h"},
			&cli.StringFlag{Name: "until", Usage: "end of the period `D` (default: now)"},
			&cli.StringFlag{Name: "feature", Usage: "report on feature `F` only"},
			&cli.StringFlag{Name: "by", Usage: "group hours by `user`, host or feature", Value: wire.ByUser},
			&cli.BoolFlag{Name: "json", Usage: "print the report as one JSON object"},
			&cli.BoolFlag{Name: "csv", Usage: "print the report as CSV"},
		},
		Action: runReport,
	}
}

func runReport(c *cli.Context) error {
	if c.NArg() > 0 {
		return usage("unexpected argument %q", c.Args().First())
	}
	if c.Bool("json") && c.Bool("csv") {
		return usage("--json and --csv cannot be used together")
	}
	servers := licenses.ParseServers(serverOf(c))
	if len(servers) == 0 {
		return usage("--server is empty")
	}
	q := licenses.ReportQuery{Since: c.String("since"), Until: c.String("until"), Feature: c.String("feature"), By: c.String("by")}
	rep, err := fetchReport(c.Context, servers, q)
	if err != nil {
		return err
	}
	w := c.App.Writer
	switch {
	case c.Bool("json"):
		return report.WriteJSON(w, rep)
	case c.Bool("csv"):
		return report.WriteCSV(w, rep, onceLoc)
	}
	return report.WriteText(w, rep, onceLoc)
}

// fetchReport gets the report from the first of servers that answers. A
// refusal of the query (a bad date) is a usage error.
func fetchReport(ctx context.Context, servers []string, q licenses.ReportQuery) (*wire.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	var failures []string
	for _, addr := range servers {
		rep, err := licenses.FetchReport(ctx, addr, http.DefaultClient, q)
		if err == nil {
			return rep, nil
		}
		var we *wire.Error
		if errors.As(err, &we) {
			if we.Code == wire.CodeBadRequest {
				return nil, usage("%s", we.Message)
			}
			return nil, exit.Refusedf("license server %s refused the report: %s", addr, we)
		}
		failures = append(failures, fmt.Sprintf("%s: %s", addr, feed.Reason(err)))
	}
	return nil, exit.Refusedf("cannot reach license server (%s)", strings.Join(failures, "; "))
}

// serverOf is --server given after the command, or else before it
// (`licstat --server ADDR report`), or else its default.
func serverOf(c *cli.Context) string {
	if !c.IsSet("server") {
		for _, p := range c.Lineage()[1:] {
			if p.IsSet("server") {
				return p.String("server")
			}
		}
	}
	return c.String("server")
}
