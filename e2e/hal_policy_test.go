package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/floatlic/floatlic/internal/wire"
)

// The serving node's options file is the set's: the followers hold its
// rules before they ever serve, and the node that takes over refuses as
// the one before it did, counting what was granted there.
func TestHALOptionsReplicate(t *testing.T) {
	opt := filepath.Join(t.TempDir(), "site.opt")
	os.WriteFile(opt, []byte("EXCLUDE cad_hal USER mallory\nMAX 1 cad_hal USER ann\n"), 0o644)
	c := newHALCluster(t, "--options", opt)
	c.waitServedBy(1)
	as := func(user string) wire.Client {
		s := session()
		s.User = user
		return s
	}
	want := func(id int, user, code string) {
		t.Helper()
		_, werr, err := rawCheckoutAs(c.node(id).addr, as(user), "r")
		switch {
		case err != nil:
			t.Fatal(err)
		case code == "" && werr != nil:
			t.Fatalf("#%d, %s: refused: %v", id, user, werr)
		case code != "" && (werr == nil || werr.Code != code):
			t.Fatalf("#%d, %s: %v, want %s", id, user, werr, code)
		}
	}
	want(1, "mallory", wire.CodeExcluded)
	want(1, "ann", "")
	want(1, "ann", wire.CodeMaxReached)
	for _, id := range []int{2, 3} {
		c.waitFor(fmt.Sprintf("#%d to hold the rules", id), halWait, func() (bool, string) {
			st, err := c.status(id)
			if err != nil {
				return false, err.Error()
			}
			return st.Policy != nil && st.Policy.Rules == 2, fmt.Sprintf("policy %+v", st.Policy)
		})
	}
	c.kill(1)
	c.waitServedBy(2)
	want(2, "ann", wire.CodeMaxReached)
	want(2, "mallory", wire.CodeExcluded)
	want(2, "bob", "")
}
