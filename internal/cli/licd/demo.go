package licd

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/urfave/cli/v2"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run a server with a throw-away vendor key and demo license, nothing to configure",
		Flags: append(runFlags(), &cli.BoolFlag{
			Name:  "hal",
			Usage: "run a HAL set instead: three nodes as child processes, on free loopback ports",
		}),
		Action: func(c *cli.Context) error {
			if c.Bool("hal") {
				return runHALDemo(c)
			}
			dir, err := os.MkdirTemp("", "floatlic-demo-")
			if err != nil {
				return exit.Setupf("demo dir: %w", err)
			}
			defer os.RemoveAll(dir)
			files, err := demo.Setup(dir, nil)
			if err != nil {
				return exit.WithCode(exit.Setup, err)
			}
			cfg, err := configFrom(c)
			if err != nil {
				return err
			}
			cfg.Licenses, cfg.DataDir, cfg.AdminToken = []string{files.License}, files.DataDir, files.Token
			if cfg.VendorPub, err = readPub(files.VendorPub); err != nil {
				return err
			}
			if !c.IsSet("heartbeat-interval") {
				cfg.HeartbeatInterval = 30 * time.Second
			}
			if _, err := startProfiler(c.String("pprof"), cfg.Logger); err != nil {
				return exit.WithCode(exit.Setup, err)
			}
			listen := c.String("listen")
			if !c.IsSet("listen") {
				listen = freeDemoAddr()
			}
			vendorPub := token.EncodeKey(cfg.VendorPub)
			return run(c.Context, cfg, listen, c.String("tls-cert"), c.String("tls-key"), func(addr string) {
				fmt.Fprintf(Stdout, demoBanner, dir, files.TokenKey, addr, addr, files.AdminToken, pageURL(c, addr), vendorPub, addr, addr, addr)
			})
		},
	}
}

const demoBanner = `
floatlic demo server — a throw-away vendor key and license in %s
features: cad_pro (5 licenses, 48 h grace, borrow up to 72 h),
          cad_view (20), solver (version 3.1, 2 licenses, borrow up to 24 h)
grace and borrow tokens are signed by this server's token key %s,
which the demo license names in TOKEN_KEY

In another terminal:
  go run ./cmd/licstat --server %s                     # live monitor (q quits)
  go run ./cmd/licstat --server %s --admin-token-file %s   # ... with x to remove a checkout
  %s                    # the status page, in a browser
  export LIC_VENDOR_PUB=%s   # the demo vendor key: grace and borrow tokens must chain to it
  go run ./cmd/licborrow checkout cad_pro --server %s --hold 1m --allow-grace
  go run ./cmd/licborrow borrow solver --hours 4 --server %s
  curl -s http://%s/v1/status

Ctrl-C stops the server and deletes the demo files.
`

// pageURL is the address of the status page of a server listening on addr.
func pageURL(c *cli.Context, addr string) string {
	if c.String("tls-cert") != "" {
		return "https://" + addr + "/"
	}
	return "http://" + addr + "/"
}

// freeDemoAddr is 127.0.0.1:6200, or the next free port after it.
func freeDemoAddr() string {
	for port := 6200; port < 6300; port++ {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	return "127.0.0.1:0"
}
