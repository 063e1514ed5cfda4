package loadgen

import (
	"io"
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stampConn reads with recvmsg(2) on a socket with SO_TIMESTAMPNS, so that
// each read also says when the kernel received the data it returns.
type stampConn struct {
	net.Conn
	raw syscall.RawConn
	oob []byte
	at  time.Time // receive time of the first data read since arm
}

// stamped returns nc reading with receive times, or nc itself when it is not
// a TCP connection or the socket refuses the option.
func stamped(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	})
	if err != nil || serr != nil {
		return nc
	}
	return &stampConn{Conn: nc, raw: raw, oob: make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))))}
}

// arm forgets the last arrival: the next read's is the next reply's.
func (c *stampConn) arm() { c.at = time.Time{} }

// arrival is the receive time of the first data read since arm, zero if
// none was reported.
func (c *stampConn) arrival() time.Time { return c.at }

func (c *stampConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n, oobn int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			n, oobn, _, _, rerr = unix.Recvmsg(int(fd), p, c.oob, 0)
			if rerr != unix.EINTR {
				return rerr != unix.EAGAIN // false: wait in Go's poller until readable
			}
		}
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	if n == 0 {
		return 0, io.EOF
	}
	if c.at.IsZero() {
		c.at = receiveTime(c.oob[:oobn])
	}
	return n, nil
}

// receiveTime finds the SCM_TIMESTAMPNS message among the control messages
// of a recvmsg.
func receiveTime(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS &&
			len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			return time.Unix(ts.Unix())
		}
	}
	return time.Time{}
}
