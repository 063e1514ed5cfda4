package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/floatlic/floatlic/licenses"
)

// ErrUsage marks a configuration error (a bad flag value).
var ErrUsage = errors.New("usage")

// ErrCountTooSmall is returned when the feature has fewer free licenses than
// the run needs: one per session.
var ErrCountTooSmall = errors.New("the feature's COUNT is too small for this run")

// classed is an error of a class (ErrUsage, ErrCountTooSmall) whose text is
// only its own: errors.Is finds both.
type classed struct{ class, err error }

func (e *classed) Error() string   { return e.err.Error() }
func (e *classed) Unwrap() []error { return []error{e.class, e.err} }

func classify(class error, format string, args ...any) error {
	return &classed{class, fmt.Errorf(format, args...)}
}

// closeTimeout bounds checking every session in after the run.
const closeTimeout = 2 * time.Minute

// run is one load run in progress.
type run struct {
	cfg      Config
	feature  string
	hc       *http.Client
	stateDir string
	live     counters
}

// Run drives the server as cfg says and returns what it measured. When ctx
// ends early, the measured phase stops there and the result covers what ran.
// Sessions are checked in at the end either way.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, &classed{ErrUsage, err}
	}
	hc := newHTTPClient(cfg)
	defer hc.CloseIdleConnections()
	r := &run{cfg: cfg, hc: hc}
	if r.feature, err = r.pickFeature(ctx); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "licbench-state-")
	if err != nil {
		return nil, fmt.Errorf("client state dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	// The simulated clients have no local state (no grace tokens, no
	// borrows): a state dir that does not exist costs each checkout one
	// stat instead of a locked read of the state file.
	r.stateDir = filepath.Join(tmp, "none")
	return r.execute(ctx)
}

// newHTTPClient returns the client every session shares: at most
// cfg.Conns connections, kept alive unless each request is to have its own.
func newHTTPClient(cfg Config) *http.Client {
	if cfg.Transport == TransportLean {
		// No Client.Timeout: every request already has a deadline in its
		// context (the licenses client's RequestTimeout, which is
		// cfg.Timeout), and a second timer a request costs CPU.
		return &http.Client{Transport: newLeanTransport(cfg.Conns)}
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxConnsPerHost:     cfg.Conns,
		MaxIdleConns:        cfg.Conns,
		MaxIdleConnsPerHost: cfg.Conns,
		IdleConnTimeout:     90 * time.Second,
		DisableKeepAlives:   cfg.NewConns,
	}
	return &http.Client{Transport: tr, Timeout: cfg.Timeout}
}

// pickFeature checks the server is there and serves the feature with
// enough free licenses for the run; with no feature named it takes the one
// with the most free licenses.
func (r *run) pickFeature(ctx context.Context) (string, error) {
	need := r.cfg.Clients + r.cfg.Sessions
	sctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	st, err := licenses.FetchStatus(sctx, r.cfg.Server, r.hc)
	var se *os.SyscallError
	switch {
	case errors.As(err, &se):
		return "", fmt.Errorf("no license server answers at %s (%v): start licd first (BENCHMARKS.md shows how)", r.cfg.Server, se)
	case err != nil:
		return "", fmt.Errorf("license server %s: %w", r.cfg.Server, err)
	}
	var best *licenses.FeatureStatus
	var names []string
	for i := range st.Features {
		f := &st.Features[i]
		names = append(names, f.Name)
		if f.Name == r.cfg.Feature || r.cfg.Feature == "" && (best == nil || free(f) > free(best)) {
			best = f
		}
	}
	switch {
	case best == nil && r.cfg.Feature != "":
		return "", classify(ErrUsage, "feature %q is not served by %s (it serves %s)", r.cfg.Feature, r.cfg.Server, strings.Join(names, ", "))
	case best == nil:
		return "", fmt.Errorf("license server %s serves no feature", r.cfg.Server)
	case free(best) < need:
		return "", classify(ErrCountTooSmall, "feature %s has COUNT %d with %d free, but this run holds up to %d licenses at once (one per session): "+
			"serve a license with a larger COUNT (BENCHMARKS.md shows how), or use fewer --clients/--sessions",
			best.Name, best.Count, free(best), need)
	}
	return best.Name, nil
}

func free(f *licenses.FeatureStatus) int { return f.Count - f.InUse - f.Borrowed }

// newClient returns simulated client number i: one session.
func (r *run) newClient(i int) (*licenses.Client, error) {
	return licenses.New(licenses.Options{
		Servers:        []string{r.cfg.Server},
		User:           fmt.Sprintf("bench%d", i),
		Host:           fmt.Sprintf("loadgen%d", i%1000),
		HTTPClient:     r.hc,
		RequestTimeout: r.cfg.Timeout,
		StateDir:       r.stateDir,
		OnExit:         func(error) {}, // no automatic heartbeats: never called
	})
}

// execute sets the sessions up, runs the measured phase and checks
// everything in.
func (r *run) execute(ctx context.Context) (*Result, error) {
	p := newProgress(r.cfg.Progress)
	defer p.stop()
	holders, err := r.setup(ctx, p)
	defer r.closeAll(holders, p)
	if err != nil {
		return nil, err
	}
	churners := make([]*licenses.Client, r.cfg.Clients)
	for i := range churners {
		if churners[i], err = r.newClient(len(holders) + i); err != nil {
			return nil, err
		}
	}
	defer r.closeAll(churners, nil)
	before := r.sample(ctx)
	start := time.Now()
	p.measure(start, r.cfg.Duration, &r.live)
	rec := r.measure(ctx, start, holders, churners)
	elapsed := time.Since(start)
	after := r.sample(ctx)
	p.done()
	return r.result(rec, elapsed, before, after), nil
}

// measure runs the churning and heartbeating sessions from start for the
// configured duration (or until ctx ends) and returns their merged records.
func (r *run) measure(ctx context.Context, start time.Time, holders, churners []*licenses.Client) *recorder {
	mctx, cancel := context.WithDeadline(ctx, start.Add(r.cfg.Duration))
	defer cancel()
	var mu sync.Mutex
	total := newRecorder(&r.live)
	var wg sync.WaitGroup
	worker := func(f func(*recorder)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := newRecorder(&r.live)
			f(rec)
			mu.Lock()
			total.merge(rec)
			mu.Unlock()
		}()
	}
	r.churn(ctx, mctx.Done(), start, churners, worker)
	r.heartbeat(ctx, mctx.Done(), start, holders, worker)
	wg.Wait()
	return total
}
