package licd

import (
	"crypto/ed25519"
	"fmt"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/hostid"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/urfave/cli/v2"
)

func hostidCommand() *cli.Command {
	return &cli.Command{
		Name:  "hostid",
		Usage: "print this machine's host ids, for a license's HOSTID",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the ids as a JSON array of {kind, value}"}},
		Action: func(c *cli.Context) error {
			if c.Bool("json") {
				type id struct {
					Kind  string `json:"kind"`
					Value string `json:"value"`
				}
				ids := []id{}
				for _, h := range hostid.Local() {
					ids = append(ids, id{h.Kind, h.Value})
				}
				return printJSON(ids)
			}
			for _, id := range hostid.Local() {
				fmt.Fprintf(Stdout, "%-10s %s\n", id.Kind, id.Value)
			}
			return nil
		},
	}
}

func readPub(path string) (ed25519.PublicKey, error) {
	pub, err := licfile.ReadPublicKey(path)
	if err != nil {
		return nil, exit.WithCode(exit.Setup, err)
	}
	return pub, nil
}
