package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/web"
	"github.com/floatlic/floatlic/internal/wire"
)

// The status page is served at exactly / and its files under /ui/; every
// other path still gets the JSON 404 of the API.
func TestStatusPageRoutes(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for _, tc := range []struct {
		method, path string
		status       int
		contentType  string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"HEAD", "/", 200, "text/html; charset=utf-8"},
		{"GET", "/ui/app.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/ui/nope.css", 404, "text/plain; charset=utf-8"},
		{"POST", "/", 404, "application/json"},
		{"GET", "/index.html", 404, "application/json"},
		{"GET", "/v1/nope", 404, "application/json"},
		{"GET", "/v1/", 404, "application/json"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "http://"+s.Addr+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.contentType {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.contentType)
			}
			if tc.contentType == "application/json" {
				var er wire.ErrorReply
				if err := json.Unmarshal(body, &er); err != nil || er.Error == nil || er.Error.Code != wire.CodeBadRequest ||
					!strings.Contains(er.Error.Message, "no endpoint") {
					t.Errorf("body %s, want the API's no-endpoint error", body)
				}
			}
			if tc.status == 200 && resp.Header.Get("Content-Security-Policy") != web.CSP {
				t.Errorf("no CSP on the page: %q", resp.Header.Get("Content-Security-Policy"))
			}
		})
	}
}
