package licgen

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/licfile"
)

// inspectCmd shows what a license file holds, without checking signatures.
type inspectCmd struct{ *env }

func (i *inspectCmd) command() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show the features of a license file (rules checked, signatures not)",
		ArgsUsage: "LICENSE",
		Description: "Prints a table, or with --json an array of features with the keys name, line,\n" +
			"vendor, version, count, grace, borrow, hal_servers, expire, start, hostid,\n" +
			"token_key and signed. count, grace and borrow are 0 when absent, start is null. To check\n" +
			"signatures use licgen verify.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: i.run,
	}
}

// featureJSON is one feature in inspect --json.
type featureJSON struct {
	Name       string   `json:"name"`
	Line       int      `json:"line"`
	Vendor     string   `json:"vendor"`
	Version    string   `json:"version"`
	Count      int      `json:"count"`
	Grace      int      `json:"grace"`
	Borrow     int      `json:"borrow"`
	HALServers []string `json:"hal_servers"`
	Expire     string   `json:"expire"`
	Start      *string  `json:"start"`
	HostID     []string `json:"hostid"`
	TokenKey   []string `json:"token_key"`
	Signed     bool     `json:"signed"`
}

func (i *inspectCmd) run(c *cli.Context) error {
	path, err := fileArg(c, "LICENSE")
	if err != nil {
		return err
	}
	f, err := licfile.ParseFile(path)
	if err != nil {
		return i.problems(c, err, path, "the license is not valid")
	}
	if !c.Bool("json") {
		fmt.Fprintf(i.stdout, "%s: %s, rules ok (signatures not checked: use licgen verify)\n", path, count(len(f.Features), "feature"))
		return writeTable(i.stdout, f, i.now(), true)
	}
	return writeJSON(i.stdout, featuresJSON(f))
}

// featuresJSON is f's features as inspect and verify --json print them.
func featuresJSON(f *licfile.File) []featureJSON {
	out := make([]featureJSON, len(f.Features))
	for n, ft := range f.Features {
		out[n] = featureJSON{
			Name: ft.Name, Line: ft.Line, Vendor: ft.Vendor, Version: ft.Version,
			Count: ft.Count, Grace: ft.Grace, Borrow: ft.Borrow,
			HALServers: orEmpty(ft.HALServers), Expire: ft.Expire, HostID: orEmpty(ft.HostID),
			TokenKey: orEmpty(ft.TokenKey),
			Signed:   ft.Key != "",
		}
		if ft.Start != "" {
			out[n].Start = &ft.Start
		}
	}
	return out
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
