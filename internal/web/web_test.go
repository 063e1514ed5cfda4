package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/web"
	"github.com/floatlic/floatlic/internal/wire"
)

// get asks h for path, with an If-None-Match header when etag is set.
func get(t *testing.T, h http.Handler, path, etag string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestHandlerServesThePageAndItsFiles(t *testing.T) {
	h := web.Handler()
	for _, tc := range []struct {
		path, status, contentType, contains string
	}{
		{"/", "200", "text/html; charset=utf-8", `<script src="ui/app.js" defer></script>`},
		{"/ui/app.js", "200", "text/javascript; charset=utf-8", "'use strict';"},
		{"/ui/style.css", "200", "text/css; charset=utf-8", "prefers-color-scheme: dark"},
		{"/ui/icon.svg", "200", "image/svg+xml", "<svg"},
		{"/ui/nope.js", "404", "text/plain; charset=utf-8", "404 page not found"},
		{"/ui/", "404", "text/plain; charset=utf-8", "404 page not found"},
		{"/ui/index.html", "404", "text/plain; charset=utf-8", "404 page not found"}, // the page is only at /
		{"/index.html", "404", "text/plain; charset=utf-8", "404 page not found"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, h, tc.path, "")
			if got := resp.Status[:3]; got != tc.status {
				t.Errorf("status %s, want %s", resp.Status, tc.status)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if !strings.Contains(body, tc.contains) {
				t.Errorf("body does not hold %q:\n%.300s", tc.contains, body)
			}
			for k, want := range map[string]string{
				"Content-Security-Policy": web.CSP,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
		})
	}
}

// The CSP lets the page load only its own origin's files: nothing from a
// CDN, no inline script or style, no eval.
func TestCSPForbidsOtherOrigins(t *testing.T) {
	directives := map[string]string{}
	for _, d := range strings.Split(web.CSP, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src": "'none'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self'",
		"connect-src": "'self'", "base-uri": "'none'", "form-action": "'none'", "frame-ancestors": "'none'",
	} {
		if got := directives[name]; got != want {
			t.Errorf("CSP %s is %q, want %q", name, got, want)
		}
	}
	if strings.Contains(web.CSP, "unsafe") || strings.Contains(web.CSP, "http") || strings.Contains(web.CSP, "*") {
		t.Errorf("CSP %q allows more than its own origin", web.CSP)
	}
}

func TestETagRevalidates(t *testing.T) {
	h := web.Handler()
	for _, path := range []string{"/", "/ui/app.js"} {
		resp, _ := get(t, h, path, "")
		etag := resp.Header.Get("ETag")
		if etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s: ETag %q, Cache-Control %q: want an ETag and no-cache", path, etag, resp.Header.Get("Cache-Control"))
		}
		if again, _ := get(t, h, path, etag); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match %s: status %d, want 304", path, etag, again.StatusCode)
		}
	}
}

// Every file the page names is embedded, and the page names no file from
// another origin.
func TestPageNamesOnlyEmbeddedFiles(t *testing.T) {
	h := web.Handler()
	_, page := get(t, h, "/", "")
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("the page names %d files, want its script, stylesheet and icon", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, "ui/") {
			t.Errorf("the page names %q, not one of its own files under ui/", ref)
			continue
		}
		if resp, _ := get(t, h, "/"+ref, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("the page names %s, which answers %d", ref, resp.StatusCode)
		}
	}
}

// The script calls the API at its real paths (relative, so that a proxy
// may serve licd under a prefix), and never turns text into HTML or code.
func TestScriptUsesTheAPIAndNoHTMLSinks(t *testing.T) {
	_, js := get(t, web.Handler(), "/ui/app.js", "")
	for _, p := range []string{wire.PathStatus, wire.PathEvents, wire.PathRemove} {
		if rel := strings.TrimPrefix(p, "/"); !strings.Contains(js, "'"+rel+"'") {
			t.Errorf("app.js does not call %s as '%s'", p, rel)
		}
	}
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage"} {
		if strings.Contains(js, sink) {
			t.Errorf("app.js uses %s", sink)
		}
	}
	if !strings.Contains(js, "sessionStorage") {
		t.Errorf("app.js does not keep the admin token in sessionStorage")
	}
}
