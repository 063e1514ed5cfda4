package licbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/loadgen"
)

func bareCommand() *cli.Command {
	return &cli.Command{
		Name:      "bare",
		Usage:     "serve the baseline's bare handler in a process of its own, for `licbench run` to drive like licd",
		UsageText: "licbench bare [--listen ADDR]",
		Description: "baseline runs the handler inside licbench; this serves it from a separate process, so that\n" +
			"it pays for crossing processes as licd does. Stop it with Ctrl-C.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:6300", Usage: "`ADDR` to listen on (port 0 picks a free one)"},
		},
		Action: func(c *cli.Context) error {
			ln, err := net.Listen("tcp", c.String("listen"))
			if err != nil {
				return exit.Setupf("listen on %s: %w", c.String("listen"), err)
			}
			srv := &http.Server{Handler: loadgen.BareHandler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
			fmt.Fprintf(c.App.Writer, "bare handler listening on http://%s (feature %s)\n", ln.Addr(), loadgen.BaselineFeature)
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return exit.WithCode(exit.Setup, err)
			case <-c.Context.Done():
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			}
		},
	}
}
