package clientstate

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// helperEnv makes the test binary act as a second process that bumps the
// borrow counter (see TestMain and TestUpdateAcrossProcesses).
const helperEnv = "CLIENTSTATE_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		n, _ := strconv.Atoi(os.Getenv("CLIENTSTATE_TEST_HELPER_N"))
		if err := bump(dir, n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// bump increments a counter kept in the state n times, one Update each.
func bump(dir string, n int) error {
	s, err := Open(dir)
	if err != nil {
		return err
	}
	for range n {
		err := s.Update(func(st *State) error {
			st.LastSeen = st.LastSeen.Add(time.Second)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func TestOpenDefaultDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvStateDir, dir)
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir() != dir {
		t.Errorf("Dir() = %s, want %s from %s", s.Dir(), dir, EnvStateDir)
	}
	t.Setenv(EnvStateDir, "")
	d, err := DefaultDir()
	if err != nil {
		t.Skipf("no user config dir here: %v", err)
	}
	if filepath.Base(d) != "floatlic" {
		t.Errorf("DefaultDir() = %s, want .../floatlic", d)
	}
}

func TestViewOfMissingDir(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "nope"))
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(func(st *State) error {
		if len(st.Graces)+len(st.Borrows) != 0 || !st.LastSeen.IsZero() {
			t.Errorf("state of a missing dir = %+v, want empty", st)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("View created the dir: %v", err)
	}
}

func TestUpdateWritesPrivateFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	s, err := Open(filepath.Join(t.TempDir(), "a", "floatlic"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.Update(func(st *State) error { _, err := st.Observe(now); return err }); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{s.Dir(): 0o700, s.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %o, want %o", filepath.Base(path), got, want)
		}
	}
	var st State
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Version != FormatVersion || !st.LastSeen.Equal(now) {
		t.Errorf("file = %+v, want version %d and last_seen %s", st, FormatVersion, now)
	}
	entries, _ := os.ReadDir(s.Dir())
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".tmp" {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Errorf(wire.CodeBadRequest, "no")
	err = s.Update(func(st *State) error {
		st.LastSeen = time.Now()
		return want
	})
	if err != want {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Errorf("state file written after an error: %v", err)
	}
}

func TestDamagedFile(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = s.View(func(*State) error { return nil })
	if err == nil {
		t.Fatal("View of a damaged file succeeded")
	}
}

func TestUpdateConcurrentGoroutines(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 20
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			if err := bump(s.Dir(), each); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	assertBumps(t, s, workers*each)
}

// TestUpdateAcrossProcesses runs several processes against one dir at once:
// without the flock some increments would be lost.
func TestUpdateAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	const procs, each = 4, 25
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir, "CLIENTSTATE_TEST_HELPER_N="+strconv.Itoa(each))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper process: %v", err)
		}
	}
	s, _ := Open(dir)
	assertBumps(t, s, procs*each)
}

func assertBumps(t *testing.T, s *Store, n int) {
	t.Helper()
	err := s.View(func(st *State) error {
		if got := st.LastSeen.Sub(time.Time{}); got != time.Duration(n)*time.Second {
			t.Errorf("counter = %v, want %ds: updates were lost", got, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestClockWindback(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		now     time.Time
		wantErr bool
	}{
		{"later", now.Add(time.Hour), false},
		{"same", now, false},
		{"small step back", now.Add(-4 * time.Minute), false},
		{"just inside", now.Add(-Windback), false},
		{"set back", now.Add(-6 * time.Minute), true},
		{"a day back", now.Add(-24 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &State{LastSeen: now}
			_, err := st.Observe(tt.now)
			if tt.wantErr {
				var we *wire.Error
				if e, ok := err.(*wire.Error); ok {
					we = e
				}
				if we == nil || we.Code != wire.CodeClockWindback {
					t.Fatalf("Observe(%s) = %v, want clock_windback", tt.now, err)
				}
				if !st.LastSeen.Equal(now) {
					t.Errorf("LastSeen moved to %s on a windback", st.LastSeen)
				}
				return
			}
			if err != nil {
				t.Fatalf("Observe(%s) = %v", tt.now, err)
			}
			want := now
			if tt.now.After(now.Add(ObserveStep)) {
				want = tt.now
			}
			if !st.LastSeen.Equal(want) {
				t.Errorf("LastSeen = %s, want %s", st.LastSeen, want)
			}
		})
	}
}

func TestUpdateUnchangedWritesNothing(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(st *State) error {
		st.LastSeen = time.Now()
		return ErrUnchanged
	})
	if err != nil {
		t.Fatalf("Update = %v, want nil for ErrUnchanged", err)
	}
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Errorf("state file written for an unchanged state: %v", err)
	}
}
