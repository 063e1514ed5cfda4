package licborrow

import (
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/licenses"
)

func graceCommand() *cli.Command {
	return &cli.Command{
		Name:      "grace",
		Usage:     "show this user's grace state per feature",
		ArgsUsage: "[FEATURE]",
		Description: "Shows, for FEATURE or every feature with a stored grace token, the state: none, " +
			"inactive (a token is ready for when no server answers), active (until EXPIRES) or cooldown " +
			"(no new grace until COOLDOWN UNTIL). Needs no server.",
		Flags:  []cli.Flag{jsonFlag(), stateDirFlag(), vendorPubFlag()},
		Action: runGrace,
	}
}

// graceJSON is one feature in `grace --json`.
type graceJSON struct {
	Feature       string  `json:"feature"`
	State         string  `json:"state"`
	Version       string  `json:"version,omitempty"`
	Hours         int     `json:"hours,omitempty"`
	Activated     *string `json:"activated"`
	Expires       *string `json:"expires"`
	CooldownUntil *string `json:"cooldown_until"`
}

func runGrace(c *cli.Context) error {
	pos, err := args(c, 0, 1, "[FEATURE]")
	if err != nil {
		return err
	}
	cl, err := newClient(c, licenses.Options{}, false)
	if err != nil {
		return err
	}
	var states []licenses.GraceState
	if len(pos) == 1 {
		g, err := cl.Grace(pos[0])
		if err != nil {
			return refused(err)
		}
		states = []licenses.GraceState{g}
	} else if states, err = cl.Graces(); err != nil {
		return refused(err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		out := make([]graceJSON, 0, len(states))
		for _, g := range states {
			out = append(out, graceJSON{Feature: g.Feature, State: g.State, Version: g.Version, Hours: g.Hours,
				Activated: rfc3339(g.Activated), Expires: rfc3339(g.Expires), CooldownUntil: rfc3339(g.CooldownUntil)})
		}
		return printJSON(w, out)
	}
	if len(states) == 0 {
		fmt.Fprintf(w, "no grace tokens stored for %s@%s (a checkout with --allow-grace stores one)\n", cl.User(), cl.Host())
		return nil
	}
	rows := make([][]string, 0, len(states))
	for _, g := range states {
		hours := "-"
		if g.Hours > 0 {
			hours = strconv.Itoa(g.Hours)
		}
		rows = append(rows, []string{g.Feature, g.State, hours, human(g.Expires), human(g.CooldownUntil)})
	}
	return printTable(w, []string{"FEATURE", "STATE", "HOURS", "EXPIRES", "COOLDOWN UNTIL"}, rows)
}
