package licstat

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/wire"
)

// --once shows the options file in force on one line under the server's;
// --json carries it whole.
func TestOncePolicy(t *testing.T) {
	st := cannedStatus()
	st.Policy = &wire.PolicyInfo{Path: "site.opt", Rules: 7}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(st)
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	code, out, errOut := runApp(t, "--server", addr, "--once")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.SplitN(out, "\n", 4)
	if lines[1] != "options: site.opt, 7 rules" || lines[2] != "" {
		t.Fatalf("--once begins:\n%s", strings.Join(lines[:3], "\n"))
	}
	_, out, _ = runApp(t, "--server", addr, "--json")
	if !strings.Contains(out, `"policy": {`) || !strings.Contains(out, `"rules": 7`) {
		t.Fatalf("--json lacks the policy:\n%s", out)
	}
}
