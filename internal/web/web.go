// Package web is licd's status page: one HTML page, its stylesheet and its
// script, embedded in the binary and served at GET / and under /ui/. The
// page is a client of the public API like licstat: it reads GET /v1/status,
// follows GET /v1/events, and removes a checkout through
// POST /v1/admin/remove with the admin token the user types in.
//
// No build step and nothing from elsewhere: the Content-Security-Policy
// lets the page load only its own files and talk only to its own server,
// and the script writes server-provided text with textContent, never as
// HTML, so a user or host name cannot inject markup.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// AssetPrefix is the path under which the page's files are served.
const AssetPrefix = "/ui/"

// CSP is the Content-Security-Policy of every reply of the page: its own
// scripts, styles and images only, requests to its own origin only, no
// plugins, no <base>, no form posts and no framing by other sites.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed assets
var assets embed.FS

// contentTypes are the types of the page's files, fixed here rather than
// read from the system's MIME tables, which differ between machines.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// file is one embedded file, ready to serve.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the page at "/" and its files under AssetPrefix. Route
// only those paths to it: any other path is answered 404.
func Handler() http.Handler {
	files, err := load(assets)
	if err != nil {
		panic(err) // the files are compiled in: a failure is a build bug
	}
	return &handler{files: files}
}

type handler struct{ files map[string]file }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := "index.html"
	if r.URL.Path != "/" {
		rest, ok := strings.CutPrefix(r.URL.Path, AssetPrefix)
		if !ok || rest == "index.html" {
			rest = "" // the page itself is only at "/"
		}
		name = rest
	}
	f, ok := h.files[name]
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	hd.Set("Content-Type", f.contentType)
	// Revalidate every time: a licd upgrade changes the files under the
	// same names, and the ETag makes the check a 304 otherwise.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", f.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}

// load reads every embedded file with its content type and an ETag of its
// content.
func load(fsys fs.FS) (map[string]file, error) {
	files := map[string]file{}
	err := fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("web: no content type for %s", p)
		}
		sum := sha256.Sum256(body)
		files[strings.TrimPrefix(p, "assets/")] = file{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	return files, err
}
