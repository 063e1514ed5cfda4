package licstat

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/wire"
)

// halNodes starts canned HAL nodes #2 and #3 that serve their own status,
// with #1's address closed, and returns the three addresses. Each node's
// "servers" list is its own partial view: it knows only its own term.
func halNodes(t *testing.T) [3]string {
	t.Helper()
	var addrs [3]string
	lns := make([]net.Listener, 3)
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i], addrs[i] = ln, ln.Addr().String()
	}
	lns[0].Close() // #1 is down
	for i := 1; i < 3; i++ {
		id := i + 1
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := cannedStatus()
			st.Server.HALID, st.Server.Role, st.Server.Serving = id, []string{"", "primary", "secondary", "quorum"}[id], id == 2
			st.Server.Quorum, st.Server.Term, st.Server.Applied = true, 9, uint64(100+id)
			st.Servers = []wire.ServerNode{
				{ID: 1, Addr: addrs[0], Role: "primary"},
				{ID: 2, Addr: addrs[1], Role: "secondary", Up: true, Serving: true},
				{ID: 3, Addr: addrs[2], Role: "quorum", Up: id == 3},
			}
			st.Servers[id-1].Term, st.Servers[id-1].Applied = st.Server.Term, st.Server.Applied
			if id == 3 { // stale: only the serving node hears heartbeats
				for i := range st.Checkouts {
					st.Checkouts[i].LastHeartbeat = st.Checkouts[i].Since
				}
			}
			json.NewEncoder(w).Encode(st)
		}))
		srv.Listener.Close()
		srv.Listener = lns[i]
		srv.Start()
		t.Cleanup(srv.Close)
	}
	return addrs
}

func TestHALServers(t *testing.T) {
	addrs := halNodes(t)
	want := []wire.ServerNode{
		{ID: 1, Addr: addrs[0], Role: "primary"},
		{ID: 2, Addr: addrs[1], Role: "secondary", Up: true, Serving: true, Term: 9, Applied: 102},
		{ID: 3, Addr: addrs[2], Role: "quorum", Up: true, Term: 9, Applied: 103},
	}
	list := strings.Join(addrs[:], ",")
	t.Run("json", func(t *testing.T) {
		code, out, errOut := runApp(t, "--server", list, "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var st wire.Status
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st.Servers, want) {
			t.Errorf("servers =\n%+v\nwant\n%+v", st.Servers, want)
		}
	})
	t.Run("once", func(t *testing.T) {
		code, out, errOut := runApp(t, "--server", list, "--once")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.HasPrefix(out, "License server "+addrs[1]+": secondary, serving") {
			t.Errorf("--once does not start with #2's line:\n%s", out)
		}
		if !strings.HasSuffix(out, "\n  quorum: yes (2 of 3 up, #2 serving)\n") {
			t.Errorf("--once does not end with the quorum line:\n%s", out)
		}
	})
}

// Asked first, a node that does not serve still shows the serving node's
// ledger, whose heartbeat times are current.
func TestHALLedgerFromServingNode(t *testing.T) {
	addrs := halNodes(t)
	code, out, errOut := runApp(t, "--server", addrs[2], "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var st wire.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	want := cannedStatus().Checkouts
	if len(st.Checkouts) != len(want) || len(want) == 0 {
		t.Fatalf("%d checkouts, want %d", len(st.Checkouts), len(want))
	}
	for i, c := range st.Checkouts {
		if !c.LastHeartbeat.Equal(want[i].LastHeartbeat) {
			t.Errorf("checkout %s heartbeat %v, want #2's %v", c.ID, c.LastHeartbeat, want[i].LastHeartbeat)
		}
	}
	if st.Server.HALID != 3 {
		t.Errorf("server is #%d, want #3, the node asked", st.Server.HALID)
	}
}
