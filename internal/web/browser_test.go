package web_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
)

// This file drives a real headless Chromium through the DevTools protocol
// over --remote-debugging-pipe: JSON messages ended by a NUL byte, which
// Chromium reads on its fd 3 and writes on its fd 4. The pipe needs no
// websocket, so the test needs no dependency.

// chromiumNames are the names Chromium goes by on PATH.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// findChromium returns Chromium's path, or skips the test.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: apt-get install chromium")
	return ""
}

// browser is a headless Chromium with one page attached.
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	conn    *cdpConn
	session string // the page's DevTools session

	mu       sync.Mutex
	problems []string // exceptions, console errors and CSP reports of the page
}

// startBrowser starts Chromium with a window of width×height on a blank
// page, attached over the DevTools pipe. It is stopped when the test ends.
func startBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	bin := findChromium(t)
	toChrome, ourEnd, err := os.Pipe() // Chromium reads its fd 3
	if err != nil {
		t.Fatal(err)
	}
	ourRead, fromChrome, err := os.Pipe() // Chromium writes its fd 4
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir="+t.TempDir(),
		fmt.Sprintf("--window-size=%d,%d", width, height),
		"--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome}
	cmd.Env = append(os.Environ(), "TZ=UTC", "LANG=en_US.UTF-8")
	var stderr tail
	cmd.Stderr = &stderr
	cmd.SysProcAttr = childproc.Attr(syscall.SIGKILL)
	sp := childproc.NewSpawner()
	err = sp.Start(cmd)
	toChrome.Close()
	fromChrome.Close()
	if err != nil {
		sp.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	b := &browser{t: t, cmd: cmd}
	b.conn = newCDPConn(ourEnd, ourRead, b.onEvent)
	t.Cleanup(func() {
		b.stop()
		sp.Close()
		ourEnd.Close()
		ourRead.Close()
		if t.Failed() {
			t.Logf("chromium's last output:\n%s", stderr.String())
		}
	})
	b.attach()
	return b
}

// attach finds the blank page Chromium opened and attaches to it.
func (b *browser) attach() {
	b.t.Helper()
	var targets struct {
		TargetInfos []struct {
			TargetID string `json:"targetId"`
			Type     string `json:"type"`
		} `json:"targetInfos"`
	}
	b.call("", "Target.getTargets", nil, &targets)
	var id string
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			id = ti.TargetID
		}
	}
	if id == "" {
		var created struct {
			TargetID string `json:"targetId"`
		}
		b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &created)
		id = created.TargetID
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.call("", "Target.attachToTarget", map[string]any{"targetId": id, "flatten": true}, &att)
	b.session = att.SessionID
	for _, domain := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		b.call(b.session, domain, nil, nil)
	}
}

// stop closes the browser, and kills its process group if it lingers.
func (b *browser) stop() {
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.conn.call(ctx, "", "Browser.close", nil, nil)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) // its renderers and zygotes too
	<-done
}

// onEvent keeps what the page reports as going wrong.
func (b *browser) onEvent(method string, params json.RawMessage) {
	var p struct {
		ExceptionDetails struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
		Type  string                `json:"type"`
		Args  []struct{ Value any } `json:"args"`
		Entry struct {
			Source string `json:"source"`
			Level  string `json:"level"`
			Text   string `json:"text"`
			URL    string `json:"url"`
		} `json:"entry"`
	}
	json.Unmarshal(params, &p)
	var problem string
	switch {
	case method == "Runtime.exceptionThrown":
		problem = "exception: " + p.ExceptionDetails.Text + " " + p.ExceptionDetails.Exception.Description
	case method == "Runtime.consoleAPICalled" && (p.Type == "error" || p.Type == "warning"):
		problem = fmt.Sprintf("console.%s: %v", p.Type, p.Args)
	case method == "Log.entryAdded" && p.Entry.Level == "error" && p.Entry.Source != "network":
		// A refused request (the remove with a wrong token) is logged
		// by the network source; the page shows those itself.
		problem = "log: " + p.Entry.Text + " " + p.Entry.URL
	}
	if problem != "" {
		b.mu.Lock()
		b.problems = append(b.problems, problem)
		b.mu.Unlock()
	}
}

// pageProblems returns the page's errors so far.
func (b *browser) pageProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// call sends one command and decodes its result into result, failing the
// test on an error.
func (b *browser) call(session, method string, params, result any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.conn.call(ctx, session, method, params, result); err != nil {
		b.t.Fatalf("devtools %s: %v", method, err)
	}
}

// navigate loads url in the page and waits for its load event.
func (b *browser) navigate(url string) {
	b.t.Helper()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	b.call(b.session, "Page.navigate", map[string]any{"url": url}, &nav)
	if nav.ErrorText != "" {
		b.t.Fatalf("navigate to %s: %s", url, nav.ErrorText)
	}
	b.waitFor("the page loaded", `document.readyState === "complete"`)
}

// eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	if err := b.evalErr(expr, out); err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
}

func (b *browser) evalErr(expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	err := b.conn.call(ctx, b.session, "Runtime.evaluate",
		map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("%s %s", e.Text, e.Exception.Description)
	}
	if out != nil {
		return json.Unmarshal(res.Result.Value, out)
	}
	return nil
}

// waitFor waits until the JavaScript condition cond holds in the page. The
// page watches itself: a MutationObserver checks cond on every change of
// the DOM, so the wait ends on the change, not on a polling tick; the
// timeout bounds it.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	const timeout = 30 * time.Second
	expr := fmt.Sprintf(`new Promise((resolve) => {
		const check = () => { try { return !!(%s); } catch (e) { return false; } };
		if (check()) { resolve(true); return; }
		const obs = new MutationObserver(() => { if (check()) { obs.disconnect(); resolve(true); } });
		obs.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
		setTimeout(() => { obs.disconnect(); resolve(check()); }, %d);
	})`, cond, timeout.Milliseconds())
	var ok bool
	// A navigation (a clicked link) ends the document the wait runs in:
	// it is then asked again of the new one, within the same time bound.
	for deadline := time.Now().Add(timeout); ; {
		err := b.evalErr(expr, &ok)
		if err == nil {
			break
		}
		if !navigatedAway(err) || time.Now().After(deadline) {
			b.t.Fatalf("wait for %s: %v", what, err)
		}
	}
	if !ok {
		var html string
		b.evalErr(`document.body ? document.body.outerHTML : ""`, &html)
		b.t.Fatalf("waited %v for %s (%s); page problems: %q\nDOM:\n%s", timeout, what, cond, b.pageProblems(), html)
	}
}

// navigatedAway reports whether an evaluation failed because the page
// left the document it ran in.
func navigatedAway(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "navigated or closed") || strings.Contains(msg, "Execution context was destroyed")
}

// screenshot writes a PNG of the page's window to path.
func (b *browser) screenshot(path string) {
	b.t.Helper()
	var shot struct {
		Data string `json:"data"`
	}
	b.call(b.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// cdpConn is one DevTools protocol connection: commands with ids, their
// replies, and events, over a pipe.
type cdpConn struct {
	w       io.Writer
	onEvent func(method string, params json.RawMessage)

	mu      sync.Mutex
	next    int64
	pending map[int64]chan cdpMessage
	err     error // set once the pipe from Chromium ended
}

type cdpMessage struct {
	ID        int64           `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func newCDPConn(w io.Writer, r io.Reader, onEvent func(string, json.RawMessage)) *cdpConn {
	c := &cdpConn{w: w, onEvent: onEvent, pending: map[int64]chan cdpMessage{}}
	go c.read(r)
	return c
}

// read hands each reply to its caller and each event to onEvent, until the
// pipe ends.
func (c *cdpConn) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes(0)
		if err != nil {
			c.mu.Lock()
			c.err = fmt.Errorf("chromium closed the devtools pipe: %w", err)
			for id, ch := range c.pending {
				close(ch)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		var m cdpMessage
		if json.Unmarshal(line[:len(line)-1], &m) != nil {
			continue
		}
		if m.ID == 0 {
			c.onEvent(m.Method, m.Params)
			continue
		}
		c.mu.Lock()
		ch := c.pending[m.ID]
		delete(c.pending, m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends method with params in session ("" for the browser) and
// decodes the reply's result into result.
func (c *cdpConn) call(ctx context.Context, session, method string, params, result any) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.next++
	id := c.next
	ch := make(chan cdpMessage, 1)
	c.pending[id] = ch
	c.mu.Unlock()

	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return fmt.Errorf("write to chromium: %w", err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return c.err
		}
		if m.Error != nil {
			return fmt.Errorf("%s (%d)", m.Error.Message, m.Error.Code)
		}
		if result != nil && len(m.Result) > 0 {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("no reply to %s", method), ctx.Err())
	}
}

// tail keeps the last 16 KB written to it: a failing test shows the end of
// Chromium's chatter.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - 16<<10; over > 0 {
		w.buf = w.buf[over:]
	}
	return len(p), nil
}

func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.ToValidUTF8(string(w.buf), "?")
}
