package licd

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/floatlic/floatlic/internal/admintoken"
	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/datadir"
	"github.com/floatlic/floatlic/internal/hal"
	"github.com/floatlic/floatlic/internal/heapfloor"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/maxprocs"
	"github.com/floatlic/floatlic/internal/procstat"
	"github.com/floatlic/floatlic/internal/server"
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve signed license files",
		Flags: withEnv(append([]cli.Flag{
			&cli.StringSliceFlag{Name: "license", Usage: "signed license `FILE` (repeat for several)", Required: true},
			&cli.StringFlag{Name: "vendor-pub", Usage: "vendor public key `FILE` that signed the licenses", Required: true},
			&cli.StringFlag{Name: "data", Value: "licd-data", Usage: "`DIR` for the database and the server's token key"},
			&cli.StringFlag{Name: "admin-token-file", Usage: "`FILE` holding the admin token (see licd token): enables remove, reload, stop and backup"},
			&cli.StringFlag{Name: "options", Usage: "options `FILE`: RESERVE, MAX, INCLUDE, EXCLUDE, TIMEOUT rules (re-read on reload)"},
		}, append(append(runFlags(), halFlags()...), logFileFlags()...)...)),
		Action: func(c *cli.Context) error {
			pub, err := licfile.ReadPublicKey(c.String("vendor-pub"))
			if err != nil {
				return exit.WithCode(exit.Setup, err)
			}
			cfg, err := configFrom(c)
			if err != nil {
				return err
			}
			cfg.Licenses, cfg.VendorPub, cfg.DataDir = c.StringSlice("license"), pub, c.String("data")
			cfg.HAL = halConfig(c)
			cfg.Options = c.String("options")
			if f := c.String("admin-token-file"); f != "" {
				warn, err := datadir.CheckSecret(f)
				if err != nil {
					return exit.Setupf("admin token: %w", err)
				}
				if warn != "" {
					cfg.Logger.Warn("admin token: " + warn)
				}
				if cfg.AdminToken, err = admintoken.Read(f); err != nil {
					return exit.WithCode(exit.Setup, err)
				}
			}
			if _, err := startProfiler(c.String("pprof"), cfg.Logger); err != nil {
				return exit.WithCode(exit.Setup, err)
			}
			err = run(c.Context, cfg, c.String("listen"), c.String("tls-cert"), c.String("tls-key"), nil)
			if file, ok := licfile.WrongKeyFile(err); ok {
				return exit.Setupf("%s", licfile.WrongKeyMessage(c.String("vendor-pub"), file))
			}
			return err
		},
	}
}

// runFlags are the flags serve and demo share.
func runFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "listen", Value: server.DefaultListen, Usage: "`ADDR` to listen on (port 0 picks a free one)"},
		&cli.DurationFlag{Name: "heartbeat-interval", Value: server.DefaultHeartbeat, Usage: "heartbeat interval clients are told to use"},
		&cli.DurationFlag{Name: "lease", Usage: "how long a session lives without a heartbeat (default 3.5 heartbeat intervals)"},
		&cli.DurationFlag{Name: "clock-tolerance", Value: server.DefaultClockTolerance, Usage: "how far the clock may read behind the newest time in the database before it is taken as set back, and features with an EXPIRE or START are refused"},
		&cli.StringFlag{Name: "sync", Value: "full", Usage: "durability: full (each commit on the disk before the reply; survives power loss) or normal (survives crashes)"},
		&cli.StringFlag{Name: "tls-cert", Usage: "TLS certificate `FILE` (with --tls-key)"},
		&cli.StringFlag{Name: "tls-key", Usage: "TLS key `FILE` (with --tls-cert)"},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json"},
		&cli.StringFlag{Name: "pprof", Usage: "serve Go's profiler (net/http/pprof) on `ADDR`, e.g. 127.0.0.1:6060; off by default"},
	}
}

// halFlags make serve one node of a HAL set.
func halFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "hal-id", Usage: "serve as HAL node `N` (1, 2 or 3: its place in the license's HAL_SERVERS)"},
		&cli.StringFlag{Name: "raft-listen", Usage: "`ADDR` where this HAL node's raft transport listens"},
		&cli.StringFlag{Name: "raft-peers", Usage: "raft addresses of HAL nodes #1, #2, #3 as this node reaches them, comma-separated (`A,B,C`)"},
		&cli.DurationFlag{Name: "raft-timeout", Value: hal.DefaultTimeout, Usage: "raft heartbeat and election timeout: a serving node that stops is replaced after about this long"},
		&cli.Uint64Flag{Name: "raft-snapshot-entries", Value: hal.DefaultSnapshotEntries, Usage: "raft entries between snapshots, and entries kept after one"},
		&cli.DurationFlag{Name: "raft-snapshot-interval", Value: hal.DefaultSnapshotInterval, Usage: "how often raft checks whether a snapshot is due"},
	}
}

// halConfig returns the HAL flags, or nil when --hal-id is not given.
func halConfig(c *cli.Context) *server.HALConfig {
	if !c.IsSet("hal-id") {
		return nil
	}
	var peers []string
	for _, p := range strings.Split(c.String("raft-peers"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			peers = append(peers, p)
		}
	}
	return &server.HALConfig{
		ID: c.Int("hal-id"), Listen: c.String("listen"),
		RaftListen: c.String("raft-listen"), RaftPeers: peers,
		Timeout:          c.Duration("raft-timeout"),
		SnapshotEntries:  c.Uint64("raft-snapshot-entries"),
		SnapshotInterval: c.Duration("raft-snapshot-interval"),
	}
}

func configFrom(c *cli.Context) (server.Config, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return server.Config{}, exit.Setupf("--log-level %q: use debug, info, warn or error", c.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level}
	format := c.String("log-format")
	if format != "text" && format != "json" {
		return server.Config{}, exit.Setupf("--log-format %q: use text or json", format)
	}
	out, err := logWriter(c)
	if err != nil {
		return server.Config{}, err
	}
	var h slog.Handler = slog.NewTextHandler(out, opts)
	if format == "json" {
		h = slog.NewJSONHandler(out, opts)
	}
	if (c.String("tls-cert") == "") != (c.String("tls-key") == "") {
		return server.Config{}, exit.Setupf("--tls-cert and --tls-key go together")
	}
	return server.Config{
		HeartbeatInterval: c.Duration("heartbeat-interval"),
		Lease:             c.Duration("lease"),
		ClockTolerance:    c.Duration("clock-tolerance"),
		Sync:              c.String("sync"),
		Logger:            slog.New(h),
	}, nil
}

// run starts the server, prints where it listens (then banner, if any), and
// serves until ctx ends, SIGINT/SIGTERM or licd stop; SIGHUP reloads the
// licenses and the options file.
func run(ctx context.Context, cfg server.Config, listen, cert, key string, banner func(addr string)) error {
	heapfloor.Keep(heapFloor)
	// licd stop (POST /v1/admin/stop) ends ctx: the same shutdown as SIGTERM.
	ctx, adminStop := context.WithCancel(ctx)
	defer adminStop()
	cfg.OnStop = adminStop
	tuner := maxProcsTuner(cfg.Logger)
	if tuner != nil {
		cfg.Boost = tuner.Boost
	}
	srv, err := server.New(cfg)
	if err != nil {
		return exit.WithCode(exit.Setup, err)
	}
	ln, scheme, err := listenOn(listen, cert, key)
	if err != nil {
		srv.Close(context.Background())
		return exit.WithCode(exit.Setup, err)
	}
	// Signals are caught before the address is printed: whoever reads it
	// may signal at once.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if tuner != nil {
		go tuner.Run(ctx)
	}
	fmt.Fprintf(Stdout, "listening on %s://%s\n", scheme, ln.Addr())
	if banner != nil {
		banner(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	for {
		select {
		case <-hup:
			if names, err := srv.Reload("SIGHUP"); err == nil {
				cfg.Logger.Info("reloaded licenses", "features", strings.Join(names, " "))
			}
		case err := <-errc:
			srv.Close(context.Background())
			return exit.WithCode(exit.Setup, err)
		case <-ctx.Done():
			cfg.Logger.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Close(sctx)
		}
	}
}

// heapFloor is the heap licd lets grow before Go collects, while its live
// heap is small (see package heapfloor): about once a second at full load,
// not ten times.
const heapFloor = 32 << 20

// maxProcsTuner returns what runs licd's Go code on one core while its load
// fits in one (see package maxprocs), or nil when GOMAXPROCS is set in the
// environment.
func maxProcsTuner(log *slog.Logger) *maxprocs.Tuner {
	if maxprocs.Pinned() {
		return nil
	}
	return &maxprocs.Tuner{
		CPU: procstat.SelfCPU,
		OnChange: func(from, to int, cores float64) {
			if cores < 0 {
				log.Info("GOMAXPROCS changed for a big status reply", "from", from, "to", to)
				return
			}
			msg := "GOMAXPROCS lowered: licd's load fits in one core"
			if to > from {
				msg = "GOMAXPROCS raised: licd kept one core busy"
			}
			log.Info(msg, "from", from, "to", to, "cores_used", fmt.Sprintf("%.2f", cores))
		},
	}
}

func listenOn(addr, cert, key string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	if cert == "" {
		return ln, "http", nil
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("TLS certificate %s: %w", cert, err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}), "https", nil
}
