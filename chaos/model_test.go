package chaos

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// Small histories with a known answer: the checks must pass the legal ones
// and catch the others, or a clean chaos run proves nothing.

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// op builds a recorded operation of client c on feature f, called at
// call ms and answered at ret ms (ret < 0: never answered).
func op(c int, kind Kind, req, id string, call, ret int, out Output) Op {
	in := Input{Kind: kind, Client: c, Session: "s" + string(rune('0'+c)), Feature: "f", Request: req, ID: id}
	o := Op{Input: in, Output: out, Call: ms(call), Return: ms(ret)}
	if ret < 0 {
		o.Output.Outcome, o.Return = Unknown, Never
	}
	return o
}

func granted(id string, lease int) Output { return Output{Outcome: Done, ID: id, Lease: ms(lease)} }
func listed(lease int, ids ...string) Output {
	return Output{Outcome: Done, IDs: ids, Lease: ms(lease)}
}
func released(n int) Output { return Output{Outcome: Done, N: n} }

var denied = Output{Outcome: Denied, Code: "count_exhausted"}

func TestChecks(t *testing.T) {
	tests := []struct {
		name            string
		ops             []Op
		linearizable    bool
		overCount, lost bool
	}{
		{"denied while the one license is held", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(2, OpCheckout, "r1", "", 20, 30, denied),
		}, true, false, false},
		{"two granted with COUNT 1", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(2, OpCheckout, "r1", "", 20, 30, granted("B", 1000)),
		}, false, true, false},
		{"two granted at once with COUNT 1", []Op{
			op(1, OpCheckout, "r1", "", 0, 100, granted("A", 1000)),
			op(2, OpCheckout, "r1", "", 10, 90, granted("B", 1000)),
		}, false, true, false},
		{"granted after a checkin", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(1, OpCheckin, "", "A", 20, 30, released(1)),
			op(2, OpCheckout, "r1", "", 40, 50, granted("B", 1000)),
		}, true, false, false},
		{"checkin released nothing it held", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(1, OpCheckin, "", "A", 20, 30, released(0)),
		}, false, false, false},
		{"denied after a checkin", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(1, OpCheckin, "", "A", 20, 30, released(1)),
			op(2, OpCheckout, "r1", "", 40, 50, denied),
		}, false, false, false},
		{"a repeated request returns its checkout", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(1, OpCheckout, "r1", "", 20, 30, granted("A", 1000)),
		}, true, false, false},
		{"a repeated request returns another checkout", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(1, OpCheckout, "r1", "", 20, 30, granted("B", 1000)),
		}, false, true, false},
		{"a lost reply may have been a grant, named by a heartbeat", []Op{
			op(1, OpCheckout, "r1", "", 0, -1, Output{}),
			op(2, OpCheckout, "r1", "", 20, 30, denied),
			op(1, OpHeartbeat, "", "", 40, 50, listed(1000, "A")),
		}, true, false, false},
		{"a heartbeat lists a checkout nobody asked for", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(1, OpHeartbeat, "", "", 40, 50, listed(1000, "A", "B")),
		}, false, true, false},
		{"a checkout vanishes while its lease holds", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(1, OpHeartbeat, "", "", 40, 50, listed(1000)),
		}, false, false, true},
		{"a checkout lapses after its lease", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 100)),
			op(2, OpCheckout, "r1", "", 200, 210, granted("B", 1000)),
			op(1, OpHeartbeat, "", "", 300, 310, Output{Outcome: NoSession}),
		}, true, false, false},
		{"a checkout lapses, then the session checks out again", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 100)),
			op(2, OpCheckout, "r1", "", 200, 210, granted("B", 1000)),
			op(2, OpCheckin, "", "B", 250, 260, released(1)),
			op(1, OpCheckout, "r2", "", 300, 310, Output{Outcome: Done, ID: "C", Lease: ms(2000)}),
			op(1, OpHeartbeat, "", "", 400, 410, listed(2000, "C")),
		}, true, false, false},
		{"the session forgotten while its lease holds", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(1, OpHeartbeat, "", "", 300, 310, Output{Outcome: NoSession}),
		}, false, false, true},
		{"a dead client's checkout is freed after its lease", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 100)),
			op(2, OpCheckout, "r1", "", 50, 60, denied),
			op(2, OpCheckout, "r2", "", 200, 210, granted("B", 1000)),
		}, true, false, false},
		{"a dead client's checkout is freed before its lease ends", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(2, OpCheckout, "r1", "", 200, 210, granted("B", 1000)),
		}, false, true, false},
		{"a request never answered may take effect later", []Op{
			op(1, OpCheckout, "r1", "", 0, -1, Output{}),
			op(2, OpCheckout, "r1", "", 200, 210, granted("B", 1000)),
			op(2, OpCheckin, "", "B", 300, 310, released(1)),
			op(3, OpCheckout, "r1", "", 400, 410, denied),
		}, true, false, false},
		{"a lost attempt arrives after its retry was denied", []Op{
			op(1, OpCheckout, "r1", "", 0, 10, granted("A", 1000)),
			op(2, OpCheckout, "r1", "", 20, -1, Output{}),
			op(2, OpCheckout, "r1", "", 40, 50, denied),
			op(1, OpCheckin, "", "A", 60, 70, released(1)),
			op(3, OpCheckout, "r1", "", 80, 90, denied),
			op(2, OpHeartbeat, "", "", 100, 110, listed(1000, "B")),
		}, true, false, false},
		{"a borrow holds a license until it is returned", []Op{
			op(1, OpBorrow, "r1", "", 0, 10, granted("A", 0)),
			op(2, OpCheckout, "r1", "", 20, 30, denied),
			op(1, OpReturn, "", "A", 40, 50, released(1)),
			op(2, OpCheckout, "r2", "", 60, 70, granted("B", 1000)),
		}, true, false, false},
		{"checked out while borrowed", []Op{
			op(1, OpBorrow, "r1", "", 0, 10, granted("A", 0)),
			op(2, OpCheckout, "r1", "", 20, 30, granted("B", 1000)),
		}, false, true, false},
	}
	count := map[string]int{"f": 1}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := Linearizable(tt.ops, count, nil, 10*time.Second, "")
			if got := res == porcupine.Ok; got != tt.linearizable {
				t.Errorf("linearizable = %v (%v), want %v", got, res, tt.linearizable)
			}
			if v := OverCount(tt.ops, count); (len(v) > 0) != tt.overCount {
				t.Errorf("over count: %v, want a violation: %v", v, tt.overCount)
			}
			if v := Lost(tt.ops); (len(v) > 0) != tt.lost {
				t.Errorf("lost: %v, want a violation: %v", v, tt.lost)
			}
		})
	}
}
