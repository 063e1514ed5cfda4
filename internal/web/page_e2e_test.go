package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/buildcmd"
	"github.com/floatlic/floatlic/internal/childproc"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

var (
	screenshotPath = flag.String("screenshot", "", "TestScreenshot writes the page, against a demo licd with a few checkouts, to this PNG `file` (e.g. ../../docs/web.png)")
	screenshotDark = flag.Bool("dark", false, "TestScreenshot shows the page in its dark colours")
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// licdBinary builds licd once for the tests that need it.
func licdBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and starts licd and a browser")
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "web-e2e-"); buildErr != nil {
			return
		}
		buildErr = buildcmd.Commands(binDir, "licd")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "licd")
}

// site is a running licd serving the demo license.
type site struct {
	addr  string
	files demo.Files
	extra []string // flags given after the demo's
	stop  func()   // stops licd (SIGTERM) and waits for it to exit
}

// startLicd runs `licd serve` on a fresh demo license on a free loopback
// port, with the extra flags.
func startLicd(t *testing.T, extra ...string) *site {
	t.Helper()
	files, err := demo.Setup(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return serveLicd(t, files, "127.0.0.1:0", extra...)
}

// serveLicd runs `licd serve` on files' license and data dir, listening on
// listen, with the extra flags.
func serveLicd(t *testing.T, files demo.Files, listen string, extra ...string) *site {
	t.Helper()
	addr, stop := runLicd(t, append([]string{"serve", "--license", files.License, "--vendor-pub", files.VendorPub,
		"--data", files.DataDir, "--admin-token-file", files.AdminToken, "--listen", listen}, extra...)...)
	return &site{addr: addr, files: files, extra: extra, stop: stop}
}

// runLicd runs licd with args until the test ends, and returns the address
// it says it listens on and a func that stops it.
func runLicd(t *testing.T, args ...string) (addr string, stop func()) {
	t.Helper()
	cmd := exec.Command(licdBinary(t), args...)
	cmd.SysProcAttr = childproc.Attr(syscall.SIGKILL)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr tail
	cmd.Stderr = &stderr
	sp := childproc.NewSpawner()
	if err := sp.Start(cmd); err != nil {
		sp.Close()
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			sp.Close()
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("licd %s, its last output:\n%s", strings.Join(args, " "), stderr.String())
		}
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`^listening on http://(\S+)$`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
	}()
	select {
	case addr = <-addrc:
		return addr, stop
	case <-time.After(30 * time.Second):
		t.Fatalf("licd %s did not say where it listens:\n%s", strings.Join(args, " "), stderr.String())
		return "", nil
	}
}

// checkout checks feature out as user@host with a client of its own,
// checked in when the test ends.
func (s *site) checkout(t *testing.T, user, host, feature string) *licenses.License {
	t.Helper()
	c := s.client(t, user, host)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := c.Checkout(ctx, feature, "")
	if err != nil {
		t.Fatalf("checkout %s for %s@%s: %v", feature, user, host, err)
	}
	return l
}

func (s *site) client(t *testing.T, user, host string) *licenses.Client {
	t.Helper()
	vendor, err := os.ReadFile(s.files.VendorPub)
	if err != nil {
		t.Fatal(err)
	}
	key, err := licenses.ParseVendorKey(string(vendor))
	if err != nil {
		t.Fatal(err)
	}
	c, err := licenses.New(licenses.Options{Servers: []string{s.addr}, User: user, Host: host,
		StateDir: t.TempDir(), VendorKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.Close(ctx)
	})
	return c
}

// status reads the server's status.
func (s *site) status(t *testing.T) wire.Status {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + wire.PathStatus)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st wire.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// pageRows is what the page shows in its tables, read from the DOM.
type pageRows struct {
	Features  map[string]string `json:"features"`  // name: "used/count"
	Checkouts []string          `json:"checkouts"` // "feature user@host"
	Seq       int64             `json:"seq"`
	State     string            `json:"state"`
}

const readRows = `(() => ({
	features: Object.fromEntries([...document.querySelectorAll('#features tbody tr[data-feature]')]
		.map((tr) => [tr.dataset.feature, tr.querySelector('.ratio').textContent])),
	checkouts: [...document.querySelectorAll('#checkouts tbody tr[data-id]')]
		.map((tr) => tr.cells[0].textContent + ' ' + tr.cells[1].textContent + '@' + tr.cells[2].textContent),
	seq: Number(document.body.dataset.seq),
	state: document.body.dataset.state,
}))()`

// TestPageInBrowser loads the page from a real licd in headless Chromium
// and checks what its script draws: the features and the checkouts made
// before it loaded; a checkout made after it loaded, which reaches the page
// only as an event on the stream (listed under its sequence number) and the
// status refetch the event starts; and the remove button, refused with a
// wrong admin token (the page shows the server's error) and done with the
// right one.
func TestPageInBrowser(t *testing.T) {
	findChromium(t) // skip before building and starting licd
	options, err := filepath.Abs(filepath.Join("testdata", "site.opt"))
	if err != nil {
		t.Fatal(err)
	}
	s := startLicd(t, "--options", options)
	s.checkout(t, "ann", "ws-ann", "cad_pro")
	s.checkout(t, "carol", "hpc-7", "solver")
	b := startBrowser(t, 1280, 900)
	b.navigate("http://" + s.addr + "/")

	b.waitFor("the page to show the checkouts", `document.body.dataset.state === "live" &&
		document.querySelectorAll('#checkouts tbody tr[data-id]').length === 2`)
	var before pageRows
	b.eval(readRows, &before)
	wantFeatures := map[string]string{"cad_pro": "1/5", "cad_view": "0/20", "solver": "1/2"}
	if fmt.Sprint(before.Features) != fmt.Sprint(wantFeatures) {
		t.Errorf("features shown %v, want %v", before.Features, wantFeatures)
	}
	if got, want := strings.Join(before.Checkouts, ", "), "cad_pro ann@ws-ann, solver carol@hpc-7"; got != want {
		t.Errorf("checkouts shown %q, want %q", got, want)
	}
	if before.Seq == 0 {
		t.Errorf("the page saw no event of the replay (data-seq 0)")
	}
	var head string
	b.eval(`document.querySelector('#server').textContent`, &head)
	if want := "options: " + options + ", 1 rule"; !strings.Contains(head, want) {
		t.Errorf("the page's head reads %q, want it to name %q", head, want)
	}

	outer := t
	t.Run("a checkout made after the page loaded arrives by the event stream", func(t *testing.T) {
		s.checkout(outer, "bob", "ws-bob", "cad_pro") // held until the test ends
		b.waitFor("the grant event of bob's checkout", fmt.Sprintf(
			`[...document.querySelectorAll('#events li[data-kind="grant"]')].some((li) =>
				Number(li.dataset.seq) > %d && li.textContent.includes("bob@ws-bob"))`, before.Seq))
		b.waitFor("bob's checkout in the table", `document.querySelector('#checkouts tr[data-user="bob"]')`)
		var after pageRows
		b.eval(readRows, &after)
		if after.Features["cad_pro"] != "2/5" || len(after.Checkouts) != 3 || after.Seq <= before.Seq {
			t.Errorf("after bob's checkout the page shows %+v", after)
		}
	})

	t.Run("remove refused with a wrong token, then done", func(t *testing.T) {
		var bob string
		for _, co := range s.status(t).Checkouts {
			if co.User == "bob" {
				bob = co.ID
			}
		}
		b.eval(fmt.Sprintf(`document.querySelector('button[data-remove=%q]').click()`, bob), nil)
		b.waitFor("the remove dialog", `document.querySelector('#remove').open && !document.querySelector('#token-row').hidden`)
		b.eval(`document.querySelector('#token').value = "not-the-token";
			document.querySelector('#remove-form').requestSubmit()`, nil)
		b.waitFor("the server's refusal", `!document.querySelector('#remove-error').hidden`)
		var shown string
		b.eval(`document.querySelector('#remove-error').textContent`, &shown)
		if !strings.HasPrefix(shown, "unauthorized: ") || !strings.Contains(shown, "admin token") {
			t.Errorf("after a wrong token the dialog shows %q, want the server's unauthorized error", shown)
		}
		b.eval(fmt.Sprintf(`document.querySelector('#token').value = %q;
			document.querySelector('#remove-form').requestSubmit()`, s.files.Token), nil)
		b.waitFor("bob's checkout gone from the page", `!document.querySelector('#remove').open &&
			!document.querySelector('#checkouts tr[data-user="bob"]') &&
			document.querySelector('#toast').textContent === "Removed cad_pro of bob@ws-bob."`)
		for _, co := range s.status(t).Checkouts {
			if co.User == "bob" {
				t.Errorf("the server still has bob's checkout %s", co.ID)
			}
		}
		var kept bool
		b.eval(`!document.querySelector('#forget').hidden && sessionStorage.getItem("floatlic.adminToken") !== null`, &kept)
		if !kept {
			t.Errorf("the accepted token is not kept in sessionStorage")
		}
	})

	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the page reported problems (script errors or CSP violations): %q", p)
	}

	var again *site // licd started again on the same data dir
	t.Run("the page says when the server goes away, and follows it again when it is back", func(t *testing.T) {
		s.stop()
		b.waitFor("the page to say the server is down", `document.body.dataset.state === "down" &&
			!document.querySelector('#down').hidden &&
			document.querySelector('#down').textContent.startsWith("Cannot reach the server")`)
		var kept int
		b.eval(`document.querySelectorAll('#checkouts tbody tr[data-id]').length`, &kept)
		if kept != 2 {
			t.Errorf("with the server down the page shows %d checkouts, want the last 2 it saw", kept)
		}
		again = serveLicd(outer, s.files, s.addr, s.extra...) // the same data dir: the checkouts are kept
		again.checkout(outer, "dora", "ws-dora", "cad_view")
		b.waitFor("the page live again, with dora's checkout", `document.body.dataset.state === "live" &&
			document.querySelector('#down').hidden &&
			document.querySelector('#checkouts tr[data-user="dora"]') &&
			[...document.querySelectorAll('#events li[data-kind="grant"]')].some((li) => li.textContent.includes("dora@ws-dora"))`)
	})

	t.Run("names with markup are shown as text", func(t *testing.T) {
		if again == nil {
			t.Skip("licd did not come back")
		}
		const user, host = `<img src=x onerror="window.pwned=1">`, `<b>ws</b>`
		again.checkout(outer, user, host, "cad_view")
		b.waitFor("the checkout of the user with markup", fmt.Sprintf(
			`[...document.querySelectorAll('#checkouts tr[data-id]')].some((tr) => tr.dataset.user === %q)`, user))
		var shown struct {
			User, Host, Event string
			Elements          int
			Pwned             bool
		}
		b.eval(fmt.Sprintf(`(() => {
			const tr = [...document.querySelectorAll('#checkouts tr[data-id]')].find((tr) => tr.dataset.user === %q);
			const li = document.querySelector('#events li[data-kind="grant"]');
			return {user: tr.cells[1].textContent, host: tr.cells[2].textContent, event: li.textContent,
				elements: tr.cells[1].children.length + tr.cells[2].children.length + document.querySelectorAll('main img').length,
				pwned: window.pwned === 1};
		})()`, user), &shown)
		if shown.User != user || shown.Host != host || !strings.Contains(shown.Event, user+"@"+host) || shown.Elements != 0 || shown.Pwned {
			t.Errorf("a user %q on host %q is shown as %+v, want the text as it is and no element made of it", user, host, shown)
		}
	})

	t.Run("the CSP refuses inline scripts and other origins", func(t *testing.T) {
		var refused []string
		b.eval(`new Promise((resolve) => {
			const seen = [];
			document.addEventListener('securitypolicyviolation', (e) => {
				seen.push(e.effectiveDirective);
				if (seen.length === 3) resolve(seen.sort());
			});
			const s = document.createElement('script');
			s.textContent = 'window.injected = true';
			document.head.append(s);
			const img = document.createElement('img');
			img.src = 'http://192.0.2.1/x.png';
			document.body.append(img);
			fetch('http://192.0.2.1/v1/status').catch(() => {});
		})`, &refused)
		if got := strings.Join(refused, " "); got != "connect-src img-src script-src-elem" {
			t.Errorf("the CSP refused %q, want connect-src img-src script-src-elem", got)
		}
		var injected bool
		b.eval(`window.injected === true`, &injected)
		if injected {
			t.Errorf("an inline script ran")
		}
	})
}

// waited is how a CheckoutWait ended.
type waited struct {
	license *licenses.License
	err     error
}

// checkoutWait checks feature out as user@host with a client of its own,
// waiting in the feature's queue while no license is free, in a goroutine:
// the channel tells how the wait ended.
func (s *site) checkoutWait(ctx context.Context, t *testing.T, user, host, feature string) <-chan waited {
	t.Helper()
	c := s.client(t, user, host)
	done := make(chan waited, 1)
	go func() {
		l, err := c.CheckoutWait(ctx, feature, "", nil)
		done <- waited{l, err}
	}()
	return done
}

// granted waits for a queued checkout to be granted.
func granted(t *testing.T, who string, done <-chan waited) *licenses.License {
	t.Helper()
	select {
	case w := <-done:
		if w.err != nil {
			t.Fatalf("%s's queued checkout: %v", who, w.err)
		}
		return w.license
	case <-time.After(30 * time.Second):
		t.Fatalf("%s's queued checkout was not granted in 30 s", who)
		return nil
	}
}

// readQueue is the rows of the page's Queue card, cell texts joined by |.
const readQueue = `[...document.querySelectorAll('#queue tbody tr[data-user]')]
	.map((tr) => [...tr.cells].map((td) => td.textContent).join('|'))`

// TestPageShowsTheQueue fills solver's pool (COUNT 2), queues two more
// checkouts with CheckoutWait and checks the page's Queue card: empty
// before, then the two requests in their order with their positions, then
// each leaving the card as a check-in frees a license and licd grants the
// head of the queue.
func TestPageShowsTheQueue(t *testing.T) {
	findChromium(t) // skip before building and starting licd
	s := startLicd(t)
	ann := s.checkout(t, "ann", "ws-ann", "solver")
	bob := s.checkout(t, "bob", "ws-bob", "solver")
	b := startBrowser(t, 1280, 900)
	b.navigate("http://" + s.addr + "/")
	b.waitFor("the page live with an empty queue", `document.body.dataset.state === "live" &&
		document.querySelectorAll('#checkouts tbody tr[data-id]').length === 2 &&
		document.querySelector('#queue tbody td.empty').textContent === "No checkout waits." &&
		document.querySelector('#queue .count').textContent === ""`)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	frank := s.checkoutWait(ctx, t, "frank", "ws-frank", "solver")
	// gina queues once frank's request is in, so that she is behind him.
	b.waitFor("frank's request in the queue", `document.querySelector('#queue tr[data-user="frank"]')`)
	gina := s.checkoutWait(ctx, t, "gina", "ws-gina", "solver")
	b.waitFor("gina's request in the queue", `document.querySelector('#queue tr[data-user="gina"]') &&
		document.querySelector('#queue .count').textContent === "2"`)
	var rows []string
	b.eval(readQueue, &rows)
	want := regexp.MustCompile(`^solver\|1 of 2\|frank\|ws-frank\|1\|\d+s ago, solver\|2 of 2\|gina\|ws-gina\|1\|\d+s ago$`)
	if got := strings.Join(rows, ", "); !want.MatchString(got) {
		t.Errorf("the queue card shows %q, want frank 1 of 2 then gina 2 of 2", got)
	}
	b.waitFor("the queue event of frank's request", `[...document.querySelectorAll('#events li[data-kind="queue"]')]
		.some((li) => li.textContent.includes("frank@ws-frank"))`)

	if err := ann.Checkin(ctx); err != nil {
		t.Fatalf("ann's checkin: %v", err)
	}
	granted(t, "frank", frank)
	b.waitFor("frank's request granted, gina next", `!document.querySelector('#queue tr[data-user="frank"]') &&
		document.querySelector('#checkouts tr[data-user="frank"]')`)
	b.eval(readQueue, &rows)
	if got := strings.Join(rows, ", "); !regexp.MustCompile(`^solver\|1 of 1\|gina\|ws-gina\|1\|\d+s ago$`).MatchString(got) {
		t.Errorf("after frank's grant the queue card shows %q, want gina 1 of 1", got)
	}

	if err := bob.Checkin(ctx); err != nil {
		t.Fatalf("bob's checkin: %v", err)
	}
	granted(t, "gina", gina)
	b.waitFor("the queue empty again", `!document.querySelector('#queue tr[data-user]') &&
		document.querySelector('#queue tbody td.empty') &&
		document.querySelector('#checkouts tr[data-user="gina"]')`)
	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the page reported problems (script errors or CSP violations): %q", p)
	}
}

// TestScreenshot writes docs/web.png: the page against the demo license
// with a few checkouts, a borrow and a denial. It runs only when asked:
//
//	go test ./internal/web -run TestScreenshot -screenshot ../../docs/web.png
func TestScreenshot(t *testing.T) {
	if *screenshotPath == "" {
		t.Skip("writes a screenshot only with -screenshot FILE")
	}
	findChromium(t)
	files, err := demo.Setup(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:6200" // licd demo's address, as in the README, when free
	if ln, err := net.Listen("tcp", listen); err != nil {
		listen = "127.0.0.1:0"
	} else {
		ln.Close()
	}
	s := serveLicd(t, files, listen)
	for _, c := range []struct{ user, host, feature string }{
		{"ann", "ws-ann", "cad_pro"},
		{"bob", "ws-bob", "cad_pro"},
		{"gina", "ws-gina", "cad_pro"},
		{"dave", "laptop-dave", "cad_view"},
		{"erin", "ws-erin", "cad_view"},
		{"ann", "ws-ann", "solver"},
		{"carol", "hpc-node-17", "solver"},
	} {
		s.checkout(t, c.user, c.host, c.feature)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client(t, "frank", "laptop-frank").Borrow(ctx, "cad_pro", "", 24); err != nil {
		t.Fatalf("borrow: %v", err)
	}
	if _, err := s.client(t, "hank", "ws-hank").Checkout(ctx, "solver", ""); err == nil {
		t.Fatal("a third solver checkout was granted: want a denial in the events")
	}
	b := startBrowser(t, 1280, 900)
	b.call(b.session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	if *screenshotDark {
		b.call(b.session, "Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": "dark"}}}, nil)
	}
	b.navigate("http://" + s.addr + "/")
	b.waitFor("the page to show the checkouts", `document.body.dataset.state === "live" &&
		document.querySelectorAll('#checkouts tbody tr[data-id]').length === 7 &&
		document.querySelectorAll('#borrows tbody tr[data-id]').length === 1`)
	b.screenshot(*screenshotPath)
	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the page reported problems: %q", p)
	}
}
