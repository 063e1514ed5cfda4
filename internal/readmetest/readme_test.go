//go:build unix

package readmetest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/buildcmd"
	"github.com/floatlic/floatlic/internal/childproc"
)

// commandTimeout bounds each README command; the longest today holds a
// license for 2 s.
const commandTimeout = 30 * time.Second

// TestREADME runs the README's console blocks (see the package doc). A
// failure names the block's line and shows, for each command that printed
// otherwise, the diff of the README's lines (-) and the printed ones (+),
// both normalized.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands and runs the README")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash to run the README's commands in")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := Parse(string(text))
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(t, root)
	for _, b := range blocks {
		name := fmt.Sprintf("README.md:%d", b.Line)
		if b.Note.Skip != "" {
			t.Logf("%s: not run: %s", name, b.Note.Skip)
			continue
		}
		t.Run(name, func(t *testing.T) { r.block(t, b) })
		if r.dead {
			t.Fatalf("%s left the shell or the demo server unusable; the blocks after it were not run", name)
		}
	}
}

// run is the state shared by the blocks: the shell and the demo server.
type run struct {
	t       *testing.T
	root    string
	bin     string
	tmp     string
	sp      *childproc.Spawner
	sh      *Shell
	local   Local
	demoPub string
	dead    bool // a command hung or a setup failed: stop
}

func newRun(t *testing.T, root string) *run {
	base := t.TempDir()
	r := &run{t: t, root: root, bin: filepath.Join(base, "bin"), tmp: filepath.Join(base, "tmp")}
	work, home := filepath.Join(base, "work"), filepath.Join(base, "home")
	for _, d := range []string{r.bin, r.tmp, work, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "testdata"), filepath.Join(work, "testdata")); err != nil {
		t.Fatal(err)
	}
	if err := buildcmd.Commands(r.bin, "licgen", "licd", "licstat", "licborrow"); err != nil {
		t.Fatalf("build the commands: %v", err)
	}
	r.local.User, r.local.Host = whoami(t)
	r.sp = childproc.NewSpawner()
	t.Cleanup(r.sp.Close)
	sh, err := StartShell(r.sp, work, r.env(home))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sh.Close)
	r.sh = sh
	return r
}

// env is the test's environment without the floatlic variables a
// developer may have set, with the commands first on the PATH and the
// user's files in the test's own directory.
func (r *run) env(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "LIC_SERVER", "LIC_STATE_DIR", "LIC_VENDOR_PUB", "HOME", "TMPDIR", "XDG_CONFIG_HOME", "PATH",
			"GOCACHE", "GOMODCACHE", "GOPATH":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+r.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "TMPDIR="+r.tmp, "NO_COLOR=1")
	// Go's caches stay where they were, so a `go` command in a block does
	// not start cold in the new HOME.
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if vals := strings.Split(strings.TrimSpace(string(out)), "\n"); err == nil && len(vals) == 3 {
		env = append(env, "GOCACHE="+vals[0], "GOMODCACHE="+vals[1], "GOPATH="+vals[2])
	}
	return env
}

func whoami(t *testing.T) (string, string) {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username, host
}

var vendorPubArg = regexp.MustCompile(`LIC_VENDOR_PUB=[A-Za-z0-9+/]{43}=`)

// block runs one block and compares each command's output.
func (r *run) block(t *testing.T, b Block) {
	local := Local{User: r.local.User, Host: r.local.Host}
	if b.Note.Server == "demo" {
		r.startDemo(t)
		local.Addr = r.local.Addr
	}
	for _, line := range b.Note.Setup {
		r.hidden(t, "setup", line)
	}
	for _, c := range b.Commands {
		cmd := c.Text
		if local.Addr != "" {
			cmd = strings.ReplaceAll(cmd, DemoAddr, local.Addr)
			cmd = vendorPubArg.ReplaceAllString(cmd, "LIC_VENDOR_PUB="+r.demoPub)
		}
		out, _, err := r.sh.Run(cmd, commandTimeout)
		if err != nil {
			r.dead = true
			t.Fatalf("README.md:%d: $ %s: %v; printed:\n%s", c.Line, c.Text, err, out)
		}
		want, got := normalizeAll(c.Want, nil), normalizeAll(outLines(out), &local)
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("README.md:%d: $ %s\nprints otherwise (- README, + printed, after normalizing):\n%s",
				c.Line, c.Text, Diff(want, got))
		}
	}
	for _, line := range b.Note.Cleanup {
		r.hidden(t, "cleanup", line)
	}
}

// hidden runs an annotation's setup or cleanup line, which must succeed.
func (r *run) hidden(t *testing.T, what, line string) {
	out, code, err := r.sh.Run(line, commandTimeout)
	if err != nil || code != 0 {
		r.dead = true
		t.Fatalf("%s %q: exit %d, %v; printed:\n%s", what, line, code, err, out)
	}
}

func outLines(out string) []string {
	if out == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

func normalizeAll(lines []string, local *Local) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = Normalize(l, local)
	}
	return out
}

// startDemo starts `licd demo` on a free port, once, and tells the shell
// where it is.
func (r *run) startDemo(t *testing.T) {
	if r.local.Addr != "" {
		return
	}
	cmd := exec.Command(filepath.Join(r.bin, "licd"), "demo", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "TMPDIR="+r.tmp)
	cmd.SysProcAttr = childproc.Attr(syscall.SIGKILL)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := r.sp.Start(cmd); err != nil {
		r.dead = true
		t.Fatal(err)
	}
	r.t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // the demo deletes its files
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	banner := make(chan demoBanner, 1)
	go readBanner(stdout, banner)
	select {
	case d := <-banner:
		if d.addr == "" || d.pub == "" || d.dir == "" {
			r.dead = true
			t.Fatalf("licd demo printed no address, vendor key or directory; stderr:\n%s", stderr.String())
		}
		r.local.Addr, r.demoPub = d.addr, d.pub
		r.hidden(t, "start demo", fmt.Sprintf("export READMETEST_ADDR=%s READMETEST_DEMO_DIR=%s", d.addr, d.dir))
	case <-time.After(30 * time.Second):
		r.dead = true
		t.Fatalf("licd demo did not print its banner in 30s; stderr:\n%s", stderr.String())
	}
}

type demoBanner struct{ addr, pub, dir string }

// readBanner reads licd demo's banner up to its last line, then drains
// the rest.
func readBanner(stdout interface{ Read([]byte) (int, error) }, c chan<- demoBanner) {
	var d demoBanner
	sc := bufio.NewScanner(stdout)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		if a, ok := strings.CutPrefix(line, "listening on http://"); ok {
			d.addr = a
		}
		if _, dir, ok := strings.Cut(line, "license in "); ok && d.dir == "" {
			d.dir = dir
		}
		if m := vendorPubArg.FindString(line); m != "" {
			d.pub = strings.TrimPrefix(m, "LIC_VENDOR_PUB=")
		}
		if strings.HasPrefix(line, "Ctrl-C stops") && !sent {
			c <- d
			sent = true
		}
	}
	if !sent {
		c <- d
	}
}
