package licenses

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/clientstate"
	"github.com/floatlic/floatlic/internal/wire"
)

// ErrClosed is returned by a Client after Close.
var ErrClosed = errors.New("license client is closed")

// Retries of transport failures: a checkout, borrow or checkin sends the
// same request up to this many times to one server before trying the next.
const (
	sendTries    = 3
	firstBackoff = 100 * time.Millisecond
)

// Client checks licenses out for one client process. It is safe for
// concurrent use. Close it to check everything in.
type Client struct {
	opts    Options
	hc      *http.Client
	store   *clientstate.Store
	storeEr error // why there is no store
	session string
	pid     int

	mu             sync.Mutex
	closed         bool
	held           map[*License]struct{} // server licenses, heartbeated
	preferred      string                // the server that answered last
	instances      map[string]string     // server → instance id last seen
	restarted      map[string]bool       // server → restart not yet handled
	restarts       []time.Time           // restarts seen, for the anti-overuse counter
	sessionServers map[string]bool       // servers this session checked out from
	serverInterval time.Duration         // heartbeat interval the server asked for
	gen, inflight  int                   // checkouts started, and still in flight
	failures       map[string]int        // server → failed heartbeats in a row
	reportsMaybe   bool                  // grace reports may be pending
	hbCancel       context.CancelFunc    // stops automatic heartbeats
	hbDone         chan struct{}         // closed when they stopped
}

// New returns a client with opts. It contacts no server.
func New(opts Options) (*Client, error) {
	o := opts.withDefaults()
	if o.VendorKey != nil && len(o.VendorKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("vendor key: %d bytes, want an Ed25519 public key of %d (see ParseVendorKey)",
			len(o.VendorKey), ed25519.PublicKeySize)
	}
	servers := make([]string, 0, len(o.Servers))
	for _, s := range o.Servers {
		addr, err := normAddr(s, o.TLSConfig != nil)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(servers, addr) {
			servers = append(servers, addr)
		}
	}
	o.Servers = servers
	c := &Client{
		opts:           o,
		hc:             o.HTTPClient,
		session:        randomID(),
		pid:            os.Getpid(),
		held:           map[*License]struct{}{},
		instances:      map[string]string{},
		restarted:      map[string]bool{},
		sessionServers: map[string]bool{},
		failures:       map[string]int{},
		reportsMaybe:   true,
	}
	if c.hc == nil {
		c.hc = newHTTPClient(o.TLSConfig)
	}
	c.store, c.storeEr = clientstate.Open(o.StateDir)
	return c, nil
}

func newHTTPClient(tc *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSClientConfig = tc
	tr.MaxIdleConnsPerHost = 4
	return &http.Client{Transport: tr}
}

// normAddr checks a server address and, with TLS, makes host:port a URL.
func normAddr(s string, tls bool) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if s == "" {
		return "", fmt.Errorf("empty server address")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("server %q: want host:port or an http(s) URL", s)
		}
		return s, nil
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		return "", fmt.Errorf("server %q: want host:port: %w", s, err)
	}
	if tls {
		return "https://" + s, nil
	}
	return s, nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// Servers returns the servers the client uses, in order.
func (c *Client) Servers() []string { return slices.Clone(c.opts.Servers) }

// User returns the user name the client checks licenses out for.
func (c *Client) User() string { return c.opts.User }

// Host returns the host name the client sends.
func (c *Client) Host() string { return c.opts.Host }

// Session returns the client's session id.
func (c *Client) Session() string { return c.session }

// StateDir returns the directory of the client's local state.
func (c *Client) StateDir() string {
	if c.store == nil {
		return ""
	}
	return c.store.Dir()
}

func (c *Client) now() time.Time { return c.opts.Clock.Now() }

func (c *Client) wireClient() wire.Client {
	return wire.Client{Session: c.session, User: c.opts.User, Host: c.opts.Host, PID: c.pid}
}

func (c *Client) state() (*clientstate.Store, error) {
	if c.store == nil {
		return nil, fmt.Errorf("no state dir: %w", c.storeEr)
	}
	return c.store, nil
}

// order returns the servers to try: the one that answered last, then the
// others in list order.
func (c *Client) order() []string {
	c.mu.Lock()
	p := c.preferred
	c.mu.Unlock()
	return withFirst(c.opts.Servers, p)
}

func withFirst(list []string, first string) []string {
	out := make([]string, 0, len(list)+1)
	if first != "" {
		out = append(out, first)
	}
	for _, s := range list {
		if s != first {
			out = append(out, s)
		}
	}
	return out
}

// post sends one request to addr, resending it after a transport failure
// up to tries times in all, and not after RequestTimeout has passed (a
// silent server costs one timeout, not tries of them). The same request (and
// so the same request id) goes every time, so a lost reply never costs a
// second license.
func (c *Client) post(ctx context.Context, addr, path string, req, reply any, tries int) error {
	backoff := firstBackoff
	start := time.Now()
	var err error
	for i := range tries {
		if i > 0 && time.Since(start)+backoff >= c.opts.RequestTimeout {
			return err
		}
		if i > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
		var inst string
		inst, err = call(rctx, c.hc, addr, path, "", req, reply)
		cancel()
		c.observe(addr, inst)
		if err == nil || !isTransport(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// exchange sends a request to the servers in order until one answers: it
// follows not_primary to the serving node, and goes on to the next server
// after a transport failure, no_quorum or unavailable. Any other refusal is
// final. It returns the address of the server that answered.
//
// With several servers (a HAL set), a round in which servers answered but
// none served (an election under way: no_quorum, unavailable, not_primary
// to a node that is gone) is tried again, electionRetries times, after
// electionBackoff, doubled each time: a HAL set elects a new serving node
// in about a second, and a checkout made meanwhile should wait for it, not
// fail.
func (c *Client) exchange(ctx context.Context, order []string, path string, req, reply any, tries int) (string, error) {
	backoff := electionBackoff
	for i := 0; ; i++ {
		addr, err := c.exchangeOnce(ctx, order, path, req, reply, tries)
		if err == nil || len(order) < 2 || i == electionRetries || !electing(err) || ctx.Err() != nil {
			return addr, err
		}
		select {
		case <-ctx.Done():
			return addr, err
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

// A HAL set's election is ridden through with 250 ms + 500 ms + 1 s of
// waiting.
const (
	electionRetries = 3
	electionBackoff = 250 * time.Millisecond
)

// electing reports whether err is a round of servers that answered without
// serving.
func electing(err error) bool {
	switch ErrorCode(err) {
	case wire.CodeNoQuorum, wire.CodeUnavailable, wire.CodeNotPrimary:
		return true
	}
	return false
}

func (c *Client) exchangeOnce(ctx context.Context, order []string, path string, req, reply any, tries int) (string, error) {
	queue := slices.Clone(order)
	seen := map[string]bool{}
	var refusal error
	var failures []string // "addr: why" for each server that could not be reached
	for i := 0; i < len(queue) && i < len(order)+4; i++ {
		addr := queue[i]
		if seen[addr] {
			continue
		}
		seen[addr] = true
		err := c.post(ctx, addr, path, req, reply, tries)
		if err == nil {
			c.mu.Lock()
			c.preferred = addr
			c.mu.Unlock()
			return addr, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s: %w", path, context.Cause(ctx))
		}
		var e *Error
		switch {
		case isTransport(err):
			failures = append(failures, addr+": "+transportReason(err))
		case !errors.As(err, &e):
			return addr, err
		case e.Code == wire.CodeNotPrimary:
			if p, perr := normAddr(e.Primary, c.opts.TLSConfig != nil); perr == nil && !seen[p] {
				queue = slices.Insert(queue, i+1, p)
			}
			refusal = err
		case e.Code == wire.CodeNoQuorum || e.Code == wire.CodeUnavailable:
			refusal = err
		default:
			return addr, err
		}
	}
	if refusal != nil {
		return "", refusal
	}
	return "", noServer(failures)
}

func noServer(failures []string) *Error {
	if len(failures) == 0 {
		return wire.Errorf(wire.CodeNoServer, "no license server configured: set %s or Options.Servers", EnvServer)
	}
	return wire.Errorf(wire.CodeNoServer, "no license server reachable (%s)", strings.Join(failures, "; "))
}

// transportReason says in a few words why a server could not be reached.
func transportReason(err error) string {
	var se *os.SyscallError
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.As(err, &se):
		return se.Err.Error() // "connection refused", "connection reset by peer", ...
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "no reply in time"
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return err.Error()
}

// errMessage returns an *Error's message, the short reason of a transport
// failure, or err's text.
func errMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if isTransport(err) {
		return transportReason(err)
	}
	return err.Error()
}

// offline reports whether err means that no server could serve the request.
func offline(err error) bool {
	switch ErrorCode(err) {
	case wire.CodeNoServer, wire.CodeNoQuorum, wire.CodeUnavailable:
		return true
	}
	return isTransport(err)
}

// observe records the instance id a server sent and notes a restart when it
// changed.
func (c *Client) observe(addr, instance string) {
	if instance == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	prev, ok := c.instances[addr]
	c.instances[addr] = instance
	if ok && prev != instance {
		now := c.now()
		c.restarts = slices.DeleteFunc(c.restarts, func(t time.Time) bool { return t.Before(now.Add(-time.Hour)) })
		c.restarts = append(c.restarts, now)
		c.restarted[addr] = true
	}
}

// Close checks in every license the client holds, stops automatic
// heartbeats and ends the session on every server. Licenses from grace or a
// borrow stay as they are. A Client cannot be used after Close; a second
// Close returns nil.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	for l := range c.held {
		l.state = stateCheckedIn
	}
	clear(c.held)
	servers := make([]string, 0, len(c.sessionServers))
	for s := range c.sessionServers {
		servers = append(servers, s)
	}
	cancel, done := c.hbCancel, c.hbDone
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	slices.Sort(servers)
	var errs []error
	for _, s := range servers {
		req := wire.CheckinRequest{Client: c.wireClient(), All: true}
		var rep wire.CheckinReply
		if _, err := c.exchange(ctx, []string{s}, wire.PathCheckin, req, &rep, 2); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
