package views

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/table"
	"github.com/floatlic/floatlic/internal/wire"
)

// Servers lists the license servers: the single one, or the three HAL nodes
// with each one's role, whether it is up, which one serves, and the quorum.
func Servers(c *common.Common) *List[wire.ServerNode] {
	return newList(c, spec[wire.ServerNode]{
		name:  "Servers",
		empty: "no servers known",
		rows: func(d Data) []wire.ServerNode {
			if !statusOf(d) {
				return nil
			}
			return d.Status.Servers
		},
		key:  func(n wire.ServerNode) string { return fmt.Sprintf("%04d %s", n.ID, n.Addr) },
		info: serversInfo,
		cols: []column[wire.ServerNode]{
			{
				Column:  table.Column{Title: "#", Width: 3, Right: true},
				cell:    func(n wire.ServerNode, _ cellCtx) table.Cell { return text(strconv.Itoa(n.ID)) },
				compare: func(a, b wire.ServerNode) int { return cmp.Compare(a.ID, b.ID) },
			},
			{
				Column:  table.Column{Title: "ADDRESS", Width: 21, Flex: 1, Max: 48},
				cell:    func(n wire.ServerNode, _ cellCtx) table.Cell { return text(n.Addr) },
				compare: func(a, b wire.ServerNode) int { return byString(a.Addr, b.Addr) },
			},
			{
				Column:  table.Column{Title: "ROLE", Width: 9},
				cell:    func(n wire.ServerNode, _ cellCtx) table.Cell { return text(n.Role) },
				compare: func(a, b wire.ServerNode) int { return byString(a.Role, b.Role) },
			},
			{
				Column: table.Column{Title: "STATE", Width: 6},
				cell: func(n wire.ServerNode, _ cellCtx) table.Cell {
					if n.Up {
						return toned("up", common.Good)
					}
					return toned("down", common.Bad)
				},
				compare: func(a, b wire.ServerNode) int { return compareBool(a.Up, b.Up) },
			},
			{
				Column: table.Column{Title: "SERVING", Width: 8},
				cell: func(n wire.ServerNode, _ cellCtx) table.Cell {
					if n.Serving {
						return toned("serving", common.Good)
					}
					return toned("-", common.Dim)
				},
				compare: func(a, b wire.ServerNode) int { return compareBool(b.Serving, a.Serving) },
			},
		},
	})
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	default:
		return 1
	}
}

func serversInfo(all []wire.ServerNode, _ int, d Data) (string, common.Tone) {
	if d.Status == nil {
		return "no status yet", common.Dim
	}
	if len(all) <= 1 {
		s, serving := "single server", d.Status.Server.Serving
		if len(all) == 1 {
			serving = all[0].Serving && all[0].Up
		}
		if !serving {
			return s + " · not serving", common.Bad
		}
		return s + " · serving", common.Normal
	}
	up, serving := 0, []string{}
	for _, n := range all {
		if n.Up {
			up++
		}
		if n.Serving {
			serving = append(serving, fmt.Sprintf("#%d %s", n.ID, n.Addr))
		}
	}
	need := len(all)/2 + 1
	s := fmt.Sprintf("HAL · %d of %d nodes up", up, len(all))
	switch {
	case up < need:
		return fmt.Sprintf("%s · NO QUORUM (%d needed): no licenses are issued", s, need), common.Bad
	case len(serving) == 0:
		return s + " · quorum · no node serving", common.Warn
	default:
		return fmt.Sprintf("%s · quorum · serving: %s", s, strings.Join(serving, ", ")), common.Normal
	}
}
