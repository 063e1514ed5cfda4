//go:build !linux

package loadgen

import "net"

// stamped returns nc: receive times are read on Linux only.
func stamped(nc net.Conn) net.Conn { return nc }
