package licd

import (
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/logfile"
)

// logFileFlags are serve's flags for a log file of its own (without them
// licd logs to stderr, which journald keeps under systemd).
func logFileFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-file", EnvVars: []string{"LICD_LOG_FILE"},
			Usage: "log to `FILE` instead of stderr; re-opened on SIGHUP (for logrotate)"},
		&cli.StringFlag{Name: "log-max-size", EnvVars: []string{"LICD_LOG_MAX_SIZE"}, Value: "100MB",
			Usage: "rotate the --log-file when it would grow past `SIZE` (0: never)"},
		&cli.IntFlag{Name: "log-keep", EnvVars: []string{"LICD_LOG_KEEP"}, Value: 5,
			Usage: "old log files kept by a rotation: FILE.1 (newest) to FILE.`N`"},
	}
}

// logWriter returns where licd logs: stderr, or the --log-file, which is
// re-opened on each SIGHUP until c's context ends (SIGHUP also reloads the
// licenses: see run).
func logWriter(c *cli.Context) (io.Writer, error) {
	path := c.String("log-file")
	if path == "" {
		return Stderr, nil
	}
	size, err := logfile.ParseSize(c.String("log-max-size"))
	if err != nil {
		return nil, exit.Setupf("--log-max-size: %w", err)
	}
	if c.Int("log-keep") < 0 {
		return nil, exit.Setupf("--log-keep %d: want 0 or more", c.Int("log-keep"))
	}
	f, err := logfile.Open(path, size, c.Int("log-keep"))
	if err != nil {
		return nil, exit.Setupf("--log-file: %w", err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-hup:
				if err := f.Reopen(); err != nil {
					// Nowhere else to say it: the log is the file.
					io.WriteString(Stderr, "licd: "+err.Error()+"\n")
				}
			case <-c.Context.Done():
				return
			}
		}
	}()
	return f, nil
}
