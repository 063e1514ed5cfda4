// Package licbench is the licbench command: a load generator for licd
// (`run`), the same load against a bare net/http handler in this process
// (`baseline`, the transport limit; `bare` serves that handler from a
// process of its own), a raw SQLite write loop with licd's pragmas
// (`storage`, the storage limit), and the failover time of a HAL set it
// starts itself (`failover`). The load itself is internal/loadgen, the
// failover measurement internal/failover; cmd/licbench only wires this to
// the process.
package licbench

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/heapfloor"
	"github.com/floatlic/floatlic/internal/loadgen"
	"github.com/floatlic/floatlic/internal/version"
)

// Stdout and Stderr are where the commands write; tests replace them.
var (
	Stdout io.Writer = os.Stdout
	Stderr io.Writer = os.Stderr
)

// heapFloor is the heap licbench lets grow before Go collects, while its
// live heap is small (see package heapfloor), the bare handler's process
// too: more than licd's, which if anything favours the baseline.
const heapFloor = 64 << 20

// App returns licbench's command line.
func App() *cli.App {
	return &cli.App{
		Name:            "licbench",
		Usage:           "measure a floatlic license server: throughput, latency, errors, memory",
		Version:         version.Version,
		Writer:          Stdout,
		HideHelpCommand: true,
		Before: func(*cli.Context) error {
			// Go collecting fifteen times a second would show in the
			// latencies measured; the floor puts that at about once a second.
			heapfloor.Keep(heapFloor)
			return nil
		},
		Commands: []*cli.Command{
			runCommand(),
			baselineCommand(),
			storageCommand(),
			bareCommand(),
			failoverCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return exit.Usagef(c, "unknown command %q", c.Args().First())
			}
			_ = cli.ShowAppHelp(c)
			return exit.Silent(exit.Setup)
		},
	}
}

// loadFlags are the flags of run and baseline (new ones each time: urfave/cli
// flags keep state).
func loadFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "mode", Value: string(loadgen.Churn), Usage: "churn (check out and in, in a loop), heartbeat (hold one license and heartbeat) or mixed"},
		&cli.IntFlag{Name: "clients", Aliases: []string{"c"}, Value: 64, Usage: "churning sessions (churn, mixed); in heartbeat mode, the sessions unless --sessions is given"},
		&cli.IntFlag{Name: "sessions", Usage: "heartbeating sessions, each holding one license (heartbeat, mixed; default --clients, 1000 in mixed)"},
		&cli.DurationFlag{Name: "duration", Aliases: []string{"d"}, Value: 10 * time.Second, Usage: "how long to measure (setting sessions up and closing them is not measured)"},
		&cli.DurationFlag{Name: "interval", Value: 30 * time.Second, Usage: "heartbeat interval of each session"},
		&cli.Float64Flag{Name: "rate", Usage: "open loop: start this many checkout+checkin pairs per second in all (0: closed loop, as fast as the clients go)"},
		&cli.IntFlag{Name: "workers", Value: 256, Usage: "goroutines sending heartbeats"},
		&cli.IntFlag{Name: "conns", Usage: "HTTP connections shared by all sessions (default: clients + workers, at most 1024)"},
		&cli.BoolFlag{Name: "new-conns", Usage: "send every request on a new connection, as clients that keep none open between heartbeats (with Go's transport)"},
		&cli.StringFlag{Name: "transport", Value: loadgen.TransportLean, Usage: "the load generator's HTTP transport: lean (requests sent and read on the client's goroutine) or net/http (Go's)"},
		&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "bound on each request"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar (it is drawn only on a terminal anyway)"},
		&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of licbench itself to `FILE` (go tool pprof reads it)"},
	}
}

// profiled runs load with a CPU profile of this process when --cpuprofile
// is given: where the load generator's own time goes.
func profiled(c *cli.Context, load func() (*loadgen.Result, error)) (*loadgen.Result, error) {
	path := c.String("cpuprofile")
	if path == "" {
		return load()
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, exit.Setupf("--cpuprofile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, exit.Setupf("--cpuprofile: %w", err)
	}
	defer pprof.StopCPUProfile()
	return load()
}

// loadConfig reads the load flags.
func loadConfig(c *cli.Context) (loadgen.Config, error) {
	mode, err := loadgen.ParseMode(c.String("mode"))
	if err != nil {
		return loadgen.Config{}, exit.Setupf("--mode: %w", err)
	}
	cfg := loadgen.Config{
		Mode:      mode,
		Clients:   c.Int("clients"),
		Sessions:  c.Int("sessions"),
		Duration:  c.Duration("duration"),
		Interval:  c.Duration("interval"),
		Rate:      c.Float64("rate"),
		Workers:   c.Int("workers"),
		Conns:     c.Int("conns"),
		NewConns:  c.Bool("new-conns"),
		Transport: c.String("transport"),
		Timeout:   c.Duration("timeout"),
	}
	if !c.Bool("quiet") && isTerminal(Stderr) {
		cfg.Progress = Stderr
	}
	return cfg, nil
}

// report prints a result, as text or JSON.
func report(c *cli.Context, res *loadgen.Result) error {
	if c.Bool("json") {
		return printJSON(c.App.Writer, res)
	}
	return res.WriteText(c.App.Writer)
}

// loadError gives a load run's error its exit code: a bad flag value is a
// usage error (2), a pool too small or a server that refuses is 1.
func loadError(err error) error {
	var coded *exit.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &coded):
		return err
	case errors.Is(err, loadgen.ErrUsage) && !errors.Is(err, loadgen.ErrCountTooSmall):
		return exit.WithCode(exit.Setup, err)
	}
	return exit.WithCode(exit.Refused, err)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
