//go:build unix

package readmetest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
)

// Shell is one bash process that runs command lines in turn, so that the
// directory, variables and background jobs of one line are there for the
// next, as in a terminal.
type Shell struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	chunks chan []byte
	buf    []byte
}

// marker ends the output of each line the shell runs, with its exit code.
var marker = regexp.MustCompile(`@@readme-test-done (\d+)@@\n`)

// StartShell starts bash in dir with env, through sp so that it dies with
// the test.
func StartShell(sp *childproc.Spawner, dir string, env []string) (*Shell, error) {
	cmd := exec.Command("bash", "--noprofile", "--norc")
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = childproc.Attr(syscall.SIGKILL)
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w // one stream, in the order written, as a terminal shows it
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := sp.Start(cmd); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("start bash: %w", err)
	}
	w.Close()
	s := &Shell{cmd: cmd, stdin: stdin, chunks: make(chan []byte, 64)}
	go func() {
		defer close(s.chunks)
		defer r.Close()
		for {
			b := make([]byte, 4096)
			n, err := r.Read(b)
			if n > 0 {
				s.chunks <- b[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return s, nil
}

// Run runs line (which may span several lines) with stdin from /dev/null,
// and returns what it printed and its exit code. It gives up after
// timeout.
func (s *Shell) Run(line string, timeout time.Duration) (out string, code int, err error) {
	script := fmt.Sprintf("{ %s\n} </dev/null 2>&1\nprintf '@@readme-test-done %%d@@\\n' $?\n", line)
	if _, err := io.WriteString(s.stdin, script); err != nil {
		return "", 0, fmt.Errorf("write to bash: %w", err)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if m := marker.FindSubmatchIndex(s.buf); m != nil {
			out = string(s.buf[:m[0]])
			code, _ = strconv.Atoi(string(s.buf[m[2]:m[3]]))
			s.buf = s.buf[m[1]:]
			return out, code, nil
		}
		select {
		case b, ok := <-s.chunks:
			if !ok {
				return string(s.buf), 0, errors.New("bash exited")
			}
			s.buf = append(s.buf, b...)
		case <-deadline.C:
			return string(s.buf), 0, fmt.Errorf("no end after %v", timeout)
		}
	}
}

// Close kills the shell and every process it started (they share its
// process group), and waits for the shell.
func (s *Shell) Close() {
	s.stdin.Close()
	if s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
	_ = s.cmd.Wait()
}
