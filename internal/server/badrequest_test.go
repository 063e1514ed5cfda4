package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

const okSession = `"session":"0123456789abcdef0123456789abcdef","user":"ann","host":"ws1","pid":7`

func TestBadRequests(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	tests := []struct {
		name, path, body, want string
	}{
		{"empty body", wire.PathCheckout, ``, "empty"},
		{"not JSON", wire.PathCheckout, `checkout please`, "not valid JSON"},
		{"truncated", wire.PathCheckout, `{"session":`, "bad request body"},
		{"array", wire.PathCheckout, `[1,2]`, "must be a"},
		{"two values", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"cad_pro"} {}`, "more than one JSON value"},
		{"field twice", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"cad_pro","feature":"solver"}`, `field "feature" more than once`},
		{"field in another case", wire.PathHeartbeat, `{` + okSession + `,"Session":"0123456789abcdef0123456789abcdef"}`, `unknown field "Session"`},
		{"unknown field", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"cad_pro","colour":"red"}`, `unknown field "colour"`},
		{"wrong type", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"cad_pro","count":"five"}`, `field "count" must be a int`},
		{"negative count", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"cad_pro","count":-1}`, "count -1 is outside"},
		{"huge count", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"cad_pro","count":99999999999}`, "outside"},
		{"count overflow", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"cad_pro","count":1e99}`, "must be a int"},
		{"missing session", wire.PathCheckout, `{"user":"ann","host":"ws1","request_id":"r","feature":"cad_pro"}`, "session"},
		{"bad session", wire.PathHeartbeat, `{"session":"../../etc","user":"ann","host":"ws1"}`, "session"},
		{"missing user", wire.PathHeartbeat, `{"session":"abc","host":"ws1"}`, "user must be"},
		{"negative pid", wire.PathHeartbeat, `{"session":"abc","user":"a","host":"h","pid":-3}`, "pid -3"},
		{"missing request id", wire.PathCheckout, `{` + okSession + `,"feature":"cad_pro"}`, "request_id"},
		{"missing feature", wire.PathCheckout, `{` + okSession + `,"request_id":"r"}`, "feature must be"},
		{"bad version", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"cad_pro","version":"two"}`, "not major.minor"},
		{"checkin neither", wire.PathCheckin, `{` + okSession + `}`, "either checkout_id or all"},
		{"borrow zero hours", wire.PathBorrow, `{` + okSession + `,"request_id":"r","feature":"solver","hours":0}`, "hours 0"},
		{"borrow a year and a day", wire.PathBorrow, `{` + okSession + `,"request_id":"r","feature":"solver","hours":8761}`, "hours 8761"},
		{"grace without times", wire.PathGrace, `{` + okSession + `,"token_id":"t","feature":"cad_pro"}`, "activated"},
		{"oversized", wire.PathCheckout, `{` + okSession + `,"request_id":"r","feature":"` + strings.Repeat("x", 70<<10) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := postRaw(t, s.Addr, tt.path, []byte(tt.body), nil)
			if st != http.StatusBadRequest || err == nil || err.Code != wire.CodeBadRequest {
				t.Fatalf("got %d %v, want 400 bad_request", st, err)
			}
			if !strings.Contains(err.Message, tt.want) {
				t.Fatalf("message %q does not say %q", err.Message, tt.want)
			}
		})
	}
	// The server is still serving.
	if _, err := checkout(t, s.Addr, newClient("z"), "r", "cad_pro"); err != nil {
		t.Fatalf("checkout after bad requests: %v", err)
	}
}

func TestUnknownEndpoint(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	st, err := postRaw(t, s.Addr, "/v1/nothing", []byte(`{}`), nil)
	if st != http.StatusNotFound || err == nil || err.Code != wire.CodeBadRequest {
		t.Fatalf("got %d %v", st, err)
	}
}

// FuzzRequestDecoder sends arbitrary bodies to every endpoint: the server
// must answer each with a JSON reply or error object and never panic.
func FuzzRequestDecoder(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), b)
	}
	f.Add(uint8(1), []byte(`{`+okSession+`}`))
	f.Add(uint8(3), []byte(`{`+okSession+`,"request_id":"r","feature":"solver","hours":5}`))
	s := servertest.Start(f, servertest.Options{})
	h := s.Server().Handler()
	paths := []string{wire.PathCheckout, wire.PathHeartbeat, wire.PathCheckin, wire.PathBorrow,
		wire.PathReturn, wire.PathGrace, wire.PathRemove, wire.PathReload}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.AdminToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			var er wire.ErrorReply
			if err := json.Unmarshal(rec.Body.Bytes(), &er); err != nil || er.Error == nil || er.Error.Code == "" {
				t.Fatalf("%s %q: status %d without an error object: %s", path, body, rec.Code, rec.Body)
			}
		} else if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: reply is not JSON: %s", path, body, rec.Body)
		}
	})
}
