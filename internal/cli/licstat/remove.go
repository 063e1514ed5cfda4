package licstat

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/admintoken"
	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

func removeCommand() *cli.Command {
	return &cli.Command{
		Name:  "remove",
		Usage: "remove checkouts (by user, host, feature or id) or revoke a borrow, as the admin",
		UsageText: "licstat remove (--user U | --host H | --feature F ... [--hold D] | --checkout ID | --borrow ID)\n" +
			"   --admin-token-file FILE [--server ADDR] [--json]",
		Description: "Removing by --user, --host and --feature (together: all of them must match) releases\n" +
			"every matching checkout and queued request; --hold D then refuses that user, host and\n" +
			"feature new checkouts for D (removed_hold), so that a running application does not take\n" +
			"the license straight back. --borrow revokes a borrow: its seat returns to the pool.\n\n" +
			"Exit status: 0 ok, 1 refused or the server cannot be reached, 2 usage error.",
		HideHelpCommand: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "server", Usage: "license server `ADDR`", EnvVars: []string{licenses.EnvServer}, Value: defaultServer},
			&cli.StringFlag{Name: "admin-token-file", Usage: "`FILE` holding the server's admin token"},
			&cli.StringFlag{Name: "user", Usage: "remove the checkouts of user `U`"},
			&cli.StringFlag{Name: "host", Usage: "remove the checkouts on host `H`"},
			&cli.StringFlag{Name: "feature", Usage: "remove the checkouts of feature `F`"},
			&cli.StringFlag{Name: "checkout", Usage: "remove the checkout `ID` (as licstat --json shows it)"},
			&cli.StringFlag{Name: "borrow", Usage: "revoke the borrow `ID`"},
			&cli.DurationFlag{Name: "hold", Usage: "with --user/--host/--feature: refuse them new checkouts for `D`"},
			&cli.BoolFlag{Name: "json", Usage: "print the server's reply as JSON"},
		},
		Action: runRemove,
	}
}

func runRemove(c *cli.Context) error {
	req, err := removeRequest(c)
	if err != nil {
		return err
	}
	token, err := adminToken(c.String("admin-token-file"))
	if err != nil {
		return err
	}
	servers := licenses.ParseServers(c.String("server"))
	if len(servers) == 0 {
		return usage("--server is empty")
	}
	ctx, cancel := context.WithTimeout(c.Context, fetchTimeout)
	defer cancel()
	reply, err := removeAt(ctx, servers, token, req)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		b, err := json.MarshalIndent(reply, "", "  ")
		if err != nil {
			return fmt.Errorf("encode reply: %w", err)
		}
		_, err = fmt.Fprintf(c.App.Writer, "%s\n", b)
		return err
	}
	return printRemoved(c.App.Writer, req, reply)
}

// removeAt sends the remove to the first of servers that answers; a HAL
// node that does not serve names the one that does, and it goes there.
func removeAt(ctx context.Context, servers []string, token string, req wire.RemoveRequest) (*licenses.RemoveReply, error) {
	var failures []string
	for _, addr := range servers {
		reply, addr, err := removeVia(ctx, addr, token, http.DefaultClient, req)
		var we *wire.Error
		switch {
		case err == nil:
			return reply, nil
		case errors.As(err, &we):
			return nil, exit.Refusedf("license server %s refused the remove: %s", addr, we)
		}
		failures = append(failures, fmt.Sprintf("%s: %s", addr, feed.Reason(err)))
	}
	return nil, exit.Refusedf("cannot reach license server %s", strings.Join(failures, "; "))
}

// removeVia sends the remove to addr; a HAL node that does not serve names
// the one that does, and it goes there. It returns the address that
// answered.
func removeVia(ctx context.Context, addr, token string, hc *http.Client, req wire.RemoveRequest) (*licenses.RemoveReply, string, error) {
	reply, err := licenses.Remove(ctx, addr, token, hc, req)
	var we *wire.Error
	if errors.As(err, &we) && we.Code == wire.CodeNotPrimary && we.Primary != "" {
		addr = we.Primary
		reply, err = licenses.Remove(ctx, addr, token, hc, req)
	}
	return reply, addr, err
}

// removeRequest builds the request from the flags: one kind of target, a
// hold only with a remove by user, host or feature.
func removeRequest(c *cli.Context) (wire.RemoveRequest, error) {
	if c.NArg() > 0 {
		return wire.RemoveRequest{}, usage("unexpected argument %q", c.Args().First())
	}
	req := wire.RemoveRequest{User: c.String("user"), Host: c.String("host"), Feature: c.String("feature"),
		CheckoutID: c.String("checkout"), BorrowID: c.String("borrow"), By: whoAmI()}
	selects := req.User != "" || req.Host != "" || req.Feature != ""
	kinds := 0
	for _, set := range []bool{selects, req.CheckoutID != "", req.BorrowID != ""} {
		if set {
			kinds++
		}
	}
	hold := c.Duration("hold")
	switch {
	case kinds != 1:
		return req, usage("give --user, --host and/or --feature, or --checkout, or --borrow")
	case hold < 0 || hold > 0 && hold < time.Second:
		return req, usage("--hold must be at least 1s")
	case hold > 0 && !selects:
		return req, usage("--hold goes with --user, --host or --feature")
	}
	req.HoldSeconds = int64(hold / time.Second)
	return req, nil
}

// adminToken reads the admin token file; without one the remove cannot be
// made, and the message says how to get one.
func adminToken(file string) (string, error) {
	if file == "" {
		return "", exit.Refusedf("licstat remove needs the server's admin token: give --admin-token-file FILE (licd token makes one)")
	}
	t, err := admintoken.Read(file)
	if err != nil {
		return "", exit.Refusedf("%v (licd token makes one)", err)
	}
	return t, nil
}

// whoAmI names the admin in the server's events: the OS user and host
// running licstat.
func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}

// printRemoved prints one line per feature removed from, per borrow
// revoked, or for queued requests dropped.
func printRemoved(w io.Writer, req wire.RemoveRequest, r *licenses.RemoveReply) error {
	var lines []string
	hold := ""
	if r.HoldUntil != nil {
		hold = "; hold until " + r.HoldUntil.UTC().Format(time.RFC3339)
	}
	switch {
	case r.Borrow != nil:
		b := r.Borrow
		lines = append(lines, fmt.Sprintf("revoked borrow %s of %s (%s@%s, was until %s): its seat is back in the pool",
			b.ID, b.Feature, b.User, b.Host, b.Expires.UTC().Format(time.RFC3339)))
	case len(r.Checkouts) > 0:
		lines = append(lines, byFeature(r.Checkouts, hold)...)
	case req.CheckoutID != "" && r.Removed > 0:
		lines = append(lines, fmt.Sprintf("removed checkout %s", req.CheckoutID))
	case req.CheckoutID != "":
		lines = append(lines, fmt.Sprintf("removed no checkout: %s is not held", req.CheckoutID))
	default:
		lines = append(lines, "removed no checkouts: none matched"+hold)
	}
	if r.Dequeued > 0 {
		lines = append(lines, fmt.Sprintf("dropped %s from the queue", countOf(r.Dequeued, "queued request")))
	}
	_, err := fmt.Fprintln(w, strings.Join(lines, "\n"))
	return err
}

// byFeature is "removed 2 checkouts of cad_pro (ann@ws1, bob@ws2)" for
// each feature, in name order.
func byFeature(cos []wire.RemovedCheckout, hold string) []string {
	who := map[string][]string{}
	for _, c := range cos {
		who[c.Feature] = append(who[c.Feature], c.User+"@"+c.Host)
	}
	features := make([]string, 0, len(who))
	for f := range who {
		features = append(features, f)
	}
	slices.SortFunc(features, cmp.Compare)
	lines := make([]string, len(features))
	for i, f := range features {
		lines[i] = fmt.Sprintf("removed %s of %s (%s)%s", countOf(len(who[f]), "checkout"), f,
			holders(who[f]), hold)
	}
	return lines
}

// holders is "ann@ws1 ×2, bob@ws2": each holder once, in order, with how
// many of the checkouts were theirs when more than one.
func holders(who []string) string {
	slices.Sort(who)
	var parts []string
	for i := 0; i < len(who); {
		j := i + 1
		for j < len(who) && who[j] == who[i] {
			j++
		}
		if j-i > 1 {
			parts = append(parts, fmt.Sprintf("%s ×%d", who[i], j-i))
		} else {
			parts = append(parts, who[i])
		}
		i = j
	}
	return strings.Join(parts, ", ")
}

func countOf(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
