package clientstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// EnvStateDir names the environment variable that overrides the state dir.
const EnvStateDir = "LIC_STATE_DIR"

// File names inside the state dir.
const (
	stateFile = "state.json"
	lockFile  = "state.lock"
)

// LockTimeout bounds the wait for another process's lock on the state dir.
var LockTimeout = 10 * time.Second

// ErrUnchanged, returned by the function given to Update, means that the
// state did not change: Update then writes nothing and returns nil.
var ErrUnchanged = errors.New("state unchanged")

// ErrLocked is returned when the state dir stays locked for LockTimeout.
var ErrLocked = errors.New("state dir is locked by another process")

// DefaultDir returns the state dir: $LIC_STATE_DIR when set, else
// "floatlic" in the user's config dir (os.UserConfigDir).
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvStateDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the state dir (set %s): %w", EnvStateDir, err)
	}
	return filepath.Join(base, "floatlic"), nil
}

// Store is one state dir. It is safe for concurrent use, and several
// processes may use the same dir at once.
type Store struct {
	dir string
	mu  sync.Mutex // orders this process's own goroutines before the flock
}

// Open returns the store in dir, which is created (mode 0700) on the first
// change. An empty dir means DefaultDir.
func Open(dir string) (*Store, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("state dir %s: %w", dir, err)
	}
	return &Store{dir: abs}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the path of the state file.
func (s *Store) Path() string { return filepath.Join(s.dir, stateFile) }

// View reads the state under a shared lock. A dir or file that does not
// exist yet reads as an empty state.
func (s *Store) View(fn func(*State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(s.dir); errors.Is(err, fs.ErrNotExist) {
		return fn(&State{})
	}
	unlock, err := s.lock(false)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.read()
	if err != nil {
		return err
	}
	return fn(st)
}

// Update reads the state under an exclusive lock, lets fn change it and
// writes it back atomically. When fn returns an error nothing is written and
// Update returns that error (nil for ErrUnchanged).
func (s *Store) Update(fn func(*State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mkdir(); err != nil {
		return err
	}
	unlock, err := s.lock(true)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.read()
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		if errors.Is(err, ErrUnchanged) {
			return nil
		}
		return err
	}
	return s.write(st)
}

func (s *Store) mkdir() error {
	if _, err := os.Stat(s.dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	// MkdirAll honours the umask; make sure of 0700 on the dir we made.
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	return nil
}

// lock takes the flock on the lock file, polling until LockTimeout.
func (s *Store) lock(exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(s.dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state dir: %w", err)
	}
	deadline := time.Now().Add(LockTimeout)
	for {
		ok, err := tryLock(f, exclusive)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock state dir %s: %w", s.dir, err)
		}
		if ok {
			return func() { unlockFile(f); f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w: %s", ErrLocked, s.dir)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Store) read() (*State, error) {
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state file %s is damaged (delete it to start afresh): %w", s.Path(), err)
	}
	return &st, nil
}

// write replaces the state file atomically: a temporary file in the same
// dir, fsync, rename over the old file, fsync of the dir.
func (s *Store) write(st *State) error {
	st.Version = FormatVersion
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	f, err := os.CreateTemp(s.dir, ".state-*.tmp")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, s.Path()); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return syncDir(s.dir)
}
