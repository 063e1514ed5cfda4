package feed

import (
	"reflect"
	"testing"

	"github.com/floatlic/floatlic/internal/wire"
)

func TestMergeNodes(t *testing.T) {
	// list is node #2's view: it hears from #1 serving and knows nothing
	// of #3's term, as a HAL node's status says.
	list := []wire.ServerNode{
		{ID: 1, Addr: "a:1", Role: "primary", Up: true, Serving: true},
		{ID: 2, Addr: "b:2", Role: "secondary", Up: true, Term: 4, Applied: 90},
		{ID: 3, Addr: "c:3", Role: "quorum"},
	}
	self := func(id int, serving bool, term, applied uint64) *wire.Status {
		return &wire.Status{
			Server:  wire.ServerInfo{HALID: id, Serving: serving, Term: term, Applied: applied},
			Servers: list,
		}
	}
	node := func(id int, serving bool, term, applied uint64) *wire.Status {
		return &wire.Status{Server: wire.ServerInfo{HALID: id, Serving: serving, Term: term, Applied: applied}}
	}
	tests := []struct {
		name    string
		st      *wire.Status
		replies map[int]*wire.Status
		want    []wire.ServerNode
	}{
		{
			name: "single server: the list as it is",
			st:   &wire.Status{Servers: []wire.ServerNode{{ID: 1, Addr: "a:1", Role: "single", Up: true, Serving: true}}},
			want: []wire.ServerNode{{ID: 1, Addr: "a:1", Role: "single", Up: true, Serving: true}},
		},
		{
			name:    "all three answer",
			st:      self(2, false, 5, 100),
			replies: map[int]*wire.Status{1: node(1, true, 5, 101), 3: node(3, false, 5, 99)},
			want: []wire.ServerNode{
				{ID: 1, Addr: "a:1", Role: "primary", Up: true, Serving: true, Term: 5, Applied: 101},
				{ID: 2, Addr: "b:2", Role: "secondary", Up: true, Term: 5, Applied: 100},
				{ID: 3, Addr: "c:3", Role: "quorum", Up: true, Term: 5, Applied: 99},
			},
		},
		{
			name:    "the node that serves in the list does not answer",
			st:      self(2, true, 6, 120),
			replies: map[int]*wire.Status{3: node(3, false, 6, 120)},
			want: []wire.ServerNode{
				{ID: 1, Addr: "a:1", Role: "primary"},
				{ID: 2, Addr: "b:2", Role: "secondary", Up: true, Serving: true, Term: 6, Applied: 120},
				{ID: 3, Addr: "c:3", Role: "quorum", Up: true, Term: 6, Applied: 120},
			},
		},
		{
			name:    "no other node answers",
			st:      self(2, false, 6, 120),
			replies: map[int]*wire.Status{1: nil},
			want: []wire.ServerNode{
				{ID: 1, Addr: "a:1", Role: "primary"},
				{ID: 2, Addr: "b:2", Role: "secondary", Up: true, Term: 6, Applied: 120},
				{ID: 3, Addr: "c:3", Role: "quorum"},
			},
		},
		{
			name:    "another node's id answers at an address: no answer",
			st:      self(2, false, 5, 100),
			replies: map[int]*wire.Status{1: node(3, true, 5, 100), 3: node(0, true, 0, 0)},
			want: []wire.ServerNode{
				{ID: 1, Addr: "a:1", Role: "primary"},
				{ID: 2, Addr: "b:2", Role: "secondary", Up: true, Term: 5, Applied: 100},
				{ID: 3, Addr: "c:3", Role: "quorum"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MergeNodes(tt.st, tt.replies)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MergeNodes =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
	if !list[0].Serving || list[2].Up {
		t.Error("MergeNodes changed the status it was given")
	}
}
