package licstat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// fetchTimeout bounds the status request of --json and --once.
const fetchTimeout = 10 * time.Second

// fetchStatus gets the status from the first of servers that answers; from
// a HAL node, with every node's own view of itself in "servers" (see
// feed.MergeNodes). When none answers, the error says why in one line and
// exits 1.
func fetchStatus(ctx context.Context, servers []string) (*wire.Status, string, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	var failures []string
	for _, addr := range servers {
		st, err := licenses.FetchStatus(ctx, addr, http.DefaultClient)
		if err == nil {
			feed.WithNodes(ctx, st, http.DefaultClient)
			return st, addr, nil
		}
		var we *wire.Error
		if errors.As(err, &we) {
			return nil, addr, exit.Refusedf("license server %s refused the status request: %w", addr, we)
		}
		failures = append(failures, fmt.Sprintf("%s: %s", addr, feed.Reason(err)))
	}
	if len(failures) == 1 {
		return nil, servers[0], exit.Refusedf("cannot reach license server %s", failures[0])
	}
	return nil, servers[0], exit.Refusedf("cannot reach any license server (%s)", strings.Join(failures, "; "))
}
