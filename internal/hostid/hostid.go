// Package hostid tells this machine's host ids, the values a license's HOSTID
// field may lock a feature to: the machine id (/etc/machine-id), the host
// name, and the MAC address of each network interface. `licd hostid` prints
// them.
package hostid

import (
	"net"
	"os"
	"strings"
)

// ID is one host id of this machine.
type ID struct {
	Kind  string // machine-id, hostname or mac
	Value string
}

// Local returns this machine's host ids.
func Local() []ID {
	var ids []ID
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil {
			if v := strings.TrimSpace(string(b)); v != "" {
				ids = append(ids, ID{"machine-id", strings.ToLower(v)})
				break
			}
		}
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		ids = append(ids, ID{"hostname", strings.ToLower(h)})
	}
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 || len(ifc.HardwareAddr) == 0 {
			continue
		}
		ids = append(ids, ID{"mac", strings.ToLower(ifc.HardwareAddr.String())})
	}
	return ids
}

// Match reports whether any of want (HOSTID values, compared without regard
// to case; a MAC may be written with - or :) is one of have.
func Match(want []string, have []ID) bool {
	for _, w := range want {
		w = strings.ToLower(strings.TrimSpace(w))
		mac := strings.ReplaceAll(w, "-", ":")
		for _, h := range have {
			v := w
			if h.Kind == "mac" {
				v = mac
			}
			if v == h.Value || v == h.Kind+"="+h.Value {
				return true
			}
		}
	}
	return false
}
