package licborrow

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/licenses"
)

// checkoutOrWait checks feature out; with --queue it waits in the queue,
// printing each new position (with --json, nothing until the license).
func checkoutOrWait(c *cli.Context, cl *licenses.Client, feature string) (*licenses.License, error) {
	if !c.Bool("queue") {
		return cl.Checkout(c.Context, feature, c.String("version"))
	}
	return cl.CheckoutWait(c.Context, feature, c.String("version"), func(pos, of int) {
		if !c.Bool("json") {
			fmt.Fprintf(c.App.Writer, "queued for %s: position %d of %d\n", feature, pos, of)
		}
	})
}
