package licstat

import (
	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/admintoken"
	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/licenses"
)

// defaultServer is used when neither --server nor LIC_SERVER is given.
const defaultServer = "127.0.0.1:6200"

func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "server",
			Usage:   "license server `ADDR` (host:port or URL; a comma-separated list is tried in order)",
			EnvVars: []string{licenses.EnvServer},
			Value:   defaultServer,
		},
		&cli.BoolFlag{Name: "json", Usage: "print the server's status as one JSON object and exit"},
		&cli.BoolFlag{Name: "once", Usage: "print the views as plain tables, like lmstat, and exit"},
		&cli.StringFlag{
			Name:  "admin-token-file",
			Usage: "`FILE` holding the server's admin token; enables x (remove a checkout) in the live view",
		},
	}
}

// options are the parsed command line.
type options struct {
	servers    []string
	json, once bool
	adminToken string
}

func parseOptions(c *cli.Context) (options, error) {
	if c.NArg() > 0 {
		return options{}, usage("unexpected argument %q", c.Args().First())
	}
	o := options{servers: licenses.ParseServers(c.String("server")), json: c.Bool("json"), once: c.Bool("once")}
	if len(o.servers) == 0 {
		return o, usage("--server is empty")
	}
	if o.json && o.once {
		return o, usage("--json and --once cannot be used together")
	}
	if f := c.String("admin-token-file"); f != "" {
		var err error
		if o.adminToken, err = admintoken.Read(f); err != nil {
			return o, exit.WithCode(exit.Setup, err)
		}
	}
	return o, nil
}
