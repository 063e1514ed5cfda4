package procstat

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// Machine is the CPU time of all the machine's cores together since boot,
// by what they did, from /proc/stat (Linux).
type Machine struct {
	Cores int
	Busy  time.Duration // user, nice, system, irq and softirq
	Idle  time.Duration // idle and waiting for I/O
	// Steal is time a virtual machine's core was ready to run but its
	// hypervisor ran something else: a delay no process's CPU time shows.
	Steal time.Duration
}

// Total is all the time counted.
func (m Machine) Total() time.Duration { return m.Busy + m.Idle + m.Steal }

// Sub returns the time counted from o to m.
func (m Machine) Sub(o Machine) Machine {
	return Machine{Cores: m.Cores, Busy: m.Busy - o.Busy, Idle: m.Idle - o.Idle, Steal: m.Steal - o.Steal}
}

// MachineCPU reads the machine's CPU time; false where there is no
// /proc/stat.
func MachineCPU() (Machine, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Machine{}, false
	}
	return parseStat(string(b))
}

// maxTicks bounds each count so that a sum of eight stays a Duration:
// about 36 years of one core's time.
const maxTicks = uint64(1<<63-1) / 8 / uint64(time.Second/userHZ)

// parseStat reads the "cpu" line of /proc/stat (user nice system idle
// iowait irq softirq steal ..., in USER_HZ; kernels before 2.6.11 have no
// steal) and counts the "cpuN" lines.
func parseStat(text string) (Machine, bool) {
	var m Machine
	found := false
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			m.Cores++
			continue
		}
		if len(f) < 8 { // through softirq
			return Machine{}, false
		}
		var v [8]int64 // steal stays 0 where the kernel has no such column
		for i := 0; i < len(v) && i+1 < len(f); i++ {
			n, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil || n > maxTicks {
				return Machine{}, false
			}
			v[i] = int64(n)
		}
		tick := time.Second / userHZ
		m.Busy = time.Duration(v[0]+v[1]+v[2]+v[5]+v[6]) * tick
		m.Idle = time.Duration(v[3]+v[4]) * tick
		m.Steal = time.Duration(v[7]) * tick
		found = true
	}
	if !found {
		return Machine{}, false
	}
	return m, true
}
