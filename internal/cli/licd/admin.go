package licd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/admintoken"
	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/server"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// adminTimeout bounds a reload or stop request; a backup has none, as a
// big ledger takes a while to send.
const adminTimeout = 30 * time.Second

// adminFlags are the flags of the commands that talk to a running licd's
// admin API.
func adminFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "server", EnvVars: []string{licenses.EnvServer}, Value: server.DefaultListen,
			Usage: "`ADDR` of the running licd (host:port, or an http:// or https:// URL)"},
		&cli.StringFlag{Name: "admin-token-file", EnvVars: []string{"LICD_ADMIN_TOKEN_FILE"}, Required: true,
			Usage: "`FILE` holding the admin token licd was started with (see licd token)"},
		&cli.BoolFlag{Name: "json", Usage: "print the result, or the error, as JSON"},
	}
}

// admin is a connection to a running licd's admin API.
type admin struct {
	base  string
	token string
	hc    *http.Client
}

func newAdmin(c *cli.Context) (*admin, error) {
	if c.NArg() > 0 {
		return nil, exit.Setupf("unexpected argument %q (run 'licd %s --help' for usage)", c.Args().First(), c.Command.Name)
	}
	servers := licenses.ParseServers(c.String("server"))
	if len(servers) != 1 {
		return nil, exit.Setupf("--server: name one licd, got %q", c.String("server"))
	}
	tok, err := readAdminToken(c.String("admin-token-file"))
	if err != nil {
		return nil, err
	}
	base := servers[0]
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		base = "http://" + base
	}
	return &admin{base: strings.TrimRight(base, "/"), token: tok, hc: &http.Client{}}, nil
}

// readAdminToken reads the token file as licd serve does.
func readAdminToken(path string) (string, error) {
	tok, err := admintoken.Read(path)
	if err != nil {
		return "", exit.WithCode(exit.Setup, err)
	}
	return tok, nil
}

// do sends an admin request and returns the reply when it is 200. A
// refusal is a *wire.Error, which exits 1; a licd that cannot be reached
// exits 1 too (the request was not done).
func (a *admin) do(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, nil)
	if err != nil {
		return nil, exit.Setupf("--server %s: %w", a.base, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Body = io.NopCloser(strings.NewReader("{}"))
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, exit.WithCode(exit.Refused, &wire.Error{Code: wire.CodeNoServer,
			Message: fmt.Sprintf("cannot reach licd at %s: %v", a.base, unwrapURL(err))})
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	var er wire.ErrorReply
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &er) == nil && er.Error != nil {
		return nil, exit.WithCode(exit.Refused, er.Error)
	}
	return nil, exit.Refusedf("licd at %s: %s %s: %s", a.base, method, path, resp.Status)
}

// post sends an admin POST and decodes its JSON reply.
func (a *admin) post(ctx context.Context, path string, reply any) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	resp, err := a.do(ctx, http.MethodPost, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(reply); err != nil {
		return exit.Refusedf("decode the reply of licd at %s: %w", a.base, err)
	}
	return nil
}

// unwrapURL drops the `Post "URL":` that net/http puts before the cause.
func unwrapURL(err error) error {
	var u *url.Error
	if errors.As(err, &u) {
		return u.Err
	}
	return err
}

func reloadCommand() *cli.Command {
	return &cli.Command{
		Name:  "reload",
		Usage: "have a running licd re-read its license files (as SIGHUP does)",
		Description: "A license file that does not verify is refused and the licenses in force\n" +
			"are kept; checkouts are never dropped.",
		Flags: adminFlags(),
		Action: func(c *cli.Context) error {
			a, err := newAdmin(c)
			if err != nil {
				return err
			}
			var reply wire.ReloadReply
			if err := a.post(c.Context, wire.PathReload, &reply); err != nil {
				return fmt.Errorf("reload: %w", err)
			}
			if c.Bool("json") {
				return printJSON(reply)
			}
			fmt.Fprintf(Stdout, "reloaded: %d features served: %s\n", len(reply.Features), strings.Join(reply.Features, " "))
			return nil
		},
	}
}

func stopCommand() *cli.Command {
	return &cli.Command{
		Name:  "stop",
		Usage: "stop a running licd gracefully (as SIGTERM does)",
		Description: "Nothing is checked in: the sessions stay in the database and clients\n" +
			"re-attach when licd is back. A serving HAL node hands the service over first.",
		Flags: adminFlags(),
		Action: func(c *cli.Context) error {
			a, err := newAdmin(c)
			if err != nil {
				return err
			}
			var reply wire.StopReply
			if err := a.post(c.Context, wire.PathStop, &reply); err != nil {
				return fmt.Errorf("stop: %w", err)
			}
			if c.Bool("json") {
				return printJSON(reply)
			}
			fmt.Fprintf(Stdout, "licd at %s (instance %s) is stopping\n", strings.TrimPrefix(a.base, "http://"), reply.Instance)
			return nil
		},
	}
}

// printJSON writes v as indented JSON to Stdout.
func printJSON(v any) error {
	enc := json.NewEncoder(Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
