package licenses

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// Status is a license server's whole state, as licstat shows it.
type Status = wire.Status

// ServerInfo describes the server that answered a status request.
type ServerInfo = wire.ServerInfo

// FeatureStatus is one served feature and its use.
type FeatureStatus = wire.FeatureStatus

// CheckoutInfo is one live checkout.
type CheckoutInfo = wire.CheckoutInfo

// BorrowInfo is one live borrow.
type BorrowInfo = wire.BorrowInfo

// GraceInfo is one grace period a client reported.
type GraceInfo = wire.GraceInfo

// ServerNode is one license server: the single one, or one HAL node.
type ServerNode = wire.ServerNode

// Event is one entry of a server's audit trail (grant, deny, expire, ...).
type Event = wire.Event

// RemoveRequest names what an admin removes: one checkout, or every
// checkout of a session, by the handle status shows for it.
type RemoveRequest = wire.RemoveRequest

// ErrEventStreamClosed is returned by WatchEvents when the server ends the
// event stream, or stays silent for longer than its keep-alive promises.
var ErrEventStreamClosed = errors.New("event stream closed")

// eventIdleTimeout is how long WatchEvents waits without a byte from the
// server before it gives the stream up. The server sends a ping comment every
// 15 s, so this only fires when the server or the network is gone without
// closing the connection.
var eventIdleTimeout = 50 * time.Second

// FetchStatus asks the server at addr ("host:port" or a URL) for its status.
// A nil hc uses http.DefaultClient. A failure to reach the server is an error
// that is not an *Error; a refusal is an *Error.
func FetchStatus(ctx context.Context, addr string, hc *http.Client) (*Status, error) {
	var st Status
	if _, err := call(ctx, monitorHTTP(hc), addr, wire.PathStatus, "", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// RemoveCheckout asks the server at addr to release a checkout (or every
// checkout of a session) on the admin's behalf, and returns how many it
// removed. Without a valid adminToken the server refuses with unauthorized.
func RemoveCheckout(ctx context.Context, addr, adminToken string, hc *http.Client, req RemoveRequest) (int, error) {
	reply, err := Remove(ctx, addr, adminToken, hc, req)
	if err != nil {
		return 0, err
	}
	return reply.Removed, nil
}

// WatchEvents follows the server's event stream (server-sent events on
// /v1/events) and calls fn with each event, in order, from the goroutine that
// called WatchEvents. The server first replays its latest events, then sends
// live ones. WatchEvents returns ctx's error when ctx ends, and otherwise an
// error saying why the stream broke (ErrEventStreamClosed when the server
// ended it); it never returns nil.
func WatchEvents(ctx context.Context, addr string, hc *http.Client, fn func(Event)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, serverURL(addr)+wire.PathEvents, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", wire.PathEvents, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := monitorHTTP(hc).Do(req)
	if err != nil {
		return streamErr(ctx, addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return replyError(resp)
	}
	idle := time.AfterFunc(eventIdleTimeout, func() {
		cancel(fmt.Errorf("%w: no data for %s", ErrEventStreamClosed, eventIdleTimeout))
	})
	defer idle.Stop()
	err = readEvents(resp.Body, func() { idle.Reset(eventIdleTimeout) }, fn)
	if err == nil {
		err = ErrEventStreamClosed
	}
	return streamErr(ctx, addr, err)
}

// streamErr says why an event stream stopped: the caller's context ended, the
// idle timer gave up, or the connection failed.
func streamErr(ctx context.Context, addr string, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		if errors.Is(cause, ErrEventStreamClosed) {
			return &transportError{addr: addr, err: cause}
		}
		return cause
	}
	return &transportError{addr: addr, err: err}
}

// replyError turns a failed reply to the events request into an error, the
// same way call does for JSON requests.
func replyError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var er wire.ErrorReply
	if json.Unmarshal(data, &er) == nil && er.Error != nil && er.Error.Code != "" {
		return er.Error
	}
	msg := fmt.Sprintf("GET %s: %s", wire.PathEvents, resp.Status)
	if resp.StatusCode >= 500 {
		return &transportError{addr: resp.Request.URL.Host, err: errors.New(msg)}
	}
	return &Error{Code: wire.CodeBadRequest, Message: msg}
}

// readEvents parses a text/event-stream body: fields "event", "data" and "id",
// comment lines starting with ':', and a blank line that ends each event.
// Events whose data is not a wire.Event are skipped. seen is called for every
// line, including keep-alive comments.
func readEvents(r io.Reader, seen func(), fn func(Event)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var data strings.Builder
	for sc.Scan() {
		seen()
		line := sc.Text()
		if line == "" {
			dispatchEvent(data.String(), fn)
			data.Reset()
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		if field == "data" {
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(value)
		}
		// "event", "id", "retry" and comments need no handling: the kind and
		// the sequence number are in the data too.
	}
	return sc.Err()
}

func dispatchEvent(data string, fn func(Event)) {
	if data == "" {
		return
	}
	var ev Event
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		return
	}
	fn(ev)
}

// monitorHTTP returns hc, or http.DefaultClient when hc is nil.
func monitorHTTP(hc *http.Client) *http.Client {
	if hc == nil {
		return http.DefaultClient
	}
	return hc
}
