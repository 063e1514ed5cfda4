// Package logfile is licd's --log-file: a log file that is re-opened on
// request (after logrotate has moved it away, on SIGHUP) and that rotates
// itself when it grows past a size, keeping a number of old files FILE.1
// (the newest) … FILE.N.
package logfile

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// File is an append-only log file, safe for concurrent writes.
type File struct {
	path    string
	maxSize int64 // 0: no rotation by size
	keep    int   // old files kept by a rotation

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens (creating, mode 0640) the log file at path for appending.
// maxSize 0 never rotates by size; keep is the number of old files a
// rotation keeps (0: the old log is deleted).
func Open(path string, maxSize int64, keep int) (*File, error) {
	if maxSize < 0 || keep < 0 {
		return nil, fmt.Errorf("log file %s: negative size or count", path)
	}
	l := &File{path: path, maxSize: maxSize, keep: keep}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log file: %w", err)
	}
	l.f, l.size = f, fi.Size()
	return nil
}

// Write appends p, rotating first when p would take the file past its
// maximum size (a file that is empty takes p whatever its size: one log
// line is never split).
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxSize > 0 && l.size > 0 && l.size+int64(len(p)) > l.maxSize {
		if err := l.rotate(); err != nil {
			// Keep logging to the file as it is rather than lose lines.
			fmt.Fprintf(os.Stderr, "licd: %v\n", err)
		}
	}
	if l.f == nil {
		if err := l.open(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// Reopen closes the file and opens path anew: after logrotate has renamed
// it, licd writes to a new file of that name.
func (l *File) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
	return l.open()
}

// rotate shifts FILE.i to FILE.i+1 (dropping FILE.keep), FILE to FILE.1,
// and opens a new FILE.
func (l *File) rotate() error {
	l.f.Close()
	l.f = nil
	var errs []string
	if l.keep == 0 {
		if err := os.Remove(l.path); err != nil {
			errs = append(errs, err.Error())
		}
	} else {
		os.Remove(l.old(l.keep)) // may not exist
		for i := l.keep - 1; i >= 1; i-- {
			if err := os.Rename(l.old(i), l.old(i+1)); err != nil && !os.IsNotExist(err) {
				errs = append(errs, err.Error())
			}
		}
		if err := os.Rename(l.path, l.old(1)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := l.open(); err != nil {
		errs = append(errs, err.Error())
	}
	if errs != nil {
		return fmt.Errorf("rotate log file %s: %s", l.path, strings.Join(errs, "; "))
	}
	return nil
}

func (l *File) old(i int) string { return l.path + "." + strconv.Itoa(i) }

// Close closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// ParseSize reads a size such as 100MB, 512KiB, 1G or 4096 (bytes); 0
// means no limit. KB, MB and GB are powers of 1000, KiB, MiB and GiB of
// 1024, and K, M and G alone of 1024, as logrotate reads them.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	}
	mult, ok := sizeUnits[unit]
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: use a number with B, K, KB, KiB, M, MB, MiB, G, GB or GiB", s)
	}
	return int64(v * float64(mult)), nil
}

var sizeUnits = map[string]int64{
	"": 1, "B": 1,
	"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3,
	"M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
	"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9,
}
