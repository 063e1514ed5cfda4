package licborrow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/licenses"
)

func checkoutCommand() *cli.Command {
	return &cli.Command{
		Name:      "checkout",
		Usage:     "check a license out, hold it with automatic heartbeats, check it in at the end",
		ArgsUsage: "FEATURE",
		Description: "Checks FEATURE out (from a borrowed license when there is one, else from the server; " +
			"with --allow-grace from a grace license when no server answers), prints what it got, holds it " +
			"with automatic heartbeats for --hold or until SIGINT/SIGTERM, and checks it in.",
		Flags: []cli.Flag{
			serverFlag(),
			versionFlag(),
			&cli.DurationFlag{Name: "hold", Usage: "hold the license for `D`, then check it in (default: until interrupted)"},
			&cli.BoolFlag{Name: "allow-grace", Usage: "fall back on a grace license when no server can be reached"},
			&cli.BoolFlag{Name: "queue", Usage: "when no license is free, wait in the feature's queue until one is"},
			&cli.DurationFlag{Name: "heartbeat-interval", Usage: "time `D` between heartbeats (default: the server's interval)"},
			&cli.IntFlag{Name: "heartbeat-attempts", Value: licenses.DefaultHeartbeatAttempts,
				Usage: "failed heartbeats in a row before giving up (`N`)"},
			jsonFlag(),
			stateDirFlag(),
			vendorPubFlag(),
		},
		Action: runCheckout,
	}
}

// checkoutJSON is what `checkout --json` prints once it holds the license.
type checkoutJSON struct {
	Feature          string  `json:"feature"`
	Version          string  `json:"version"`
	Source           string  `json:"source"` // server, borrow or grace
	Server           string  `json:"server,omitempty"`
	CheckoutID       string  `json:"checkout_id"`
	User             string  `json:"user"`
	Host             string  `json:"host"`
	Expires          *string `json:"expires"` // grace and borrow; null from a server
	HeartbeatSeconds float64 `json:"heartbeat_seconds,omitempty"`
}

func runCheckout(c *cli.Context) error {
	pos, err := args(c, 1, 1, "FEATURE")
	if err != nil {
		return err
	}
	if c.Int("heartbeat-attempts") < 1 || c.Duration("heartbeat-interval") < 0 || c.Duration("hold") < 0 {
		return exit.Setupf("--heartbeat-attempts must be at least 1, --heartbeat-interval and --hold not negative")
	}
	stop := make(chan error, 2)
	notify := func(err error) {
		select {
		case stop <- err:
		default:
		}
	}
	cl, err := newClient(c, licenses.Options{
		AutoHeartbeat:     true,
		HeartbeatInterval: c.Duration("heartbeat-interval"),
		HeartbeatAttempts: c.Int("heartbeat-attempts"),
		AllowGrace:        c.Bool("allow-grace"),
		OnExit:            notify,
		OnLost:            func(_ string, err error) { notify(err) },
	}, false)
	if err != nil {
		return err
	}
	lic, err := checkoutOrWait(c, cl, pos[0])
	if err != nil {
		_ = cl.Close(context.Background())
		switch {
		case c.Context.Err() != nil:
			return exit.Refusedf("interrupted before %s was checked out", pos[0])
		case len(cl.Servers()) == 0 && licenses.IsCode(err, licenses.CodeNoServer):
			return errNoServerGiven
		}
		return refused(err)
	}
	if err := reportCheckout(c, cl, lic); err != nil {
		_ = cl.Close(context.Background())
		return err
	}
	result := hold(c.Context, c.Duration("hold"), stop)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.Close(ctx); err != nil && result == nil {
		result = fmt.Errorf("check in %s: %w", lic.Feature(), err)
	}
	if result == nil && !c.Bool("json") {
		fmt.Fprintf(c.App.Writer, "checked in %s\n", lic.Feature())
	}
	return refused(result)
}

// hold waits for d (forever when 0), the end of ctx (a signal), or a reason
// to stop from the heartbeats, which it returns.
func hold(ctx context.Context, d time.Duration, stop <-chan error) error {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return nil
	case <-timer:
		return nil
	case err := <-stop:
		return err
	}
}

func reportCheckout(c *cli.Context, cl *licenses.Client, lic *licenses.License) error {
	w := c.App.Writer
	if c.Bool("json") {
		out := checkoutJSON{Feature: lic.Feature(), Version: lic.Version(), Source: string(lic.Source()),
			Server: lic.Server(), CheckoutID: lic.CheckoutID(), User: cl.User(), Host: cl.Host(),
			Expires: rfc3339(lic.Expires())}
		if lic.Source() == licenses.FromServer {
			out.HeartbeatSeconds = cl.HeartbeatInterval().Seconds()
		}
		return printJSON(w, out)
	}
	who := cl.User() + "@" + cl.Host()
	switch lic.Source() {
	case licenses.FromGrace:
		say(w, "GRACE license of %s %s for %s, valid until %s", lic.Feature(), lic.Version(), who, human(lic.Expires()))
		fmt.Fprintln(w, "no license server could be reached; this grace period is reported when one can")
	case licenses.FromBorrow:
		say(w, "%s %s served from the license borrowed by %s until %s", lic.Feature(), lic.Version(), who, human(lic.Expires()))
	default:
		say(w, "checked out %s %s from %s for %s (checkout %s)", lic.Feature(), lic.Version(), lic.Server(), who, lic.CheckoutID())
		fmt.Fprintf(w, "heartbeat every %s, giving up after %d failures in a row\n", shortDuration(cl.HeartbeatInterval()), c.Int("heartbeat-attempts"))
	}
	if d := c.Duration("hold"); d > 0 {
		fmt.Fprintf(w, "holding for %s\n", shortDuration(d))
	} else {
		fmt.Fprintln(w, "holding until interrupted (Ctrl-C)")
	}
	return nil
}

// shortDuration writes d as a person would: 2m, not Go's 2m0s (licd's
// default interval), and 1h30m, not 1h30m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
