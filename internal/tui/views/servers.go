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
			raftCol("TERM", 6, func(n wire.ServerNode) uint64 { return n.Term }),
			raftCol("APPLIED", 9, func(n wire.ServerNode) uint64 { return n.Applied }),
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

// raftCol shows a node's raft term or applied index: none for a single
// server or a node that did not answer.
func raftCol(title string, width int, get func(wire.ServerNode) uint64) column[wire.ServerNode] {
	return column[wire.ServerNode]{
		Column: table.Column{Title: title, Width: width, Right: true},
		cell: func(n wire.ServerNode, _ cellCtx) table.Cell {
			if get(n) == 0 {
				return text("")
			}
			return text(strconv.FormatUint(get(n), 10))
		},
		compare: func(a, b wire.ServerNode) int { return cmp.Compare(get(a), get(b)) },
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
	q := QuorumOf(d.Status)
	s := fmt.Sprintf("HAL · %d of %d nodes up", q.Up, q.Nodes)
	switch {
	case !q.OK:
		return s + " · NO QUORUM: no licenses are issued", common.Bad
	case len(q.Serving) == 0:
		return s + " · quorum · no node serving", common.Warn
	default:
		return s + " · quorum · serving: " + strings.Join(q.Serving, ", "), common.Normal
	}
}

// Quorum is what licstat can tell of a HAL set's majority.
type Quorum struct {
	OK        bool     // a node that answered serves, or the node that answered hears from one
	Up, Nodes int      // nodes that answered, of how many
	Serving   []string // the serving node(s): "#1 host:port"
	ids       []string // the same, "#1"
}

// QuorumOf reads the quorum from a HAL node's status whose "servers" list
// has each node's own view (see feed.MergeNodes). A serving node is one
// that says so; when none that answered does, the node named as primary
// by the one that answered (it hears from it) is taken as serving.
func QuorumOf(st *wire.Status) Quorum {
	q := Quorum{Nodes: len(st.Servers), OK: st.Server.Quorum}
	for _, n := range st.Servers {
		if n.Up {
			q.Up++
		}
		if n.Up && n.Serving {
			q.add(n)
		}
	}
	for _, n := range st.Servers {
		if len(q.Serving) == 0 && st.Server.Primary != "" && n.Addr == st.Server.Primary {
			q.add(n)
		}
	}
	q.OK = q.OK || len(q.Serving) > 0
	return q
}

func (q *Quorum) add(n wire.ServerNode) {
	q.Serving = append(q.Serving, fmt.Sprintf("#%d %s", n.ID, n.Addr))
	q.ids = append(q.ids, fmt.Sprintf("#%d", n.ID))
}

// String is the quorum line of licstat --once:
// "quorum: yes (2 of 3 up, #1 serving)".
func (q Quorum) String() string {
	yes, serving := "no", "none serving"
	if q.OK {
		yes = "yes"
	}
	if len(q.ids) > 0 {
		serving = strings.Join(q.ids, ", ") + " serving"
	}
	return fmt.Sprintf("quorum: %s (%d of %d up, %s)", yes, q.Up, q.Nodes, serving)
}
