package feed

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// Reason says in a few words why a server could not be reached: "connection
// refused", "no such host", "timed out". A refusal by the server gives its
// code and message.
func Reason(err error) string {
	var (
		we    *wire.Error
		dns   *net.DNSError
		errno syscall.Errno
		ne    net.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &we):
		return we.Error()
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return dns.Err
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, licenses.ErrEventStreamClosed):
		return "the server closed the event stream"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	default:
		return err.Error()
	}
}
