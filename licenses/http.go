package licenses

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/floatlic/floatlic/internal/wire"
)

// Error is a refusal from a license server, or a client-side condition with
// a code of its own (no_server, clock_windback, ...). Match codes with IsCode.
type Error = wire.Error

// IsCode reports whether err is, or wraps, an *Error with code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// ErrorCode returns the code of err when it is, or wraps, an *Error, else "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// serverURL turns "host:port" or a full URL into a base URL without a trailing slash.
func serverURL(addr string) string {
	addr = strings.TrimRight(strings.TrimSpace(addr), "/")
	if strings.HasPrefix(addr, "http://") || strings.HasPrefix(addr, "https://") {
		return addr
	}
	return "http://" + addr
}

// transportError marks a failure to reach a server at all (as opposed to a
// reply that refused): the caller may try another server or fall back on grace.
type transportError struct {
	addr string
	err  error
}

func (e *transportError) Error() string { return fmt.Sprintf("server %s: %v", e.addr, e.err) }
func (e *transportError) Unwrap() error { return e.err }

// isTransport reports whether err means the server could not be reached.
func isTransport(err error) bool {
	var t *transportError
	return errors.As(err, &t)
}

// call sends req as JSON to the server at addr and decodes the reply into
// reply. A refusal comes back as *Error; a network failure as *transportError.
// A nil req sends a GET. The server's instance id is returned from the header.
func call(ctx context.Context, hc *http.Client, addr, path, token string, req, reply any) (instance string, err error) {
	method, body := http.MethodGet, io.Reader(nil)
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return "", fmt.Errorf("encode %s request: %w", path, err)
		}
		method, body = http.MethodPost, bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, serverURL(addr)+path, body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if req != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		hreq.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return "", &transportError{addr: addr, err: err}
	}
	defer resp.Body.Close()
	instance = resp.Header.Get(wire.InstanceHeader)
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return instance, &transportError{addr: addr, err: fmt.Errorf("read reply: %w", err)}
	}
	if resp.StatusCode/100 != 2 {
		var er wire.ErrorReply
		if json.Unmarshal(data, &er) == nil && er.Error != nil && er.Error.Code != "" {
			return instance, er.Error
		}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusServiceUnavailable {
			return instance, &transportError{addr: addr, err: fmt.Errorf("%s %s: %s", method, path, resp.Status)}
		}
		return instance, &Error{Code: wire.CodeBadRequest, Message: fmt.Sprintf("%s %s: %s", method, path, resp.Status)}
	}
	if reply == nil {
		return instance, nil
	}
	if err := json.Unmarshal(data, reply); err != nil {
		return instance, fmt.Errorf("decode %s reply from %s: %w", path, addr, err)
	}
	return instance, nil
}
